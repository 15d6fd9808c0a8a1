// `dnsbench merge -`: JSON reports found in a stream, as generators print them with `--json -`
// and as `kubectl logs --prefix` collects them: several reports concatenated, each line possibly
// prefixed `[pod/NAME/CONTAINER] `, lines of several pods interleaved, and other log lines
// (stderr, warnings) between them. Every input is bounded: total bytes, reports, and log sources
// that are open at once; past a bound the stream is refused with one line.
import { StringDecoder } from 'node:string_decoder';
import { InputError } from '../errors.js';
import { MAX_SEGMENTS } from '../queryset/segment.js';
import { reportFromJson } from './load.js';
import type { Report } from './report.js';

/** Bounds on what one stream may hold. */
export interface StreamLimits {
  /** Total bytes read (default 512 MiB: a 60 s report is ~50-200 KB, so far more than 1000 of them). */
  maxBytes: number;
  /** Reports found (default MAX_SEGMENTS: one per generator). */
  maxReports: number;
  /** Log sources (prefixes) with a report open at the same moment. */
  maxOpenSources: number;
}

export const STREAM_LIMITS: StreamLimits = { maxBytes: 512 * 1024 * 1024, maxReports: MAX_SEGMENTS, maxOpenSources: 4 * MAX_SEGMENTS };

/** A report found in the stream, named for messages (its log source, or its place in the stream). */
export interface FoundReport {
  name: string;
  report: Report;
}

/** A report that started but did not end before the stream (or its source's next report) did. */
export interface TruncatedReport {
  name: string;
  /** Bytes of it that arrived. */
  bytes: number;
}

export interface StreamScan {
  reports: FoundReport[];
  truncated: TruncatedReport[];
  /** Lines that were not part of a report (other log lines), and JSON objects that are not reports. */
  otherLines: number;
  otherJson: number;
}

// `kubectl logs --prefix`: "[pod/NAME/CONTAINER] " before each line (kubectl's own format).
const KUBECTL_PREFIX = /^\[(pod\/[^\s/\]]+\/[^\s/\]]+)\] ?/;
// Our reports start `{` then `"$schema": "https://dnsbench.dev/schema/...`: how a broken
// candidate is told apart from a log line that merely holds braces.
const REPORT_MARK = '"https://dnsbench.dev/schema/report-';

interface Open {
  parts: string[];
  bytes: number;
  depth: number;
  inString: boolean;
  escape: boolean;
  /** Stream line where it started (1-based). */
  line: number;
  /** The first line was a lone `{`: how our (pretty-printed) reports start. */
  loneBrace: boolean;
}

/**
 * Finds every complete JSON report in a stream fed in chunks (push, then end). Synchronous and
 * free of I/O, so it is tested on strings; readReportStream feeds it from a stream.
 * @throws InputError past a limit, or for a report that is broken (marked as ours but not valid
 *   JSON, or of a schema version this build cannot read).
 */
export class ReportStreamScanner {
  private readonly decoder = new StringDecoder('utf8');
  private readonly open = new Map<string, Open>();
  /** Reports per named source so far, to number a second report of one pod. */
  private readonly perSource = new Map<string, number>();
  /** The line being read, in pieces: a long line arriving in many chunks is joined once. */
  private pending: string[] = [];
  private bytes = 0;
  private line = 0;
  private readonly result: StreamScan = { reports: [], truncated: [], otherLines: 0, otherJson: 0 };

  constructor(
    private readonly streamName = '<stdin>',
    private readonly limits: StreamLimits = STREAM_LIMITS,
  ) {}

  push(chunk: Uint8Array | string): void {
    this.bytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
    if (this.bytes > this.limits.maxBytes) {
      throw new InputError(
        `${this.streamName}: more than ${formatBytes(this.limits.maxBytes)} of input; merge reads at most that much from a stream ` +
          '(save the reports to files and merge the files instead)',
      );
    }
    const text = typeof chunk === 'string' ? chunk : this.decoder.write(chunk);
    let from = 0;
    for (let lf = text.indexOf('\n'); lf >= 0; lf = text.indexOf('\n', from)) {
      const piece = text.slice(from, lf);
      this.takeLine(this.pending.length > 0 ? this.pending.join('') + piece : piece);
      this.pending = [];
      from = lf + 1;
    }
    if (from < text.length) this.pending.push(text.slice(from));
  }

  end(): StreamScan {
    const rest = this.pending.join('') + this.decoder.end();
    this.pending = [];
    if (rest !== '') this.takeLine(rest);
    for (const [source, o] of this.open) this.truncate(source, o);
    this.open.clear();
    return this.result;
  }

