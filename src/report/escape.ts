// Text from outside (titles, labels, notes, saved reports, query-file lines, server data) on its
// way to a terminal or a Markdown page. One module, so every renderer escapes the same way:
//
// - Terminal: C0 controls, DEL, C1 controls (ECMA-48: ESC, CSI and OSC sequences start with them),
//   line and paragraph separators and the bidirectional overrides ("Trojan Source",
//   CVE-2021-42574) are shown visibly as \n, \t, \x1b or \u{202e}, so a title cannot move the
//   cursor, retitle the window, hide text or forge a `Queries per second:` line that a script greps.
//   Backslashes are left alone: query names use them for RFC 1035 escapes. The escaped text is for
//   reading, not for parsing back.
// - Long tokens are cut to a bound with a visible marker that says how much was left out, so a 10 MB
//   query-file token gives a short error line. cut() never returns more than its bound, so applying
//   it twice changes nothing.
// - Markdown (GitHub-flavoured, e.g. $GITHUB_STEP_SUMMARY): HTML is entity-escaped (<script>,
//   <img onerror>, <!-- that would hide the rest of the page), and the characters of link, image,
//   emphasis, code and table syntax are backslash-escaped (CommonMark 2.4: any ASCII punctuation may
//   be), so a label is text, never markup.

/** Controls and invisible direction changers: C0, DEL, C1, U+2028/2029, U+200E/200F, U+202A-202E, U+2066-2069. */
const UNSAFE_ONE = /^[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]$/;

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function visible(c: string): string {
  const named = NAMED[c];
  if (named !== undefined) return named;
  const code = c.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`;
}

/** Default bound for one piece of outside text in a terminal line (characters). */
export const MAX_TEXT = 512;
/** Default bound for a label, key or token (characters). */
export const MAX_TOKEN = 80;

/**
 * `s` cut to at most `max` characters (UTF-16 units), ending in a marker such as
 * `…[+10485700 chars]` (the count is of `s`'s own characters left out) when anything was cut.
 * A surrogate pair is never split.
 */
export function cut(s: string, max: number): string {
  return bounded(String(s), max, false);
}

/**
 * One line of outside text for a terminal: every control character shown visibly (so newlines
 * cannot start a forged line), cut to at most `max` characters of output. Idempotent.
 */
export function terminalText(s: string, max: number = MAX_TEXT): string {
  return bounded(String(s), max, true);
}

const marker = (left: number): string => `…[+${left} chars]`;

/**
 * The longest prefix of `s` (escaped when `escape`) that fits in `max` output characters together
 * with the marker for the rest. Work is bounded by `max`, whatever the length of `s`.
 */
function bounded(s: string, max: number, escape: boolean): string {
  const pieces: string[] = [];
  let length = 0;
  let i = 0;
  for (; i < s.length; ) {
    const code = s.charCodeAt(i);
    const pair = code >= 0xd800 && code <= 0xdbff && i + 1 < s.length;
    let piece = pair ? s.slice(i, i + 2) : s[i]!;
    if (escape && !pair && UNSAFE_ONE.test(piece)) piece = visible(piece);
    if (length + piece.length > max) break;
    pieces.push(piece);
    length += piece.length;
    i += piece.length === 2 && pair ? 2 : 1;
  }
  if (i >= s.length) return pieces.join('');
  // Make room for the marker, which counts the characters of `s` not shown.
  let shown = i;
  while (pieces.length > 0 && length + marker(s.length - shown).length > max) {
    const last = pieces.pop()!;
    length -= last.length;
    shown -= last.length === 2 && last.charCodeAt(0) >= 0xd800 && last.charCodeAt(0) <= 0xdbff ? 2 : 1;
  }
  return pieces.join('') + marker(s.length - shown);
}

/** A label, key or short token (a target label, an NSID, a query type): terminalText with a small bound. */
export function terminalToken(s: string, max: number = MAX_TOKEN): string {
  return terminalText(s, max);
}

/** Every string in `value` (keys included) made safe for a terminal; numbers and structure kept. */
export function terminalDeep<T>(value: T, skipKeys: ReadonlySet<string> = NO_SKIP): T {
  return deep(value, skipKeys, 0) as T;
}

const NO_SKIP: ReadonlySet<string> = new Set();

function deep(v: unknown, skip: ReadonlySet<string>, depth: number): unknown {
  if (typeof v === 'string') return terminalText(v);
  if (v === null || typeof v !== 'object' || depth > 64) return v;
  if (Array.isArray(v)) return v.map((x) => deep(x, skip, depth + 1));
  // fromEntries defines own properties, so a key that reads "__proto__" stays a plain key.
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [terminalToken(k), skip.has(k) ? x : deep(x, skip, depth + 1)]));
}

const MD_HTML: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;' };

/**
 * Outside text as one line of GitHub Markdown inline text (a table cell, a heading, a quote):
 * controls shown visibly, & < > entity-escaped (no HTML, no comment, no <autolink>), and
 * \ ` * _ [ ] # | ~ backslash-escaped, so no link or image (both need "["), emphasis, code span,
 * heading closer or cell break can start. Cut to `max` first.
 */
export function markdownText(s: string, max: number = MAX_TEXT): string {
  return terminalText(s, max)
    .replace(/[\\`*_[\]#|~]/g, (c) => `\\${c}`)
    .replace(/[&<>]/g, (c) => MD_HTML[c]!);
}
