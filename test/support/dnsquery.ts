// One UDP DNS query to a loopback server, for tests and for polling a server until it answers.
// Deliberately independent of src/: the rig must be able to check servers even when the engine is
// broken.
import { createSocket } from 'node:dgram';
import { isIP } from 'node:net';
import dnsPacket from 'dns-packet';
import type { DecodedPacket, RecordType } from 'dns-packet';

/** dns-packet's decode result; its typings omit `rcode` and `opcode`, which the decoder does set. */
export type DnsResponse = DecodedPacket & { rcode: string; opcode: string };

export interface QueryOptions {
  /** Server address; must be loopback. Default 127.0.0.1. */
  host?: string;
  /** Query type. Default A. */
  type?: RecordType;
  /** Give up after this long and resolve null. Default 1000 ms. */
  timeoutMs?: number;
  /**
   * Source address to send from (another 127.x.y.z selects a BIND view by source ACL; any
   * 127/8 address works on Linux without configuration).
   */
  localAddress?: string;
  /** RD bit. Default false: every server in the rig is authoritative. */
  recursionDesired?: boolean;
}

/** True for 127.0.0.0/8 and ::1 (also IPv4-mapped 127/8). */
export function isLoopback(host: string): boolean {
  if (isIP(host) === 4) return host.startsWith('127.');
  if (isIP(host) === 6) return host === '::1' || /^::ffff:127\./i.test(host);
  return false;
}

/** The rig's network rule in one place: a packet to anything but loopback is a bug. */
export function assertLoopback(host: string): void {
  if (!isLoopback(host)) throw new Error(`refusing to send to ${host}: only loopback addresses are allowed`);
}

/**
 * Sends one query for `name` to host:port over UDP and resolves the decoded response whose ID and
 * question match, or null on timeout (or if the socket fails, e.g. ICMP port unreachable).
 */
export function dnsQuery(port: number, name: string, opts: QueryOptions = {}): Promise<DnsResponse | null> {
  const host = opts.host ?? '127.0.0.1';
  assertLoopback(host);
  if (opts.localAddress !== undefined) assertLoopback(opts.localAddress);
  const type = opts.type ?? 'A';
  const id = Math.floor(Math.random() * 65536);
  const wire = dnsPacket.encode({
    type: 'query',
    id,
    flags: opts.recursionDesired ? dnsPacket.RECURSION_DESIRED : 0,
    questions: [{ type, class: 'IN', name }],
  });
  const sock = createSocket(isIP(host) === 6 ? 'udp6' : 'udp4');
  return new Promise<DnsResponse | null>((resolve) => {
    let done = false;
    const finish = (r: DnsResponse | null): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.close();
      resolve(r);
    };
    const timer = setTimeout(() => finish(null), opts.timeoutMs ?? 1000);
    sock.on('error', () => finish(null));
    sock.on('message', (msg) => {
      let r: DnsResponse;
      try {
        r = dnsPacket.decode(msg) as DnsResponse;
      } catch {
        return; // not DNS: keep waiting
      }
      const q = r.questions?.[0];
      if (r.id === id && r.type === 'response' && q?.name.toLowerCase() === name.replace(/\.$/, '').toLowerCase()) {
        finish(r);
      }
    });
    // A connected socket receives the ICMP port-unreachable of a server that is not listening yet
    // as ECONNREFUSED, so polling a starting server fails fast instead of waiting out the timeout.
    const send = (): void => sock.connect(port, host, () => sock.send(wire, (err) => err && finish(null)));
    if (opts.localAddress !== undefined) sock.bind(0, opts.localAddress, send);
    else send();
  });
}

/** The A (or AAAA) addresses in a response's answer section, in order. */
export function addresses(r: DnsResponse | null): string[] {
  return (r?.answers ?? []).flatMap((a) => (a.type === 'A' || a.type === 'AAAA' ? [a.data] : []));
}

export interface WaitOptions extends QueryOptions {
  /** Overall bound. Default 15 000 ms. */
  deadlineMs?: number;
  /** Pause between polls. Default 50 ms. */
  intervalMs?: number;
  /** Response codes that count as "ready". Default ['NOERROR']. */
  rcodes?: readonly string[];
  /** Stop early (resolve null) when this returns true, e.g. the server process has exited. */
  abort?: () => boolean;
}

/**
 * Polls with dnsQuery until a response with one of `rcodes` arrives; resolves it, or null when the
 * deadline passes or `abort` says stop. Bounded in time and in count (deadline / interval polls).
 */
export async function waitForAnswer(port: number, name: string, opts: WaitOptions = {}): Promise<DnsResponse | null> {
  const deadline = Date.now() + (opts.deadlineMs ?? 15_000);
  const interval = opts.intervalMs ?? 50;
  const rcodes = opts.rcodes ?? ['NOERROR'];
  const maxPolls = Math.ceil((opts.deadlineMs ?? 15_000) / interval) + 1;
  for (let poll = 0; poll < maxPolls && Date.now() < deadline; poll++) {
    if (opts.abort?.()) return null;
    const left = deadline - Date.now();
    const r = await dnsQuery(port, name, { ...opts, timeoutMs: Math.max(1, Math.min(opts.timeoutMs ?? 300, left)) });
    if (r && rcodes.includes(r.rcode)) return r;
    if (opts.abort?.()) return null;
    await new Promise((res) => setTimeout(res, interval));
  }
  return null;
}
