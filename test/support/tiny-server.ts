// A tiny scripted DNS server on loopback for tests that need a server of a particular kind no
// packaged server is: one that answers FORMERR without a question to any EDNS query, header-only
// REFUSED or TC=1, BADVERS, NSID "__proto__", or answers from another address or port. The test
// gives a function from each query to its answer; UDP (and optionally TCP, RFC 7766 framing).
import { createSocket, type Socket } from 'node:dgram';
import { createServer, type Server } from 'node:net';
import { isIP } from 'node:net';
import { assertLoopback } from './dnsquery.js';
import { freePort } from './ports.js';

/** An answer, nothing (drop it), or an answer sent from the server's other socket. */
export type Reply = Buffer | null | { from: 'other'; msg: Buffer };

export interface TinyServerOptions {
  /** Listen address (loopback only). Default 127.0.0.1. */
  host?: string;
  /** Default: a free port. */
  port?: number;
  /** Answer the `n`th (0-based) UDP query. */
  udp: (query: Buffer, n: number) => Reply;
  /** Also listen on TCP on the same port and answer with this. */
  tcp?: (query: Buffer, n: number) => Buffer | null;
  /** Where { from: 'other' } answers come from: another loopback address and/or port. */
  other?: { host?: string; port?: number };
}

export interface TinyServer {
  host: string;
  port: number;
  /** Queries received so far over UDP and TCP. */
  readonly received: { udp: number; tcp: number };
  /** The other socket's "host:port", when `other` was given. */
  otherEndpoint: string | null;
  close(): Promise<void>;
}

const bind = (s: Socket, port: number, host: string): Promise<void> =>
  new Promise((resolve, reject) => {
    s.once('error', reject);
    s.bind(port, host, () => {
      s.off('error', reject);
      resolve();
    });
  });

export async function startTinyServer(o: TinyServerOptions): Promise<TinyServer> {
  const host = o.host ?? '127.0.0.1';
  assertLoopback(host);
  const type = isIP(host) === 6 ? 'udp6' : 'udp4';
  const port = o.port ?? (await freePort(host));
  const udp = createSocket(type);
  await bind(udp, port, host);
  let other: Socket | null = null;
  if (o.other) {
    const otherHost = o.other.host ?? host;
    assertLoopback(otherHost);
    other = createSocket(isIP(otherHost) === 6 ? 'udp6' : 'udp4');
    await bind(other, o.other.port ?? 0, otherHost);
  }
  const received = { udp: 0, tcp: 0 };
  udp.on('message', (msg, rinfo) => {
    const r = o.udp(msg, received.udp++);
    if (r === null) return;
    if (Buffer.isBuffer(r)) udp.send(r, rinfo.port, rinfo.address);
    else (other ?? udp).send(r.msg, rinfo.port, rinfo.address);
  });
  let tcp: Server | null = null;
  if (o.tcp) {
    const answer = o.tcp;
    tcp = createServer((sock) => {
      let buf = Buffer.alloc(0);
      sock.on('data', (chunk) => {
        buf = Buffer.concat([buf, chunk]);
        while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
          const len = buf.readUInt16BE(0);
          const q = buf.subarray(2, 2 + len);
          buf = buf.subarray(2 + len);
          const a = answer(Buffer.from(q), received.tcp++);
          if (a !== null) sock.write(Buffer.concat([Buffer.from([a.length >>> 8, a.length & 0xff]), a]));
        }
      });
      sock.on('error', () => undefined);
    });
    await new Promise<void>((resolve, reject) => {
      tcp!.once('error', reject);
      tcp!.listen(port, host, () => resolve());
    });
  }
  const otherAddr = other?.address() ?? null;
  return {
    host,
    port,
    received,
    otherEndpoint: otherAddr === null ? null : otherAddr.address.includes(':') ? `[${otherAddr.address}]:${otherAddr.port}` : `${otherAddr.address}:${otherAddr.port}`,
    async close() {
      await new Promise<void>((resolve) => udp.close(() => resolve()));
      if (other) await new Promise<void>((resolve) => other!.close(() => resolve()));
      if (tcp) await new Promise<void>((resolve) => tcp!.close(() => resolve()));
    },
  };
}

/** The query's question section (name, type, class) as bytes, or null if it has none. */
export function questionOf(q: Buffer): Buffer | null {
  if (q.length < 12 || q.readUInt16BE(4) !== 1) return null;
  let p = 12;
  while (p < q.length && q[p] !== 0) p += q[p]! + 1;
  return p + 5 <= q.length ? q.subarray(12, p + 5) : null;
}

/** True when the query carries an OPT record (ARCOUNT > 0 and a type-41 record at the end). */
export function hasOpt(q: Buffer): boolean {
  const qs = questionOf(q);
  if (qs === null || q.readUInt16BE(10) === 0) return false;
  const at = 12 + qs.length;
  return q[at] === 0 && q.readUInt16BE(at + 1) === 41;
}

/** An answer header for query `q`: its ID, QR set, the opcode and RD copied, `flags` and `rcode` added. */
export function header(q: Buffer, o: { rcode?: number; flags?: number; qd?: number; an?: number; ns?: number; ar?: number }): Buffer {
  const h = Buffer.alloc(12);
  q.copy(h, 0, 0, 2);
  const word = 0x8000 | (q.readUInt16BE(2) & 0x7900) | (o.flags ?? 0) | ((o.rcode ?? 0) & 0xf);
  h.writeUInt16BE(word, 2);
  h.writeUInt16BE(o.qd ?? 0, 4);
  h.writeUInt16BE(o.an ?? 0, 6);
  h.writeUInt16BE(o.ns ?? 0, 8);
  h.writeUInt16BE(o.ar ?? 0, 10);
  return h;
}
