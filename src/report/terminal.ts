// A Report (or a part of one: a target, a section) made safe for a terminal before the human
// renderers see it: every string in it (title, command, labels, servers, notes, gate lines, NSID
// and rcode keys) escaped and bounded by src/report/escape.ts. Saved reports are other people's
// files, and NSIDs come from servers.
import { terminalDeep } from './escape.js';

/** Keys whose values are never shown as text (encoded histograms) or not rendered by the text view. */
const SKIP = new Set(['histogram', 'intervals', 'config']);

/** `value` with every string escaped for a terminal; numbers and structure unchanged. Idempotent. */
export function forTerminal<T>(value: T): T {
  return terminalDeep(value, SKIP);
}
