// dig (bind9-dnsutils) run inside a lab host, with its text output parsed into rcode, answers and
// NSID. The rig is checked with a tool that is not ours, so a broken dnsbench cannot make a broken
// rig look healthy (and the other way round).
import { isLabAddress, type Lab } from './netns.js';

/** TSIG key for dig -y, as in named.conf (hmac-md5 is the seed's algorithm). */
export interface DigKey {
  algorithm: string;
  name: string;
  /** base64 */
  secret: string;
}

export interface DigQuery {
  name: string;
  /** Default A. */
  type?: string;
}

export interface DigOptions {
  /** Server address; must be in the lab (198.18.0.0/24) or loopback inside the host. */
  server: string;
  /** Default 53. */
  port?: number;
  /** Sign with this key (dig -y); the answer's TSIG is verified by dig. */
  key?: DigKey;
  /** Ask for NSID (RFC 5001; named answers with its server-id). Default true. */
  nsid?: boolean;
  /** Source address (dig -b), e.g. a client's second address to pick a view by address. */
  source?: string;
  /** dig +time (whole seconds, dig's minimum is 1). Default 1. */
  timeS?: number;
  /** TCP instead of UDP. */
  tcp?: boolean;
}

/** One parsed answer. */
export interface DigAnswer {
  /** RCODE name from the header, e.g. NOERROR, NXDOMAIN, REFUSED. */
  rcode: string;
  /** Rdata of the answer-section records of the queried type, in the order received. */
  answers: string[];
  /** NSID text (named's server-id), or null when the answer carried none. */
  nsid: string | null;
  /** True when the answer had a TSIG record (dig verified it; a failure shows in `warnings`). */
  signed: boolean;
  /** dig's own ";; " warning lines, e.g. a TSIG verification failure. */
  warnings: string[];
}

export interface DigResult {
  /** Null when nothing answered within +time (dig exits 9). */
  answer: DigAnswer | null;
  /** Wall time of the whole dig process, ms (includes ~10-30 ms of process start). */
  ms: number;
  /** dig's stdout, for error messages. */
  raw: string;
}

function digArgs(opts: DigOptions, queries: readonly DigQuery[]): string[] {
  if (opts.server !== '127.0.0.1' && !isLabAddress(opts.server)) throw new Error(`dig: server ${opts.server} is outside the lab`);
  if (opts.source !== undefined && !isLabAddress(opts.source)) throw new Error(`dig: source ${opts.source} is outside the lab`);
  const args = ['dig', `+time=${opts.timeS ?? 1}`, '+tries=1', '+norecurse', '+nocookie', `@${opts.server}`, '-p', String(opts.port ?? 53)];
  if (opts.nsid ?? true) args.push('+nsid');
  if (opts.tcp) args.push('+tcp');
  if (opts.source !== undefined) args.push('-b', opts.source);
  if (opts.key) args.push('-y', `${opts.key.algorithm}:${opts.key.name}:${opts.key.secret}`);
  for (const q of queries) args.push(q.name, q.type ?? 'A');
  return args;
}

/** One query with dig in `from`. Never throws for a timeout (answer null); throws if dig cannot run. */
export async function dig(lab: Lab, from: string, query: DigQuery, opts: DigOptions): Promise<DigResult> {
  const r = await lab.exec(from, digArgs(opts, [query]), { allowFailure: true, timeoutMs: (opts.timeS ?? 1) * 1000 + 5000 });
  const parsed = parseDigOutput(r.stdout, query.type ?? 'A');
  if (parsed.length === 0 && r.code !== 9) throw new Error(`dig in ${from} failed (exit ${r.code}): ${r.stderr.trim() || r.stdout.trim()}`);
  return { answer: parsed[0] ?? null, ms: r.ms, raw: r.stdout };
}

/**
 * Several queries in one dig process (sent one after the other): cheap for "a handful of queries"
 * against a healthy server. Throws unless every query got an answer, since with a gap the answers
 * could not be matched to their queries.
 */
export async function digMany(lab: Lab, from: string, queries: readonly DigQuery[], opts: DigOptions): Promise<DigAnswer[]> {
  if (queries.length === 0) return [];
  if (queries.length > 500) throw new Error('digMany: at most 500 queries per call');
  const types = new Set(queries.map((q) => q.type ?? 'A'));
  if (types.size !== 1) throw new Error('digMany: one query type per call');
  const r = await lab.exec(from, digArgs(opts, queries), { allowFailure: true, timeoutMs: queries.length * (opts.timeS ?? 1) * 1000 + 5000 });
  const parsed = parseDigOutput(r.stdout, [...types][0] ?? 'A');
  if (parsed.length !== queries.length) {
    throw new Error(`digMany in ${from}: ${parsed.length} answers for ${queries.length} queries (exit ${r.code}): ${r.stderr.trim().slice(0, 300)}`);
  }
  return parsed;
}

/**
 * Parses dig's default text output (one or several "Got answer" blocks) into answers, in order.
 * Only records of `type` in the ANSWER SECTION count as answers (a CNAME chain's target records
 * would also be of that type). Exported for a unit test on captured output.
 */
