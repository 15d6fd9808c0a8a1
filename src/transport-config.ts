// The transport and message-security flags (-m, --tcp-fallback, -y, TLS and DoH options, -a list,
// --edns-size, --ecs, --nsid): raw strings -> checked values. Like config.ts, every failure is a
// UsageError naming the flag and what it accepts (exit 2), raised before a packet is sent.
import { statSync } from 'node:fs';
import { isIP } from 'node:net';
import { applyDnsperfOptions } from './dnsperf-options.js';
import { UsageError } from './errors.js';
import { encodeEcs, OPTION_ECS } from './queryset/ecs.js';
import type { EdnsOption } from './queryset/types.js';
import { parseTsigKey, type TsigKey } from './tsig/key.js';
import type { WorkerTransport } from './engine/protocol.js';
import { readBounded, sizeText, TooLargeError } from './util/read-bounded.js';

/** Largest --tls-ca file read (bytes); the system's whole CA bundle is about 200 KiB. */
export const MAX_TLS_CA_BYTES = 16 * 1024 * 1024;

export { OPTION_NSID } from './engine/wire.js';

export type TransportMode = 'udp' | 'tcp' | 'dot' | 'doh';

export interface TlsConfig {
  /** --insecure: do not verify the server's certificate (never the default). */
  insecure: boolean;
  /** --tls-ca FILE: trust the CA certificates in FILE (PEM) instead of the system's. */
  caFile: string | null;
  /** --tls-sni NAME: server name sent in the TLS handshake and checked against the certificate. */
  sni: string | null;
}

export interface DohConfig {
  /** Request path (--doh-uri), "/dns-query" by default (RFC 8484 examples). */
  path: string;
  /** HTTP/2 :authority; the --doh-uri host when a full URL was given, else --tls-sni or the server. */
  authority: string | null;
  /** dnsperf's default is GET. */
  method: 'GET' | 'POST';
}

export interface TransportConfig {
  mode: TransportMode;
  /** --tcp-fallback (UDP only): retry a TC=1 answer over TCP and time the whole resolution. */
  tcpFallback: boolean;
  /** -y: sign every query; the secret stays out of every output (configForReport, redactArgv). */
  tsig: TsigKey | null;
  /** --nsid: ask for the server identity (RFC 5001) and count answers per identity. */
  nsid: boolean;
  tls: TlsConfig;
  doh: DohConfig;
}

/** What commander hands over for these flags (merged into RawRunOptions). */
export interface RawTransportOptions {
  mode?: string;
  tcpFallback?: boolean;
  tsig?: string;
  nsid?: boolean;
  ednsSize?: string;
  ecs?: string[];
  insecure?: boolean;
  tlsCa?: string;
  tlsSni?: string;
  dohUri?: string;
  dohMethod?: string;
  /** dnsperf's -O NAME=VALUE, repeatable (dnsperf-options.ts folds them into the fields above). */
  dnsperfOption?: string[];
  localAddr?: string;
}

const MODES: readonly TransportMode[] = ['udp', 'tcp', 'dot', 'doh'];

/** dnsperf's -p 0 "by mode": 53 for UDP and TCP, 853 for DoT (RFC 7858), 443 for DoH (RFC 8484). */
export const DEFAULT_PORTS: Record<TransportMode, number> = { udp: 53, tcp: 53, dot: 853, doh: 443 };


