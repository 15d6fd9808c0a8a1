// Answers the generator's own UDP sockets dropped because their receive buffer was full (the
// worker did not read them in time), from Linux's /proc/net/udp and /proc/net/udp6 (the `drops`
// column, per socket, cumulative since it was opened; proc(5)). Such answers count as lost, but
// the loss is the generator's, not the server's: the generator-bound check (results/generator.ts)
// must know. Elsewhere the figure is unknown (null).
import { readFileSync } from 'node:fs';
import { isIPv4 } from 'node:net';

/** "127.0.0.1:5300" -> "0100007F:14B4" as /proc/net/udp prints it (address in host byte order). */
export function procKey(local: string): string | null {
  const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(local);
  if (!m) return null;
  const port = Number(m[2]).toString(16).toUpperCase().padStart(4, '0');
  const addr = m[1]!;
  if (isIPv4(addr)) {
    const b = addr.split('.').map(Number);
    return `${[b[3], b[2], b[1], b[0]].map((x) => x!.toString(16).toUpperCase().padStart(2, '0')).join('')}:${port}`;
  }
  const bytes = ipv6Bytes(addr);
  if (bytes === null) return null;
  // Four 32-bit words, each printed as %08X of its host-order (little-endian) value.
  let hex = '';
  for (let w = 0; w < 4; w++) for (let i = 3; i >= 0; i--) hex += bytes[4 * w + i]!.toString(16).toUpperCase().padStart(2, '0');
  return `${hex}:${port}`;
}

function ipv6Bytes(addr: string): number[] | null {
  const zone = addr.indexOf('%');
  const a = zone >= 0 ? addr.slice(0, zone) : addr;
  const [head, tail] = a.includes('::') ? a.split('::') as [string, string] : [a, null];
  const words = (s: string): number[] => (s === '' ? [] : s.split(':').map((x) => parseInt(x, 16)));
  const h = words(head);
  const t = tail === null ? [] : words(tail);
  const all = tail === null ? h : [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t];
  if (all.length !== 8 || all.some((x) => !Number.isInteger(x) || x < 0 || x > 0xffff)) return null;
  return all.flatMap((x) => [x >> 8, x & 0xff]);
}

/** Drops per local address key, from one /proc/net/udp-format text. */
export function parseProcUdp(text: string): Map<string, number> {
  const out = new Map<string, number>();
  const lines = text.split('\n');
  for (let i = 1; i < lines.length; i++) {
    const f = lines[i]!.trim().split(/\s+/);
    // sl local rem st tx:rx tr:when retrnsmt uid timeout inode ref pointer drops
    if (f.length < 13) continue;
    const drops = Number(f[12]);
    if (Number.isFinite(drops)) out.set(f[1]!, (out.get(f[1]!) ?? 0) + drops);
  }
  return out;
}

/**
 * Total receive-buffer drops so far of the UDP sockets bound to these local "address:port"
 * strings, or null when /proc/net/udp cannot be read (not Linux). Sockets not found (TCP
 * connections, closed sockets) count 0.
 */
export function udpReceiveDrops(locals: readonly string[]): number | null {
  let table: Map<string, number>;
  try {
    table = parseProcUdp(readFileSync('/proc/net/udp', 'latin1'));
    try {
      for (const [k, v] of parseProcUdp(readFileSync('/proc/net/udp6', 'latin1'))) table.set(k, (table.get(k) ?? 0) + v);
    } catch {
      // no IPv6
    }
  } catch {
    return null;
  }
  let sum = 0;
  for (const l of new Set(locals)) {
    const k = procKey(l);
    if (k !== null) sum += table.get(k) ?? 0;
  }
  return sum;
}