export function parseDigOutput(text: string, type: string): DigAnswer[] {
  const out: DigAnswer[] = [];
  const blocks = text.split(/^;; Got answer:$/m).slice(1);
  for (const block of blocks) {
    const rcode = /->>HEADER<<- opcode: \S+, status: ([A-Z0-9]+),/.exec(block)?.[1];
    if (rcode === undefined) continue;
    const nsidText = /^; NSID: [^\n]*\("(.*)"\)\s*$/m.exec(block)?.[1];
    const answers: string[] = [];
    // no m flag: $ must be the end of the block, not of the first record's line
    const section = /(?:^|\n);; ANSWER SECTION:\n([\s\S]*?)(?:\n\n|$)/.exec(block)?.[1] ?? '';
    for (const line of section.split('\n')) {
      // owner TTL class type rdata...
      const m = /^(\S+)\s+\d+\s+(\S+)\s+(\S+)\s+(.*)$/.exec(line.trim());
      if (m && m[3]?.toUpperCase() === type.toUpperCase()) answers.push((m[4] ?? '').trim());
    }
    const warnings = block
      .split('\n')
      .filter((l) => /^;; (WARNING|Couldn't|.*(tsig|verif|fail))/i.test(l) && !/SECTION:\s*$/.test(l) && !/recursion requested but not available/.test(l));
    out.push({ rcode, answers, nsid: nsidText ?? null, signed: /^;; TSIG PSEUDOSECTION:/m.test(block), warnings });
  }
  return out;
}

/**
 * Calls `poll` until it returns a non-null value, at most every `everyMs`, and resolves that value,
 * or null once `deadlineMs` has passed. Bounded in time and in count (deadline / every + 1 polls).
 */
export async function waitFor<T>(poll: () => Promise<T | null>, deadlineMs: number, everyMs = 50): Promise<T | null> {
  const deadline = performance.now() + deadlineMs;
  const maxPolls = Math.ceil(deadlineMs / Math.max(1, everyMs)) + 1;
  for (let i = 0; i < maxPolls; i++) {
    const started = performance.now();
    const v = await poll();
    if (v !== null) return v;
    if (performance.now() >= deadline) return null;
    const pause = everyMs - (performance.now() - started);
    if (pause > 0) await new Promise((r) => setTimeout(r, pause));
  }
  return null;
}

/** One dig of a series, with its send time. */
export interface ProbeSample {
  /** ms from the series' time origin to the start of this dig. */
  atMs: number;
  answer: DigAnswer | null;
}

/** digSeries settings beyond the dig options. */
export interface SeriesOptions {
  /** ms between dig starts. */
  everyMs: number;
  /** Longest the series runs, ms. */
  forMs: number;
  /** performance.now() value the sample times are relative to (e.g. just before the failure). */
  origin: number;
  /**
   * Stop early once the last `count` samples in send order (all finished) satisfy `ok`, and at
   * least one earlier sample did not: "it switched, and stayed switched".
   */
  settle?: { ok: (a: DigAnswer | null) => boolean; count: number };
}

/**
 * Starts a dig every `everyMs` (each in its own process, so a timed-out one does not delay the
 * next) and resolves all samples in send order once every dig has finished. Bounded: at most
 * forMs / everyMs + 1 digs, each of at most +time seconds.
 */
export async function digSeries(lab: Lab, from: string, query: DigQuery, opts: DigOptions & SeriesOptions): Promise<ProbeSample[]> {
  const pending: Promise<ProbeSample>[] = [];
  const done: (ProbeSample | undefined)[] = [];
  const start = performance.now();
  const count = Math.floor(opts.forMs / opts.everyMs) + 1;
  const settled = (): boolean => {
    const s = opts.settle;
    if (!s) return false;
    let prefix = 0; // samples finished in send order
    while (prefix < done.length && done[prefix] !== undefined) prefix++;
    if (prefix < s.count + 1) return false;
    const tailOk = done.slice(prefix - s.count, prefix).every((x) => s.ok(x!.answer));
    return tailOk && done.slice(0, prefix - s.count).some((x) => !s.ok(x!.answer));
  };
  for (let i = 0; i < count && !settled(); i++) {
    const due = start + i * opts.everyMs;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const atMs = performance.now() - opts.origin;
    const index = i;
    done.push(undefined);
    pending.push(
      dig(lab, from, query, opts).then((r) => {
        const sample = { atMs, answer: r.answer };
        done[index] = sample;
        return sample;
      }),
    );
  }
  return Promise.all(pending);
}

/**
 * The outage in a series: from the first sample that got no good answer (`ok` false) to the first
 * good sample after the last bad one. Null when every sample was good. Times in ms, as the samples.
 */
export function outageOf(samples: readonly ProbeSample[], ok: (a: DigAnswer | null) => boolean): { fromMs: number; toMs: number | null; bad: number } | null {
  const bad = samples.filter((s) => !ok(s.answer));
  if (bad.length === 0) return null;
  const first = bad[0]!;
  const last = bad[bad.length - 1]!;
  const recovered = samples.find((s) => s.atMs > last.atMs && ok(s.answer));
  return { fromMs: first.atMs, toMs: recovered ? recovered.atMs : null, bad: bad.length };
}
