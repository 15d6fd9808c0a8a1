// dnsperf's -O NAME=VALUE "long options" (`dnsperf -H`), so a dnsperf command line that uses them
// runs here: the ones that name a setting dnsbench has become that flag, one that only silences
// messages dnsbench never prints is accepted, and any other is refused with one line (exit 2).
import { UsageError } from './errors.js';

/** The flags -O may set, as commander names them in RawTransportOptions. */
export interface DnsperfOptionTargets {
  dohUri?: string;
  dohMethod?: string;
  tlsSni?: string;
}

/** dnsperf -O name -> [our attribute, our flag]. */
const MAPPED: ReadonlyMap<string, [keyof DnsperfOptionTargets, string]> = new Map([
  ['doh-uri', ['dohUri', '--doh-uri']],
  ['doh-method', ['dohMethod', '--doh-method']],
  ['tls-sni', ['tlsSni', '--tls-sni']],
]);

/**
 * dnsperf's `suppress=` message types (dnsperf(1), "-O suppress"). Every one of them is a per-query
 * line dnsbench does not print ([Timeout] lines, congestion, send failures, socket-ready and
 * unexpected-answer warnings: counters and notes here), so suppressing them has nothing to do.
 */
const SUPPRESSIBLE = new Set(['timeouts', 'congestion', 'sendfailed', 'sockready', 'unexpected']);

/**
 * Fold dnsperf's `-O NAME=VALUE` values (`given`, in command-line order) into `raw`: `doh-uri`,
 * `doh-method` and `tls-sni` set --doh-uri, --doh-method and --tls-sni (their checks then apply as
 * to those flags); `suppress=LIST` is accepted and changes nothing (see SUPPRESSIBLE). Returns a
 * new object; `raw` is not changed.
 * Throws UsageError (exit 2) for a value without `=`, an unknown or unsupported name (dnsperf's
 * `num-queries-per-conn` included), an unknown suppress type, or a setting given both as -O and
 * as our flag with different values.
 */
export function applyDnsperfOptions<T extends DnsperfOptionTargets>(raw: T, given: readonly string[] | undefined): T {
  if (given === undefined || given.length === 0) return raw;
  const out: T = { ...raw };
  const fromO = new Set<keyof DnsperfOptionTargets>();
  for (const item of given) {
    const eq = item.indexOf('=');
    const name = eq < 0 ? item : item.slice(0, eq);
    const shownName = JSON.stringify(name.slice(0, 40)).slice(1, -1);
    if (eq < 0) throw new UsageError(`-O: expected NAME=VALUE as in dnsperf (e.g. -O doh-method=POST), got "${shownName}"`);
    const value = item.slice(eq + 1);
    if (name === 'suppress') {
      for (const type of value.split(',')) {
        if (!SUPPRESSIBLE.has(type.trim())) {
          throw new UsageError(`-O suppress: expected a list of ${[...SUPPRESSIBLE].join(', ')} (dnsperf's message types), got "${JSON.stringify(type.slice(0, 40)).slice(1, -1)}"`);
        }
      }
      continue;
    }
    const mapped = MAPPED.get(name);
    if (mapped === undefined) {
      throw new UsageError(
        `-O ${shownName}: not supported (dnsbench takes dnsperf's -O doh-uri=, doh-method=, tls-sni= and suppress=; ` +
          (name === 'num-queries-per-conn' ? 'connections here stay open for the whole run)' : 'see dnsbench --help)'),
      );
    }
    const [key, flag] = mapped;
    const already = out[key];
    if (already !== undefined && !fromO.has(key) && already !== value) {
      throw new UsageError(`-O ${name}= and ${flag} give different values; keep one of them`);
    }
    out[key] = value as T[typeof key];
    fromO.add(key);
  }
  return out;
}
