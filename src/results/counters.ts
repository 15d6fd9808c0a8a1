// Every counter is additive, so results from workers, targets or whole processes merge by
// summing (dnsperf's sum_stats). Nothing here is an average; averages are derived at report time.

export interface Counters {
  /** Queries put on the wire. Invariant: sent = completed + lost + interrupted. */
  sent: number;
  /** Answered with a well-formed, matching, untruncated response. */
  completed: number;
  /**
   * No usable answer: timedOut + truncated + aborted + wrongAnswer (a TC=1 answer without TCP
   * fallback is not an answer, nor is one that --expect finds wrong).
   */
  lost: number;
  /** Outstanding when the run was stopped by Ctrl-C. */
  interrupted: number;
  /** Part of lost: no response within the timeout. */
  timedOut: number;
  /** Part of lost: the answer had TC=1 (and was not retried over TCP). */
  truncated: number;
  /** Responses that arrived after their query had timed out (already counted as lost). */
  late: number;
  /** Responses whose ID matched no outstanding query, or whose question differed from the query's. */
  mismatched: number;
  /**
   * Responses that could not be parsed: shorter than a header, QR=0, a question count other than
   * 0 or 1, a NOERROR answer without a question, or any section that does not walk (engine/wire.ts:
   * pointer loops or forward pointers, names or RDATA past the end, counts that lie, bytes after
   * the last record, a bad OPT). Never completed; the query stays outstanding.
   */
  malformed: number;
  /** Socket errors reported by the kernel, e.g. ICMP port unreachable (nothing listening there). */
  socketErrors: number;
  /** Wire bytes of queries sent and of completed responses (for "Average packet size"). */
  requestBytes: number;
  responseBytes: number;
  // --- transports (TCP, DoT, DoH, --tcp-fallback) and TSIG; 0 in plain UDP runs -------------
  /**
   * Part of lost: the TCP/TLS connection or HTTP/2 stream carrying the query closed, was reset or
   * failed (an HTTP status other than 200) before its answer came. Counted at once rather than
   * resent: a resend would hide the server's failure and send the query twice.
   */
  aborted: number;
  /** TC=1 answers retried over TCP (--tcp-fallback); their outcome is counted like any query's. */
  tcpFallbacks: number;
  /**
   * Responses that failed TSIG verification (unsigned, bad MAC, wrong key, time off, or a TSIG
   * error from the server). Like mismatched responses they are never completed: the query stays
   * outstanding (RFC 8945 5.3) and is lost if nothing valid arrives in time.
   */
  tsigFailed: number;
  /** Part of tsigFailed: the server's TSIG error was BADKEY, BADSIG or BADTIME (RFC 8945 5.3.2). */
  tsigBadKey: number;
  tsigBadSig: number;
  tsigBadTime: number;
  /** DoH responses with an HTTP status other than 200 (their queries are counted in aborted). */
  httpErrors: number;
  /** Connections (TCP, DoT, DoH) tried, established, and established to replace a closed one. */
  connAttempts: number;
  connSuccesses: number;
  reconnects: number;
  /**
   * UDP datagrams that came from another address or port than the server's (a multihomed server
   * answering from its other address, DSR, NAT rewriting ports). Never answers: the query stays
   * outstanding. Which sources they came from is in the report's `foreignSources`.
   */
  foreignSource: number;
  /**
   * Part of lost: --expect found the answer wrong (another RCODE, or another set of records of
   * the queried type). The server answered, so the query is finished, but not completed.
   */
  wrongAnswer: number;
}

export const COUNTER_KEYS = [
  'sent', 'completed', 'lost', 'interrupted', 'timedOut', 'truncated',
  'late', 'mismatched', 'malformed', 'socketErrors', 'requestBytes', 'responseBytes',
  'aborted', 'tcpFallbacks', 'tsigFailed', 'tsigBadKey', 'tsigBadSig', 'tsigBadTime', 'httpErrors',
  'connAttempts', 'connSuccesses', 'reconnects', 'foreignSource', 'wrongAnswer',
] as const satisfies readonly (keyof Counters)[];

export function zeroCounters(): Counters {
  return {
    sent: 0, completed: 0, lost: 0, interrupted: 0, timedOut: 0, truncated: 0,
    late: 0, mismatched: 0, malformed: 0, socketErrors: 0, requestBytes: 0, responseBytes: 0,
    aborted: 0, tcpFallbacks: 0, tsigFailed: 0, tsigBadKey: 0, tsigBadSig: 0, tsigBadTime: 0, httpErrors: 0,
    connAttempts: 0, connSuccesses: 0, reconnects: 0, foreignSource: 0, wrongAnswer: 0,
  };
}