  private takeLine(raw: string): void {
    this.line++;
    let text = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    let source = '';
    const m = KUBECTL_PREFIX.exec(text);
    if (m) {
      source = m[1]!;
      text = text.slice(m[0].length);
    }
    let o = this.open.get(source);
    if (o !== undefined) {
      const c = text.charCodeAt(0);
      if (text.startsWith('{')) {
        // A `{` in column 0 never continues a pretty-printed report: the open one was cut off.
        this.truncate(source, o);
        this.open.delete(source);
        o = undefined;
      } else if (!(text === '' || c === 0x20 || c === 0x09 || c === 0x7d /* } */ || c === 0x5d /* ] */)) {
        // Continuation lines of a pretty-printed report are indented or close a bracket; this one
        // is another log line (e.g. stderr) that landed inside it.
        this.result.otherLines++;
        return;
      } else {
        this.scan(source, o, text, 0);
        return;
      }
    }
    const start = text.search(/\S/);
    if (start < 0 || text[start] !== '{') {
      this.result.otherLines++;
      return;
    }
    this.begin(source, text, start);
  }

  private begin(source: string, text: string, at: number): void {
    if (this.open.size >= this.limits.maxOpenSources) {
      throw new InputError(`${this.streamName}: more than ${this.limits.maxOpenSources} log sources with a report open at once; is this the output of dnsbench generators?`);
    }
    const o: Open = { parts: [], bytes: 0, depth: 0, inString: false, escape: false, line: this.line, loneBrace: text.slice(at).trim() === '{' };
    this.open.set(source, o);
    this.scan(source, o, text, at);
  }

  /** Feeds text[from..] to the open candidate; on its closing brace, takes it and goes on with the rest of the line. */
  private scan(source: string, o: Open, text: string, from: number): void {
    let i = from;
    for (; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (o.inString) {
        if (o.escape) o.escape = false;
        else if (c === 0x5c /* \ */) o.escape = true;
        else if (c === 0x22 /* " */) o.inString = false;
      } else if (c === 0x22) o.inString = true;
      else if (c === 0x7b /* { */ || c === 0x5b /* [ */) o.depth++;
      else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
        o.depth--;
        if (o.depth === 0) break;
      }
    }
    if (i >= text.length) {
      // JSON strings cannot hold a raw line break, so a string open at the end of the line
      // means the line was cut; parsing will say so.
      o.parts.push(text.slice(from), '\n');
      o.bytes += text.length - from + 1;
      return;
    }
    o.parts.push(text.slice(from, i + 1));
    this.open.delete(source);
    this.take(source, o, o.parts.join(''));
    // Compact reports may follow each other on one line: `{...}{...}`.
    const rest = text.slice(i + 1);
    const next = rest.search(/\S/);
    if (next >= 0 && rest[next] === '{') this.begin(source, rest, next);
  }

  private take(source: string, o: Open, text: string): void {
    const mine = text.includes(REPORT_MARK);
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (e) {
      if (!mine) {
        this.result.otherJson++;
        return;
      }
      throw new InputError(`${this.nameFor(source, o)}: a report that is not valid JSON (${(e as Error).message}); collect the logs again`);
    }
    const tool = (data as { tool?: { name?: unknown } } | null)?.tool?.name;
    if (!mine && tool !== 'dnsbench') {
      this.result.otherJson++;
      return;
    }
    if (this.result.reports.length >= this.limits.maxReports) {
      throw new InputError(`${this.streamName}: more than ${this.limits.maxReports} reports; merge reads at most that many from a stream`);
    }
    const name = this.nameFor(source, o);
    this.result.reports.push({ name, report: reportFromJson(data, name) });
    this.count(source);
  }

  private truncate(source: string, o: Open): void {
    // An unclosed candidate that is not recognizably a report is a stray brace in a log line.
    if (!o.loneBrace && !o.parts.some((p) => p.includes(REPORT_MARK))) {
      this.result.otherLines++;
      return;
    }
    this.result.truncated.push({ name: this.nameFor(source, o), bytes: o.bytes });
    this.count(source);
  }

  private count(source: string): void {
    if (source !== '') this.perSource.set(source, (this.perSource.get(source) ?? 0) + 1);
  }

  /** `pod/gen-1-x/dnsbench` (`#2` for a second report of one pod), or `<stdin> line 345`. */
  private nameFor(source: string, o: Open): string {
    if (source === '') return `${this.streamName} line ${o.line}`;
    const seen = this.perSource.get(source) ?? 0;
    return seen === 0 ? source : `${source} #${seen + 1}`;
  }
}

/**
 * Reads `stream` to its end through a ReportStreamScanner. Stops reading (and throws) as soon as
 * a limit is passed, so an endless pipe is never buffered.
 */
export async function readReportStream(stream: NodeJS.ReadableStream, name = '<stdin>', limits: StreamLimits = STREAM_LIMITS): Promise<StreamScan> {
  const scanner = new ReportStreamScanner(name, limits);
  try {
    for await (const chunk of stream) scanner.push(chunk as Uint8Array | string);
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError(`cannot read reports from ${name}: ${(e as Error).message}`);
  }
  return scanner.end();
}

function formatBytes(n: number): string {
  return n >= 1024 * 1024 ? `${Math.round(n / (1024 * 1024))} MiB` : n >= 1024 ? `${Math.round(n / 1024)} KiB` : `${n} bytes`;
}
