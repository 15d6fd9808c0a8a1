// Splits an RFC 1035 master file (section 5.1) into entries: one entry per record or directive,
// with parentheses joining physical lines (the usual multi-line SOA) and `;` comments removed.
// Meaning is assigned later (zone.ts); this file only knows about characters.

export interface Token {
  /** The token as written; for quoted strings the text between the quotes, escapes still raw. */
  readonly text: string;
  readonly quoted: boolean;
}

export interface Entry {
  /** 1-based line where the entry starts (parenthesised continuations are reported here). */
  readonly line: number;
  /** The line started with a blank: the owner is the previous entry's owner (RFC 1035 5.1). */
  readonly blankOwner: boolean;
  readonly tokens: readonly Token[];
}

export type ReportProblem = (line: number, reason: string) => void;

/** Splits `text` into entries; reports lexical problems and drops the entries they occur in. */
export function lexZone(text: string, report: ReportProblem): Entry[] {
  // Accept CRLF files: dnsperf rejecting them is one of the bugs users hit (REFERENCE.md).
  const lines = text.split(/\r?\n/);
  const entries: Entry[] = [];
  let current: { line: number; blankOwner: boolean; tokens: Token[]; bad: boolean } | null = null;
  let depth = 0;

  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const line = lines[i] ?? '';
    const continuing = depth > 0 && current !== null;
    if (!continuing) {
      current = { line: lineNo, blankOwner: line.length > 0 && isBlank(line.charCodeAt(0)), tokens: [], bad: false };
    }
    const entry = current!;
    let p = 0;
    while (p < line.length) {
      const c = line.charCodeAt(p);
      if (isBlank(c)) {
        p++;
      } else if (c === 0x3b /* ; */) {
        break;
      } else if (c === 0x28 /* ( */) {
        depth++;
        p++;
      } else if (c === 0x29 /* ) */) {
        if (depth === 0) {
          report(lineNo, "')' without a matching '('");
          entry.bad = true;
        } else {
          depth--;
        }
        p++;
      } else if (c === 0x22 /* " */) {
        const end = findClosingQuote(line, p + 1);
        if (end < 0) {
          // Quoted strings may not span lines in this subset; saying so beats a confusing later error.
          report(lineNo, 'unterminated quoted string (a quoted string must end on the line it starts)');
          entry.bad = true;
          break;
        }
        entry.tokens.push({ text: line.slice(p + 1, end), quoted: true });
        p = end + 1;
      } else {
        const start = p;
        while (p < line.length && !endsBareToken(line.charCodeAt(p))) {
          // A backslash escapes the next character, so `\;` or `\ ` stays inside the token.
          p += line.charCodeAt(p) === 0x5c && p + 1 < line.length ? 2 : 1;
        }
        entry.tokens.push({ text: line.slice(start, p), quoted: false });
      }
    }
    if (depth === 0) {
      if (entry.tokens.length > 0 && !entry.bad) {
        entries.push({ line: entry.line, blankOwner: entry.blankOwner, tokens: entry.tokens });
      }
      current = null;
    }
  }
  if (depth > 0 && current !== null) {
    report(current.line, "'(' is never closed");
  }
  return entries;
}

function isBlank(c: number): boolean {
  return c === 0x20 || c === 0x09;
}

function endsBareToken(c: number): boolean {
  return isBlank(c) || c === 0x3b || c === 0x28 || c === 0x29 || c === 0x22;
}

/** Index of the closing quote of a string whose content starts at `from`, or -1. */
function findClosingQuote(line: string, from: number): number {
  for (let p = from; p < line.length; p++) {
    const c = line.charCodeAt(p);
    if (c === 0x5c) p++;
    else if (c === 0x22) return p;
  }
  return -1;
}
