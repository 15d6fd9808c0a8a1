// Quoting for the pod's command line. The pod runs `sh -c SCRIPT` (the segment number needs
// shell arithmetic on JOB_COMPLETION_INDEX), so every user-given argument is quoted for the shell,
// and the script is then escaped for the expansion Kubernetes itself does on command and args.
// Two one-line rules, each from its spec, rather than a dependency: shell-quote's quote() escapes
// with backslashes instead, and had an injection bug (CVE-2021-42740).

/**
 * One argument as a POSIX shell word: bare when it holds only characters no shell treats
 * specially, else in single quotes, inside which everything is literal (POSIX XCU 2.2.2); a
 * single quote itself is written as '\'' (close, escaped quote, reopen).
 */
export function shellQuote(arg: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/**
 * Kubernetes expands `$(VAR)` in a container's command and args before the shell sees them, and
 * reads `$$` as a literal `$` (Container.command in the core/v1 API reference). Doubling every `$`
 * leaves the text exactly as written, whatever variables the pod has.
 */
export function escapeKubernetesExpansion(s: string): string {
  return s.replace(/\$/g, () => '$$');
}
