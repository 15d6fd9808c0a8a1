// `dnsbench serve`: load a zone (the bundled demo zone by default) and start the responder on it.
// Wiring only; the command layer parses flags into ServeOptions and prints what `log` receives.
import { BlockList, isIP } from 'node:net';
import { isAbsolute, join, relative } from 'node:path';
import { UsageError } from '../errors.js';
import { PACKAGE_ROOT } from '../package-root.js';
import { validateFaults, type Faults } from './faults.js';
import { startResponder, type Responder } from './responder.js';
import { startTcpResponder, type TcpResponderStats } from './tcp.js';
import { Capacity, describeCapacity, type CapacityOptions } from './capacity.js';
import { loadZoneFile } from './zone.js';
import { formatHostPort } from '../util/hostport.js';

export interface ServeOptions {
  /** The working directory the bundled zone's path is shown relative to (the caller's). */
  cwd?: string;
  address: string;
  port: number;
  /** Master file to serve; the bundled zones/demo.zone when omitted. */
  zonePath?: string;
  faults: Partial<Faults>;
  seed?: number;
  /** --allow-non-loopback: answer on an address other than 127.0.0.0/8 or ::1. */
  allowNonLoopback?: boolean;
  /** --tcp: also answer over TCP on the same port (for -m tcp and --tcp-fallback). */
  tcp?: boolean;
  /** --capacity QPS [--capacity-latency MS]: answer at most QPS queries per second, over both transports. */
  capacity?: CapacityOptions;
}

export { PACKAGE_ROOT };
export const DEMO_ZONE = join(PACKAGE_ROOT, 'zones', 'demo.zone');

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6'); // BlockList also matches ::ffff:127.x against the IPv4 subnet

export function isLoopback(address: string): boolean {
  const family = isIP(address);
  return family !== 0 && LOOPBACK.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/** The running responder: the UDP side's Responder, plus the TCP side's counters when --tcp. */
export interface ServeHandle extends Responder {
  tcpStats(): TcpResponderStats | null;
}

/** The TCP listener's fault seed, derived from the one seed the user sees (golden-ratio mix). */
export const tcpSeed = (seed: number): number => (seed ^ 0x9e3779b9) >>> 0;

export async function runServe(opts: ServeOptions, log: (line: string) => void): Promise<ServeHandle> {
  if (isIP(opts.address) === 0) throw new UsageError(`--address must be an IP address, got '${opts.address}'`);
  // A benchmarking tool must not end up answering on a public interface by accident (e.g. 0.0.0.0).
  if (!opts.allowNonLoopback && !isLoopback(opts.address)) {
    throw new UsageError(
      `--address ${opts.address} is not a loopback address (127.0.0.0/8 or ::1); add --allow-non-loopback to answer on it`,
    );
  }
  const faults = validateFaults(opts.faults);
  const zonePath = opts.zonePath ?? DEMO_ZONE;
  const zone = loadZoneFile(zonePath);
  const capacity = opts.capacity ? new Capacity(opts.capacity) : undefined;
  const udp = await startResponder({ address: opts.address, port: opts.port, zone, faults, seed: opts.seed, capacity });
  // TCP draws its own fault sequence from the same seed, so each transport replays exactly.
  const tcp = opts.tcp
    ? await startTcpResponder({ address: opts.address, port: udp.port, zone, faults, seed: tcpSeed(udp.seed), capacity }).catch(async (e: unknown) => {
        await udp.close();
        throw e;
      })
    : null;
  const responder: ServeHandle = {
    address: udp.address,
    port: udp.port,
    seed: udp.seed,
    stats: () => udp.stats(),
    tcpStats: () => tcp?.stats() ?? null,
    close: async () => {
      await tcp?.close();
      await udp.close();
    },
  };

  const where = formatHostPort(responder.address, responder.port);
  log(`dnsbench serve: answering ${zone.origin}. from ${displayPath(zonePath, opts.zonePath === undefined, opts.cwd)} on ${where} (${tcp === null ? 'udp' : 'udp and tcp'})`);
  const active = describeFaults(faults);
  if (active) {
    const udpOnly = tcp !== null && faults.truncate > 0 ? ' (truncate over UDP only: over TCP the answer is sent whole)' : '';
    log(`dnsbench serve: injecting faults: ${active} (seed ${responder.seed})${tcp === null ? '' : ' on udp and tcp'}${udpOnly}`);
  }
  if (capacity) log(`dnsbench serve: ${describeCapacity(capacity)}${tcp === null ? '' : ', shared by udp and tcp'}`);
  return responder;
}

/** The bundled zone is shown relative to the working directory when inside it (`zones/demo.zone`). */
function displayPath(path: string, bundled: boolean, cwd: string | undefined): string {
  if (!bundled || cwd === undefined) return path;
  const rel = relative(cwd, path);
  return rel.startsWith('..') || isAbsolute(rel) ? path : rel;
}

function describeFaults(f: Required<Faults>): string {
  const pct = (x: number): string => `${Number((x * 100).toFixed(2))}%`;
  const parts: string[] = [];
  if (f.drop > 0) parts.push(`drop ${pct(f.drop)}`);
  if (f.servfail > 0) parts.push(`servfail ${pct(f.servfail)}`);
  if (f.truncate > 0) parts.push(`truncate ${pct(f.truncate)}`);
  if (f.garbage > 0) parts.push(`garbage ${pct(f.garbage)}`);
  if (f.wrongId > 0) parts.push(`wrong ID ${pct(f.wrongId)}`);
  if (f.delayMs > 0) parts.push(`delay ${f.delayMs} ms`);
  return parts.join(', ');
}
