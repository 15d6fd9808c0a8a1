// A TCP listener for the embedded responder (RFC 7766): the same zone, answered over 2-byte length
// framed connections, so a --tcp-fallback run has somewhere to go after the UDP side (with its
// `truncate` fault) says TC=1. The fault knobs apply here as over UDP (src/serve/fault-reply.ts),
// except truncate: TC=1 tells a client to retry over TCP, so over TCP the answer is sent whole.
// One knob of its own: `closeAfter` closes each connection after that many replies, which
// exercises a client's reconnection and its accounting of queries lost with the connection.
import { Buffer } from 'node:buffer';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { RunError } from '../errors.js';
import { listenHint } from './listen-error.js';
import { FrameReader } from '../engine/transports/framing.js';
import { buildAnswer, buildHeaderOnly, RCODE } from './answer.js';
import { faultyReply, zeroFaultCounters, type FaultCounters } from './fault-reply.js';
import { FaultAction, makeFaultPlan, NO_FAULTS, validateFaults, type Faults } from './faults.js';
import { QueryStatus, newParsedQuery, parseQuery } from './query.js';
import type { Zone } from './zone.js';
import type { Capacity } from './capacity.js';

export interface TcpResponderOptions {
  address?: string;
  /** 0 picks a free port; the UDP responder's port when serving both. */
  port: number;
  zone: Zone;
  /** Close a connection after sending this many replies on it (0 or absent: never). */
  closeAfter?: number;
  /** The same knobs as over UDP; `truncate` is ignored (see above). Missing knobs are 0. */
  faults?: Partial<Faults>;
  /** Seed of the TCP side's own fault sequence (reproducible per transport). */
  seed?: number;
  /** --capacity: the same token bucket as the UDP side's (the server's capacity is shared). */
  capacity?: Capacity;
}

/** Counters since start: every query read lands in exactly one of overCapacity, the fault counters or malformed. */
export interface TcpResponderStats extends FaultCounters {
  connections: number;
  /** Queries read from connections. */
  received: number;
  /** Dropped because the --capacity token bucket was empty. */
  overCapacity: number;
  /** Could not be parsed: answered FORMERR, or ignored when there was not even a query header. */
  malformed: number;
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
  const stats: TcpResponderStats = { connections: 0, received: 0, overCapacity: 0, malformed: 0, closedByFault: 0, ...zeroFaultCounters() };
  const capacity = opts.capacity ?? null;
  const sockets = new Set<net.Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const parsed = newParsedQuery();
  const closeAfter = opts.closeAfter ?? 0;
  const plan = makeFaultPlan({ ...validateFaults(opts.faults ?? NO_FAULTS), truncate: 0 }, (opts.seed ?? 1) >>> 0);
  const server = net.createServer((socket) => {
    stats.connections++;
    sockets.add(socket);
    socket.setNoDelay(true);
    let replies = 0;
    let ending = false;
    const transmit = (reply: Buffer): void => {
      if (ending || socket.destroyed) return;
      const framed = Buffer.allocUnsafe(reply.length + 2);
      framed.writeUInt16BE(reply.length, 0);
      reply.copy(framed, 2);
      socket.write(framed);
      if (closeAfter > 0 && ++replies >= closeAfter) {
        // Queries already pipelined behind this one go unanswered, as with a server that closes.
        stats.closedByFault++;
        ending = true;
        socket.end();
      }
    };
    const reader = new FrameReader((buf, off, len) => {
      // Everything taken from msg is copied before this callback returns (the reader reuses buf).
      const msg = buf.subarray(off, off + len);
      if (ending || socket.destroyed) return;
      stats.received++;
      if (capacity !== null && !capacity.admit(performance.now())) {
        stats.overCapacity++; // never answered on this connection, as with an overloaded server
        return;
      }
      const q = parseQuery(msg, parsed);
      let reply: Buffer | null;
      if (q.status === QueryStatus.ignore) {
        stats.malformed++;
        return;
      } else if (q.status === QueryStatus.formErr) {
        stats.malformed++;
        reply = buildHeaderOnly(msg, RCODE.formErr);
      } else if (q.status === QueryStatus.notImp) {
        stats.answered++;
        reply = buildHeaderOnly(msg, RCODE.notImp);
      } else {
        const action = plan.active ? plan.draw() : FaultAction.none;
        reply = faultyReply(action, msg, q, plan, () => buildAnswer(opts.zone, msg, q, TCP_LIMIT), stats);
      }
      if (reply === null) return;
      const delayMs = plan.delayMs + (capacity?.delayMs() ?? 0);
      if (delayMs <= 0) {
        transmit(reply);
        return;
      }
      // As over UDP: at least the full delay (timers may fire up to 1 ms early), then send.
      const due = performance.now() + delayMs;
      const fire = (): void => {
        timers.delete(timer);
        const left = due - performance.now();
        if (left > 0) {
          timer = setTimeout(fire, Math.ceil(left));
          timers.add(timer);
          return;
        }
        transmit(reply);
      };
      let timer = setTimeout(fire, delayMs);
      timers.add(timer);
    });
    socket.on('data', (chunk: Buffer) => reader.push(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  const address = opts.address ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e) => reject(new RunError(`cannot listen on tcp ${address}:${opts.port}: ${listenHint(e)}`)));
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
        for (const t of timers) clearTimeout(t);
        timers.clear();
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      });
      return closing;
    },
  };
}
