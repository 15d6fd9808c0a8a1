// POSIX shell quoting, shared by the echoed command line ("[Status] Command line:", the JSON's
// command, the HTML page) and the Kubernetes pod script. One rule from the spec rather than a
// dependency: shell-quote's quote() escapes with backslashes instead, and had an injection bug
// (CVE-2021-42740).

/**
 * One argument as a POSIX shell word: bare when it holds only characters no shell treats
 * specially, else in single quotes, inside which everything is literal (POSIX XCU 2.2.2); a
 * single quote itself is written as '\'' (close, escaped quote, reopen). `''` for the empty string.
 */
export function shellQuote(arg: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

const C_ESCAPES: Record<string, string> = { '\n': '\\n', '\t': '\\t', '\r': '\\r', "'": "\\'", '\\': '\\\\' };

/**
 * shellQuote for display on one line: an argument holding a control character (a newline in a
 * title, an escape sequence) is written in ANSI-C quotes, $'a\nb' (bash, zsh, ksh, POSIX.1-2024),
 * so the echoed command stays one line and no raw control byte reaches the terminal.
 */
export function displayQuote(arg: string): string {
  if (!DISPLAY_UNSAFE.test(arg)) return shellQuote(arg);
  const body = arg.replace(DISPLAY_UNSAFE_ALL, (c) => {
    const known = C_ESCAPES[c];
    if (known !== undefined) return known;
    const code = c.codePointAt(0)!;
    // C0 and DEL as \xHH; C1 controls, line separators and bidi overrides (which reorder what a
    // terminal shows) as \uHHHH, which $'...' also decodes.
    return code < 0x80 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
  return `$'${body}'`;
}

/** What may not reach a terminal as is: C0, DEL, C1, line/paragraph separators, bidi controls. */
const DISPLAY_UNSAFE = /[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
const DISPLAY_UNSAFE_ALL = /[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069'\\]/g;

/**
 * A command line (argv, secrets already redacted) as one line a user can paste back into a
 * shell: `dnsbench -s 127.0.0.1 --title 'knot vs bind'`. Arguments that need no quoting are
 * left bare, so a plain dnsperf-style command reads exactly as typed.
 */
export function shellCommand(argv: readonly string[]): string {
  return argv.map(displayQuote).join(' ');
}

/** Text from outside (a title, a note) on one terminal line: a newline as \n, a tab as \t, other control characters as \xHH. */
export function oneLine(s: string): string {
  return s.replace(/[\x00-\x1f\x7f]/g, (c) => (c === '\n' ? '\\n' : c === '\t' ? '\\t' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`));
}
