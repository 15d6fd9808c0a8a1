// Quoting for the pod's command line. The pod runs `sh -c SCRIPT` (the segment number needs
// shell arithmetic on JOB_COMPLETION_INDEX), so every user-given argument is quoted for the shell
// (util/shell.ts, shared with the echoed command line), and the script is then escaped for the
// expansion Kubernetes itself does on command and args.

export { shellQuote } from '../util/shell.js';

/**
 * Kubernetes expands `$(VAR)` in a container's command and args before the shell sees them, and
 * reads `$$` as a literal `$` (Container.command in the core/v1 API reference). Doubling every `$`
 * leaves the text exactly as written, whatever variables the pod has.
 */
export function escapeKubernetesExpansion(s: string): string {
  return s.replace(/\$/g, () => '$$');
}
