// The zone the embedded responder serves: an RFC 1035 master-file subset parsed into an index of
// RRsets by (lower-cased owner, numeric type). Records keep dns-packet's shapes so they encode as is.
import type { Answer, SoaAnswer } from 'dns-packet';
import { InputError, type LineProblem } from '../errors.js';
import { readBounded, sizeText, TooLargeError } from '../util/read-bounded.js';
import { lexZone, type Entry } from './zone-lexer.js';
import { FieldError, absoluteName, nameKey, parseTtl } from './zone-fields.js';
import { RRTYPE, isSupportedType, parseRecord, unknownTypeReason } from './zone-rdata.js';

export { RRTYPE } from './zone-rdata.js';

/** RRsets at one owner name, by numeric type. */
export type ZoneNode = ReadonlyMap<number, readonly Answer[]>;

export interface Zone {
  /** The apex (owner of the SOA) in dns-packet's spelling: no trailing dot, case as written. */
  readonly origin: string;
  readonly soa: SoaAnswer;
  /** Lower-cased owner name -> its RRsets. */
  readonly nodes: ReadonlyMap<string, ZoneNode>;
  /**
   * Names that own nothing but have descendants (e.g. `_tcp.demo.test` under `_sip._tcp.demo.test`).
   * They exist, so a query for them is NODATA, not NXDOMAIN (RFC 8020).
   */
  readonly emptyNonTerminals: ReadonlySet<string>;
  readonly recordCount: number;
}

/** How many problems an InputError lists; the total is always given. */
const MAX_LISTED = 10;

interface Placed {
  readonly record: Answer;
  readonly key: string;
  readonly line: number;
}

/**
 * Parses master-file text. `file` names the source in messages; `origin` is the initial $ORIGIN
 * (as a zone statement in named.conf gives it), needed when the file uses relative names without one.
 * Throws InputError listing up to 10 `file:line: reason` problems and their total.
 */
export function parseZone(text: string, file: string, origin?: string): Zone {
  const problems: LineProblem[] = [];
  const report = (line: number, reason: string): void => void problems.push({ file, line, reason });

  let currentOrigin: string | null = null;
  if (origin !== undefined) {
    try {
      currentOrigin = absoluteName(origin.endsWith('.') ? origin : `${origin}.`, null);
    } catch (e) {
      if (!(e instanceof FieldError)) throw e;
      report(0, `origin: ${e.message}`);
    }
  }

  const state: EntryState = { origin: currentOrigin, defaultTtl: null, lastTtl: null, lastOwner: null };
  const placed: Placed[] = [];
  for (const entry of lexZone(text, report)) {
    try {
      const record = readEntry(entry, state);
      if (record) placed.push({ record, key: nameKey(record.name), line: entry.line });
    } catch (e) {
      if (!(e instanceof FieldError)) throw e;
      report(entry.line, e.message);
    }
  }

  const zone = buildIndex(placed, report);
  if (problems.length > 0 || !zone) {
    problems.sort((a, b) => a.line - b.line);
    const listed = problems.slice(0, MAX_LISTED);
    const more = problems.length - listed.length;
    const lines = [
      `${file}: ${problems.length} problem${problems.length === 1 ? '' : 's'} in zone file`,
      ...listed.map((p) => (p.line > 0 ? `${p.file}:${p.line}: ${p.reason}` : `${p.file}: ${p.reason}`)),
      ...(more > 0 ? [`(and ${more} more)`] : []),
    ];
    throw InputError.fromLines(lines, listed, problems.length);
  }
  return zone;
}

/** Largest zone file `serve --zone` reads (bytes); /dev/zero or an endless FIFO stops here. */
export const MAX_ZONE_FILE_BYTES = 256 * 1024 * 1024;

/** Reads and parses a zone file; an unreadable or oversized file is an InputError like a bad line. */
export function loadZoneFile(path: string, origin?: string): Zone {
  let text: string;
  try {
    text = readBounded(path, MAX_ZONE_FILE_BYTES).toString('utf8');
  } catch (e) {
    const reason =
      e instanceof TooLargeError
        ? `more than ${sizeText(e.maxBytes)} (or it does not end, like /dev/zero); expected a zone master file`
        : e instanceof Error && 'code' in e
          ? `cannot read zone file (${String(e.code)})`
          : 'cannot read zone file';
    throw new InputError(`${path}: ${reason}`, [{ file: path, line: 0, reason }], 1);
  }
  return parseZone(text, path, origin);
}

interface EntryState {
  origin: string | null;
  /** From $TTL (RFC 2308 section 4). */
  defaultTtl: number | null;
  /** The last TTL written on a record: RFC 1035's default when there is no $TTL. */
  lastTtl: number | null;
  lastOwner: string | null;
}

