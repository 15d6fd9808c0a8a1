// A TCP listener for the embedded responder (RFC 7766): the same zone, answered over 2-byte length
// framed connections, so a --tcp-fallback run has somewhere to go after the UDP side (with its
// `truncate` fault) says TC=1. One fault knob of its own: `closeAfter` closes each connection after
// that many answers, which exercises a client's reconnection and its accounting of queries lost
// with the connection.
import { Buffer } from 'node:buffer';
import net from 'node:net';
import { RunError } from '../errors.js';
import { FrameReader } from '../engine/transports/framing.js';
import { buildAnswer, buildHeaderOnly, RCODE } from './answer.js';
import { QueryStatus, newParsedQuery, parseQuery } from './query.js';
import type { Zone } from './zone.js';

export interface TcpResponderOptions {
  address?: string;
  /** 0 picks a free port; the UDP responder's port when serving both. */
  port: number;
  zone: Zone;
  /** Close a connection after answering this many queries on it (0 or absent: never). */
  closeAfter?: number;
}

export interface TcpResponderStats {
  connections: number;
  answered: number;
  /** Connections closed by the closeAfter knob. */
  closedByFault: number;
}

export interface TcpResponder {
  readonly address: string;
  readonly port: number;
  stats(): TcpResponderStats;
  close(): Promise<void>;
}

/** Largest DNS message over TCP (the 2-byte length). */
const TCP_LIMIT = 65535;

export async function startTcpResponder(opts: TcpResponderOptions): Promise<TcpResponder> {
  const stats: TcpResponderStats = { connections: 0, answered: 0, closedByFault: 0 };
  const sockets = new Set<net.Socket>();
  const parsed = newParsedQuery();
  const closeAfter = opts.closeAfter ?? 0;
  const server = net.createServer((socket) => {
    stats.connections++;
    sockets.add(socket);
    socket.setNoDelay(true);
    let answered = 0;
    let ending = false;
    const reader = new FrameReader((buf, off, len) => {
      const msg = buf.subarray(off, off + len);
      if (ending || socket.destroyed) return;
      const q = parseQuery(msg, parsed);
      let reply: Buffer;
      if (q.status === QueryStatus.ok) reply = buildAnswer(opts.zone, msg, q, TCP_LIMIT);
      else if (q.status === QueryStatus.ignore) return;
      else reply = buildHeaderOnly(msg, q.status === QueryStatus.notImp ? RCODE.notImp : RCODE.formErr);
      // buildAnswer leaves ID 0 and RD clear for caching; patch them as the UDP side does.
      reply[0] = msg[0]!;
      reply[1] = msg[1]!;
      reply[2] = (reply[2]! & 0xfe) | (msg[2]! & 0x01);
      const framed = Buffer.allocUnsafe(reply.length + 2);
      framed.writeUInt16BE(reply.length, 0);
      reply.copy(framed, 2);
      socket.write(framed);
      stats.answered++;
      if (closeAfter > 0 && ++answered >= closeAfter) {
        // Queries already pipelined behind this one go unanswered, as with a server that closes.
        stats.closedByFault++;
        ending = true;
        socket.end();
      }
    });
    socket.on('data', (chunk: Buffer) => reader.push(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  const address = opts.address ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e) => reject(new RunError(`cannot listen on tcp ${address}:${opts.port}: ${e.message}`)));
    server.listen({ host: address, port: opts.port, exclusive: true }, () => resolve());
  });
  const bound = server.address() as net.AddressInfo;
  let closing: Promise<void> | null = null;
  return {
    address: bound.address,
    port: bound.port,
    stats: () => ({ ...stats }),
    close(): Promise<void> {
      closing ??= new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      });
      return closing;
    },
  };
}