export function addCounters(into: Counters, from: Readonly<Counters>): Counters {
  // `?? 0`: reports saved before a counter existed still merge.
  for (const k of COUNTER_KEYS) into[k] += from[k] ?? 0;
  return into;
}

export function subtractCounters(a: Readonly<Counters>, b: Readonly<Counters>): Counters {
  const out = zeroCounters();
  for (const k of COUNTER_KEYS) out[k] = (a[k] ?? 0) - (b[k] ?? 0);
  return out;
}

/** Response codes by mnemonic; additive like every counter. */
export type RcodeCounts = Record<string, number>;

/**
 * Add `from` into `into`. Keys may come from a saved report (hostile): they are defined as own
 * properties, so "__proto__" or "constructor" are just names, and non-numbers are skipped.
 */
export function addRcodes(into: RcodeCounts, from: Readonly<RcodeCounts>): RcodeCounts {
  for (const [k, v] of Object.entries(from)) {
    if (typeof v !== 'number' || !Number.isFinite(v)) continue;
    Object.defineProperty(into, k, { value: countOf(into, k) + v, enumerable: true, writable: true, configurable: true });
  }
  return into;
}

/** The count under `key`, 0 when absent; never an inherited property ("constructor", "toString"). */
export function countOf(r: Readonly<Record<string, number>>, key: string): number {
  return Object.hasOwn(r, key) ? r[key]! : 0;
}

// The IANA "DNS RCODEs" registry (RFC 6895 2.3). The header holds the low 4 bits; with an OPT
// record the high 8 bits are its EXTENDED-RCODE (RFC 6891 6.1.3), so a code is 12 bits. 16 is
// BADVERS in the header+OPT sense (BADSIG only as a TSIG error, RFC 8945), 17-22 are TSIG/TKEY
// errors that can also appear there, 23 is BADCOOKIE (RFC 7873). Unassigned codes read RCODEn.
const IANA_RCODES: ReadonlyArray<readonly [number, string]> = [
  [0, 'NOERROR'], [1, 'FORMERR'], [2, 'SERVFAIL'], [3, 'NXDOMAIN'], [4, 'NOTIMP'], [5, 'REFUSED'],
  [6, 'YXDOMAIN'], [7, 'YXRRSET'], [8, 'NXRRSET'], [9, 'NOTAUTH'], [10, 'NOTZONE'], [11, 'DSOTYPENI'],
  [16, 'BADVERS'], [17, 'BADKEY'], [18, 'BADTIME'], [19, 'BADMODE'], [20, 'BADNAME'], [21, 'BADALG'],
  [22, 'BADTRUNC'], [23, 'BADCOOKIE'],
];
const NAME_OF = new Map<number, string>(IANA_RCODES);
const CODE_OF = new Map<string, number>(IANA_RCODES.map(([c, n]) => [n, c]));

/** Every registered RCODE name, in numeric order (gates accept these, and RCODEn for any n < 4096). */
export const RCODE_NAMES: readonly string[] = IANA_RCODES.map(([, n]) => n);

/** The largest 12-bit RCODE (header 4 bits + OPT's 8). */
export const MAX_RCODE = 4095;

export function rcodeName(code: number): string {
  return NAME_OF.get(code) ?? `RCODE${code}`;
}

/** The numeric code of an RCODE name (NOERROR, BADCOOKIE, RCODE12), or null when it is not one. */
export function rcodeCode(name: string): number | null {
  const known = CODE_OF.get(name.toUpperCase());
  if (known !== undefined) return known;
  const m = /^RCODE(\d{1,4})$/i.exec(name);
  if (m === null) return null;
  const n = Number(m[1]);
  return n <= MAX_RCODE ? n : null;
}

/** Convert the per-code array a worker keeps on its hot path into named counts (non-zero only). */
export function rcodesFromArray(counts: ArrayLike<number>, extended?: ReadonlyMap<number, number>): RcodeCounts {
  const entries: Array<[string, number]> = [];
  for (let i = 0; i < counts.length; i++) if (counts[i]! > 0) entries.push([rcodeName(i), counts[i]!]);
  if (extended) for (const [code, n] of [...extended.entries()].sort((a, b) => a[0] - b[0])) if (n > 0) entries.push([rcodeName(code), n]);
  return Object.fromEntries(entries);
}
