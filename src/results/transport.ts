// The transport side of a result: connection statistics (TCP, DoT, DoH), answers per NSID
// identity, distinct source address/port pairs. All additive, merged here like counters.
import { countOf, type Counters } from './counters.js';
import { addSums, emptySums, type LatencySums } from './model.js';
import { summarizeSums } from './stats.js';
import { mergeTallies, OTHER_KEY } from './tally.js';

export interface TransportParts {
  connect?: LatencySums;
  nsid?: Record<string, number>;
  sourcePairs?: number;
  foreignSources?: Record<string, number>;
}

/** Merge the transport fields of several partials (a missing field counts as empty). */
export function mergeTransport(parts: readonly TransportParts[]): Required<Omit<TransportParts, 'foreignSources'>> & Pick<TransportParts, 'foreignSources'> {
  let connect = emptySums();
  let sourcePairs = 0;
  for (const p of parts) {
    if (p.connect) connect = addSums(connect, p.connect);
    // Workers (and separate runs) use separate sockets at the same time, so their pairs add up.
    sourcePairs += p.sourcePairs ?? 0;
  }
  // Identities and source addresses come from outside: capped and kept off the object prototype (tally.ts).
  const foreign = mergeTallies(parts.map((p) => p.foreignSources), FOREIGN_SOURCES_KEPT);
  return {
    connect,
    nsid: mergeTallies(parts.map((p) => p.nsid)),
    sourcePairs,
    ...(Object.keys(foreign).length > 0 ? { foreignSources: foreign } : {}),
  };
}

/** Foreign sources a report names (the engine keeps at most 16 per socket; merged ones are capped again). */
export const FOREIGN_SOURCES_KEPT = 16;

/** dnsperf's "Connection Statistics" for one target (TCP, DoT, DoH runs). */
export interface ConnectionReport {
  attempts: number;
  successes: number;
  reconnects: number;
  /** Setup latency in microseconds: TCP handshake, plus TLS (DoT, DoH) and the HTTP/2 preface (DoH). */
  latency: ReturnType<typeof summarizeSums> & { sums: LatencySums };
}

export function connectionReport(c: Counters, sums: LatencySums): ConnectionReport {
  return {
    attempts: c.connAttempts,
    successes: c.connSuccesses,
    reconnects: c.reconnects,
    latency: { ...summarizeSums(sums), sums: { ...sums, min: sums.count > 0 ? sums.min : 0 } },
  };
}

/** Plain-language notes about TSIG failures (instead of "is a server listening?"). */
export function tsigNotes(t: { server: string; counters: Counters }, key: { name: string; algorithm: string } | null): string[] {
  const c = t.counters;
  if (c.tsigFailed === 0 || key === null) return [];
  const why: string[] = [];
  if (c.tsigBadKey > 0) why.push(`BADKEY ${c.tsigBadKey}: ${t.server} does not know key "${key.name}" with ${key.algorithm}`);
  if (c.tsigBadSig > 0) why.push(`BADSIG ${c.tsigBadSig}: the secret given for "${key.name}" differs from the server's`);
  if (c.tsigBadTime > 0) why.push(`BADTIME ${c.tsigBadTime}: this clock and the server's differ by more than the 300 s fudge`);
  const other = c.tsigFailed - c.tsigBadKey - c.tsigBadSig - c.tsigBadTime;
  if (other > 0) why.push(`${other} unsigned or with a MAC that does not verify`);
  return [`${c.tsigFailed} response(s) from ${t.server} failed TSIG verification and were not counted as answers (${why.join('; ')}).`];
}

/** "host:port" or "[v6]:port" -> host. */
function hostOf(endpoint: string): string {
  return endpoint.replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1');
}

/**
 * A REFUSED answer completes its query (as in dnsperf) and counts in the qps, yet nothing was
 * resolved: at or above this share of the completed queries the run most likely measured a
 * server refusing (not authoritative for the names, recursion off, a view or ACL not matching
 * the source address or key), and a note says so.
 */
export const REFUSED_NOTE_PCT = 50;

/**
 * Plain-language notes about the answer path: replies that came from an unexpected source
 * (never counted as answers), tables keyed by server data that hit their cap (tally.ts), and
 * answers that were mostly REFUSED (REFUSED_NOTE_PCT).
 * Derived from the TargetReport alone, so `dnsbench report` and `merge` can say the same.
 */
export function answerNotes(t: {
  label: string;
  host: string;
  server: string;
  counters: Counters;
  rcodes?: Record<string, number>;
  foreignSources?: Record<string, number>;
  nsid?: Record<string, number> | null;
}): string[] {
  const notes: string[] = [];
  const refused = t.rcodes === undefined ? 0 : countOf(t.rcodes, 'REFUSED');
  const completed = t.counters.completed;
  if (completed > 0 && refused > 0 && (100 * refused) / completed >= REFUSED_NOTE_PCT) {
    notes.push(
      `${t.label}: ${refused} of ${completed} answers (${((100 * refused) / completed).toFixed(2)}%) were REFUSED: they count as completed and in the qps, as in dnsperf, but nothing was resolved. ` +
        'Is the server authoritative for these names (or recursive for this client), and does its ACL or view match this source address or TSIG key?',
    );
  }
  const n = t.counters.foreignSource ?? 0;
  if (n > 0) {
    const sources = Object.entries(t.foreignSources ?? {}).filter(([k, v]) => k !== OTHER_KEY && typeof v === 'number' && v > 0);
    sources.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
    const shown = sources.slice(0, 3);
    const named = shown.reduce((s, [, v]) => s + v, 0);
    const from =
      shown.length === 0
        ? 'another source'
        : shown.length === 1 && named === n
          ? shown[0]![0]
          : shown.map(([k, v]) => `${k} (${v})`).join(', ') + (named < n ? ` and ${n - named} from elsewhere` : '');
    const samePort = shown.length > 0 && shown.every(([k]) => hostOf(k) === t.host);
    const question = samePort
      ? 'is something between here and the server rewriting its port (NAT)?'
      : 'is the server answering from another address?';
    notes.push(
      `${n} ${n === 1 ? 'reply' : 'replies'} came from ${from}, not ${t.server}: ${question} ` +
        `They were counted as foreignSource, never as answers.`,
    );
  }
  const nsid = t.nsid ?? null;
  if (nsid !== null && Object.hasOwn(nsid, OTHER_KEY)) {
    const kept = Object.keys(nsid).length - 1;
    notes.push(
      `${t.label}: answers carried more distinct NSID identities than the report keeps; the ${kept} most frequent are named ` +
        `and ${countOf(nsid, OTHER_KEY)} answer(s) from the rest are counted under "${OTHER_KEY}".`,
    );
  }
  return notes;
}