/** Applies a directive to `state`, or returns the record an entry describes. */
function readEntry(entry: Entry, state: EntryState): Answer | null {
  const words = entry.tokens;
  const first = words[0]!;
  if (!entry.blankOwner && !first.quoted && first.text.startsWith('$')) {
    const directive = first.text.toUpperCase();
    const arg = words[1];
    if (directive === '$TTL' || directive === '$ORIGIN') {
      if (!arg || words.length > 2) throw new FieldError(`${directive} needs exactly one value`);
      if (directive === '$TTL') state.defaultTtl = parseTtl(arg.text);
      else state.origin = absoluteName(arg.text, state.origin);
      return null;
    }
    throw new FieldError(`directive ${first.text} is not supported (only $TTL and $ORIGIN)`);
  }

  let i = 0;
  let owner: string;
  if (entry.blankOwner) {
    if (state.lastOwner === null) throw new FieldError('line starts with a blank but there is no previous owner name');
    owner = state.lastOwner;
  } else {
    owner = absoluteName(first.text, state.origin);
    i = 1;
  }
  state.lastOwner = owner;

  // TTL and class may come in either order, each at most once (RFC 1035 5.1).
  let ttl: number | null = null;
  let sawClass = false;
  for (let n = 0; n < 2 && i < words.length; n++) {
    const word = words[i]!.text;
    if (/^\d/.test(word) && ttl === null) {
      ttl = parseTtl(word);
    } else if (!sawClass && /^(IN|CH|CS|HS|ANY|NONE)$/i.test(word)) {
      if (word.toUpperCase() !== 'IN') throw new FieldError(`class ${word.toUpperCase()} is not supported (only IN)`);
      sawClass = true;
    } else {
      break;
    }
    i++;
  }

  const typeToken = words[i];
  if (!typeToken) throw new FieldError('missing record type');
  const type = typeToken.text.toUpperCase();
  if (typeToken.quoted || !isSupportedType(type)) throw new FieldError(unknownTypeReason(type));

  if (ttl !== null) state.lastTtl = ttl;
  const effectiveTtl = ttl ?? state.defaultTtl ?? state.lastTtl;
  if (effectiveTtl === null) throw new FieldError('no TTL on this record and no $TTL before it');
  return parseRecord(type, owner, effectiveTtl, words.slice(i + 1), state.origin);
}

/** Finds the apex, checks zone-wide rules and indexes the records; null when there is no SOA. */
function buildIndex(placed: readonly Placed[], report: (line: number, reason: string) => void): Zone | null {
  const soas = placed.filter((p) => p.record.type === 'SOA');
  if (soas.length === 0) {
    report(0, 'no SOA record (the SOA owner is the zone apex; a zone needs exactly one)');
    return null;
  }
  for (const extra of soas.slice(1)) report(extra.line, 'second SOA record (a zone has exactly one, at its apex)');
  const soa = soas[0]!.record as SoaAnswer;
  const apex = soas[0]!.key;

  const nodes = new Map<string, Map<number, Answer[]>>();
  const cnameLines = new Map<string, number>(); // owner key -> line of its first CNAME, for messages
  for (const { record, key, line } of placed) {
    if (key !== apex && apex !== '' && !key.endsWith(`.${apex}`)) {
      report(line, `'${record.name}.' is outside the zone '${soa.name}.'`);
      continue;
    }
    let node = nodes.get(key);
    if (!node) nodes.set(key, (node = new Map()));
    const code = RRTYPE[record.type as keyof typeof RRTYPE];
    let rrset = node.get(code);
    if (!rrset) node.set(code, (rrset = []));
    rrset.push(record);
    if (record.type === 'CNAME' && !cnameLines.has(key)) cnameLines.set(key, line);
  }

  // RFC 1034 3.6.2 / RFC 2181 10.1: a CNAME is alone at its name and there is only one.
  for (const [key, line] of cnameLines) {
    const node = nodes.get(key)!;
    if (node.size > 1) report(line, `CNAME at '${key}.' cannot coexist with other records there`);
    if ((node.get(RRTYPE.CNAME)?.length ?? 0) > 1) report(line, `more than one CNAME at '${key}.'`);
  }

  const emptyNonTerminals = new Set<string>();
  for (const key of nodes.keys()) {
    for (let parent = parentOf(key); parent !== null && parent !== apex && parent.length > apex.length; parent = parentOf(parent)) {
      if (!nodes.has(parent)) emptyNonTerminals.add(parent);
    }
  }
  return { origin: soa.name, soa, nodes, emptyNonTerminals, recordCount: placed.length };
}

function parentOf(key: string): string | null {
  if (key === '') return null;
  const dot = key.indexOf('.');
  return dot < 0 ? '' : key.slice(dot + 1);
}
