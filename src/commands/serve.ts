// `dnsbench serve`: the embedded responder in the foreground until Ctrl-C.
import { UsageError } from '../errors.js';
import { runServe } from '../serve/run.js';
import type { Console } from './console.js';

/** What commander hands over for `dnsbench serve`. */
export interface RawServeOptions {
  address?: string;
  port?: string;
  zone?: string;
  drop?: string;
  delay?: string;
  truncate?: string;
  garbage?: string;
  wrongId?: string;
  servfail?: string;
  seed?: string;
  allowNonLoopback?: boolean;
  tcp?: boolean;
  capacity?: string;
  capacityLatency?: string;
}

function ratio(flag: string, v: string | undefined): number {
  if (v === undefined) return 0;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1) throw new UsageError(`${flag}: expected a ratio from 0 to 1 (e.g. 0.1 for 10%), got "${v}"`);
  return n;
}

function whole(flag: string, v: string, min: number, max: number): number {
  const n = Number(v);
  if (!/^\d+$/.test(v.trim()) || n < min || n > max) throw new UsageError(`${flag}: expected a whole number from ${min} to ${max}, got "${v}"`);
  return n;
}

/** --capacity QPS and --capacity-latency MS (only with --capacity). */
function capacityOptions(o: RawServeOptions): { capacity?: { qps: number; latencyMs: number } } {
  if (o.capacity === undefined) {
    if (o.capacityLatency !== undefined) throw new UsageError('--capacity-latency needs --capacity QPS (the limit the delay grows towards)');
    return {};
  }
  const qps = whole('--capacity', o.capacity, 1, 10_000_000);
  const latencyMs = o.capacityLatency === undefined ? 0 : Number(o.capacityLatency);
  if (o.capacityLatency !== undefined && (o.capacityLatency.trim() === '' || !Number.isFinite(latencyMs) || latencyMs < 0 || latencyMs > 60_000)) {
    throw new UsageError(`--capacity-latency: expected milliseconds from 0 to 60000, got "${o.capacityLatency}"`);
  }
  return { capacity: { qps, latencyMs } };
}

export async function serveCommand(o: RawServeOptions, con: Console): Promise<number> {
  const delayMs = o.delay === undefined ? 0 : Number(o.delay);
  if (!Number.isFinite(delayMs) || delayMs < 0 || delayMs > 60_000) throw new UsageError(`--delay: expected milliseconds from 0 to 60000, got "${o.delay}"`);
  const responder = await runServe(
    {
      cwd: process.cwd(),
      address: o.address ?? '127.0.0.1',
      port: o.port === undefined ? 5353 : whole('-p/--port', o.port, 0, 65535),
      ...(o.zone !== undefined ? { zonePath: o.zone } : {}),
      faults: {
        drop: ratio('--drop', o.drop),
        delayMs,
        truncate: ratio('--truncate', o.truncate),
        garbage: ratio('--garbage', o.garbage),
        wrongId: ratio('--wrong-id', o.wrongId),
        servfail: ratio('--servfail', o.servfail),
      },
      ...(o.seed !== undefined ? { seed: whole('--seed', o.seed, 0, 2 ** 32 - 1) } : {}),
      allowNonLoopback: o.allowNonLoopback === true,
      tcp: o.tcp === true,
      ...capacityOptions(o),
    },
    (line) => con.err(line + '\n'),
  );
  con.err('dnsbench serve: Ctrl-C to stop\n');
  await new Promise<void>((resolve) => con.onStop(() => resolve()));
  const s = responder.stats();
  const t = responder.tcpStats();
  await responder.close();
  const tcp = t === null ? '' : `; tcp: ${t.received} queries on ${t.connections} connection(s) (${outcomes(t, o.capacity !== undefined)})`;
  con.err(`dnsbench serve: stopped after ${s.received} queries (${outcomes(s, o.capacity !== undefined)})${tcp}\n`);
  return 0;
}

/**
 * "11841 answered, 5033 truncated, 0 dropped": every outcome that happened, so the parts add up
 * to the queries received (ResponderStats); answered and dropped always, over capacity whenever
 * --capacity is set. A truncated or SERVFAIL reply is a fault the user asked for, not an answer.
 */
function outcomes(s: { answered: number; dropped: number; overCapacity: number; truncated?: number; garbage?: number; wrongId?: number; servfail?: number; malformed: number; errors?: number }, capacity: boolean): string {
  const parts = [`${s.answered} answered`];
  const faults: Array<[number | undefined, string]> = [
    [s.truncated, 'truncated'],
    [s.servfail, 'SERVFAIL'],
    [s.garbage, 'garbage'],
    [s.wrongId, 'wrong ID'],
    [s.malformed, 'malformed'],
    [s.errors, 'internal errors'],
  ];
  for (const [n, what] of faults) if (n !== undefined && n > 0) parts.push(`${n} ${what}`);
  parts.push(`${s.dropped} dropped`);
  if (capacity) parts.push(`${s.overCapacity} over capacity`);
  return parts.join(', ');
}