export function resolveTransport(given: RawTransportOptions): TransportConfig {
  const raw = applyDnsperfOptions(given, given.dnsperfOption);
  const mode = (raw.mode ?? 'udp').toLowerCase() as TransportMode;
  if (!MODES.includes(mode)) throw new UsageError(`-m/--mode: expected udp, tcp, dot or doh, got "${raw.mode}"`);
  const tls = mode === 'dot' || mode === 'doh';
  if (raw.tcpFallback && mode !== 'udp') {
    throw new UsageError(`--tcp-fallback: only with -m udp (over ${mode} there is no truncation to fall back from)`);
  }
  // A setting that came from dnsperf's -O is named as the user wrote it, not as our long flag.
  const named = (flag: string, own: unknown, option: string): string => (own === undefined ? `-O ${option}=` : flag);
  for (const [flag, value] of [['--insecure', raw.insecure], ['--tls-ca', raw.tlsCa], [named('--tls-sni', given.tlsSni, 'tls-sni'), raw.tlsSni]] as const) {
    if (value !== undefined && value !== false && !tls) throw new UsageError(`${flag}: only with -m dot or -m doh`);
  }
  for (const [flag, value] of [[named('--doh-uri', given.dohUri, 'doh-uri'), raw.dohUri], [named('--doh-method', given.dohMethod, 'doh-method'), raw.dohMethod]] as const) {
    if (value !== undefined && mode !== 'doh') throw new UsageError(`${flag}: only with -m doh`);
  }
  if (raw.insecure && raw.tlsCa !== undefined) throw new UsageError('--insecure and --tls-ca: choose one (--insecure skips the check --tls-ca configures)');

  let caFile: string | null = null;
  if (raw.tlsCa !== undefined) {
    // Bounded: the path may be /dev/zero or a FIFO that never ends (MAX_TLS_CA_BYTES).
    caFile = raw.tlsCa;
    let text: string;
    try {
      if (statSync(caFile).isDirectory()) throw new UsageError(`--tls-ca ${caFile}: is a directory, expected a PEM file`);
      text = readBounded(caFile, MAX_TLS_CA_BYTES).toString('latin1');
    } catch (e) {
      if (e instanceof UsageError) throw e;
      if (e instanceof TooLargeError) {
        throw new UsageError(`--tls-ca ${caFile}: more than ${sizeText(e.maxBytes)} (or it does not end, like /dev/zero); expected PEM certificates`);
      }
      throw new UsageError(`--tls-ca ${caFile}: cannot read it (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    if (!text.includes('-----BEGIN CERTIFICATE-----')) throw new UsageError(`--tls-ca ${caFile}: no PEM certificate in it (expected -----BEGIN CERTIFICATE-----)`);
  }
  let sni: string | null = null;
  if (raw.tlsSni !== undefined) {
    if (!/^[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}))*\.?$/.test(raw.tlsSni) || raw.tlsSni.length > 253) {
      throw new UsageError(`--tls-sni: expected a host name such as dns.example.net, got "${raw.tlsSni}"`);
    }
    sni = raw.tlsSni.replace(/\.$/, '');
  }

  const method = (raw.dohMethod ?? 'GET').toUpperCase();
  if (method !== 'GET' && method !== 'POST') throw new UsageError(`--doh-method: expected GET or POST, got "${raw.dohMethod}"`);
  const doh = { ...parseDohUri(raw.dohUri ?? '/dns-query'), method: method as 'GET' | 'POST' };

  return {
    mode,
    tcpFallback: raw.tcpFallback === true,
    tsig: raw.tsig === undefined ? null : parseTsigKey(raw.tsig),
    nsid: raw.nsid === true,
    tls: { insecure: raw.insecure === true, caFile, sni },
    doh,
  };
}

/** --doh-uri: a path (/dns-query) or a full https URL, whose host then goes in :authority. */
function parseDohUri(value: string): { path: string; authority: string | null } {
  if (value.startsWith('/')) {
    if (/[\s?#]/.test(value)) throw new UsageError(`--doh-uri: expected a path without spaces, query or fragment, e.g. /dns-query, got "${value}"`);
    return { path: value, authority: null };
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`--doh-uri: expected a path (/dns-query) or an https:// URL, got "${value}"`);
  }
  if (url.protocol !== 'https:' || url.search !== '' || url.hash !== '') {
    throw new UsageError(`--doh-uri: expected an https:// URL without query or fragment, got "${value}"`);
  }
  // The URL only names the path and the authority; packets always go to -s.
  return { path: url.pathname, authority: url.host };
}

/** -a ADDR[,ADDR...]: addresses the sockets bind to, spread round-robin over them. */
export function parseLocalAddresses(value: string | undefined): string[] {
  if (value === undefined) return [];
  const list = value.split(',').map((a) => a.trim());
  for (const a of list) {
    if (isIP(a) === 0) throw new UsageError(`-a/--local-addr: expected an IPv4 or IPv6 address (or several, separated by commas), got "${a}"`);
  }
  if (new Set(list).size !== list.length) throw new UsageError(`-a/--local-addr: an address is listed twice in "${value}"`);
  return list;
}

/** --edns-size N: the advertised UDP payload size (RFC 6891 6.2.5: values below 512 mean 512). */
export function parseEdnsSize(value: string | undefined): number | null {
  if (value === undefined) return null;
  const n = /^\d{1,5}$/.test(value.trim()) ? Number(value) : NaN;
  if (!(n >= 512 && n <= 65535)) throw new UsageError(`--edns-size: expected a whole number from 512 to 65535, got "${value}"`);
  return n;
}

/** --ecs SUBNET[,SUBNET...] (repeatable): checked here, encoded by the query loader. */
export function parseEcsList(values: readonly string[] | undefined, ednsOptions: readonly EdnsOption[]): string[] {
  const list = (values ?? []).flatMap((v) => v.split(',')).map((s) => s.trim());
  for (const s of list) {
    const r = encodeEcs(s);
    if (typeof r === 'string') throw new UsageError(`--ecs: ${r}`);
  }
  if (list.length > 0 && ednsOptions.some((o) => o.code === OPTION_ECS)) {
    throw new UsageError('--ecs and -E 8:...: both add a client subnet option; use one');
  }
  return list;
}

/** What the workers get: the config with the --tls-ca file read (checked in resolveTransport). */
export function workerTransport(t: TransportConfig, io: { nativePath: string | null } = { nativePath: null }): WorkerTransport {
  return {
    mode: t.mode,
    io: t.mode === 'udp' && io.nativePath !== null ? 'native' : 'dgram',
    tcpFallback: t.tcpFallback,
    tsig: t.tsig,
    nsid: t.nsid,
    tls: { insecure: t.tls.insecure, sni: t.tls.sni, ca: t.tls.caFile === null ? null : readBounded(t.tls.caFile, MAX_TLS_CA_BYTES).toString('latin1') },
    doh: t.doh,
  };
}
