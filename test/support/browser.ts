// Debian's chromium, headless, driven by playwright-core, for the HTML report tests. Every request
// the page makes is logged and only the file itself is let through; console messages, page errors
// and dialogs (alert/confirm/prompt: an injected script would fire one) are collected for the test.
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { findBinary } from './servers.js';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export function chromiumPath(): string {
  return findBinary('chromium') ?? '/usr/bin/chromium';
}

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS });
}

export interface OpenedPage {
  page: Page;
  context: BrowserContext;
  url: string;
  /** Every request the page tried, in order (URLs). */
  requests: string[];
  /** console.error/warning texts, uncaught page errors, and CSP reports. */
  problems: string[];
  /** Messages of alert/confirm/prompt dialogs (dismissed at once). */
  dialogs: string[];
  close(): Promise<void>;
}

/** Open a local HTML file from file:// in a fresh context; nothing but the file may load. */
export async function openFile(browser: Browser, file: string, viewport = { width: 1200, height: 900 }): Promise<OpenedPage> {
  const context = await browser.newContext({ viewport, offline: true, javaScriptEnabled: true });
  const page = await context.newPage();
  const url = pathToFileURL(file).href;
  const requests: string[] = [];
  const problems: string[] = [];
  const dialogs: string[] = [];
  await context.route('**/*', (route) => {
    const u = route.request().url();
    return u === url ? route.continue() : route.abort();
  });
  page.on('request', (r) => requests.push(r.url()));
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console.${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('dialog', (d) => {
    dialogs.push(`${d.type()}: ${d.message()}`);
    void d.dismiss();
  });
  await page.goto(url, { waitUntil: 'load' });
  return { page, context, url, requests, problems, dialogs, close: () => context.close() };
}
