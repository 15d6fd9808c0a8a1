// DNS over UDP with Node's dgram: one connected socket per channel (its own source port, which is
// what load balancers and SO_REUSEPORT hash on). Every datagram is one DNS message. This is the
// portable path; the native addon batches with sendmmsg/recvmmsg where it builds.
//
// Replies from an unexpected source. A connected socket only receives datagrams from the server's
// address and port: the kernel drops a reply from anywhere else (a multihomed server answering
// from its other address, DSR load balancers, NAT rewriting ports) before we could see it, and
// the run would only show timeouts. So each channel also binds an unconnected "sidecar" socket
// to the same local address and port (both with SO_REUSEADDR). The kernel delivers a datagram to
// the socket that matches it best: the server's replies to the connected socket (exact 4-tuple),
// and only what the connected socket refuses, the foreign replies, to the sidecar. Nothing on the
// hot path changes, and the connected socket still receives the server's ICMP errors (an
// unconnected socket never does on Linux without IP_RECVERR, which dgram cannot set).
//
// SO_REUSEADDR has a catch: the kernel's choice of an ephemeral port for a socket that has it may
// land on a port another SO_REUSEADDR socket holds. So the port is chosen by a plain socket first
// (which only gets a port nobody holds), then taken over by the two sockets that share it.
import dgram, { type Socket } from 'node:dgram';
import { DnsChannel, type ChannelContext } from '../channel.js';
import { formatHostPort } from '../../util/hostport.js';

/** Attempts at choosing a port and binding both sockets to it (another process may take it in between). */
const BIND_ATTEMPTS = 5;

export class UdpChannel extends DnsChannel {
  /** A send's error (ECONNREFUSED from a kept ICMP error): counted like the receive side's. */
  private readonly onSent = (err: Error | null): void => {
    if (err !== null) this.recorder.event('socketErrors', this.now());
  };
  /** Look for send errors (see transmit): until the first reply, and after a window without one. */
  private watching = true;
  private sentSinceReply = 0;

  private constructor(
    private readonly socket: Socket,
    private readonly sidecar: Socket | null,
    ctx: ChannelContext,
  ) {
    super(ctx);
    socket.on('message', (msg: Buffer) => {
      this.watching = false;
      this.sentSinceReply = 0;
      this.deliver(msg, 0, msg.length, this.now());
    });
    // Connected UDP sockets report ICMP errors (e.g. port unreachable) as socket errors. They are
    // counted, never fatal: the affected queries time out and are counted as lost.
    socket.on('error', () => this.recorder.event('socketErrors', this.now()));
    if (sidecar !== null) {
      sidecar.on('message', (_msg: Buffer, from: dgram.RemoteInfo) => this.foreignReply(formatHostPort(from.address, from.port), this.now()));
      sidecar.on('error', () => undefined);
    }
  }

  /** Bind and connect before the run starts, so socket setup is never timed. */
  static async open(ctx: ChannelContext): Promise<UdpChannel> {
    const { target, bufferBytes } = ctx;
    const type = target.family === 6 ? 'udp6' : 'udp4';
    const sizes = bufferBytes !== null ? { recvBufferSize: bufferBytes, sendBufferSize: bufferBytes } : {};
    const address = ctx.localAddress ?? undefined;
    let lastError: unknown = null;
    for (let attempt = 0; attempt < BIND_ATTEMPTS; attempt++) {
      // A plain socket gets a port no other socket holds (or fails on a -x port in use, as before).
      const probe = dgram.createSocket({ type });
      const port = await bind(probe, address, ctx.localPort ?? 0).then(
        () => probe.address().port,
        (e: unknown) => {
          probe.close();
          throw e;
        },
      );
      await closeSocket(probe);
      const socket = dgram.createSocket({ type, reuseAddr: true, ...sizes });
      try {
        await bind(socket, address, port);
        await new Promise<void>((resolve, reject) => {
          socket.once('error', reject);
          socket.connect(target.port, target.host, () => {
            socket.off('error', reject);
            resolve();
          });
        });
      } catch (e) {
        socket.close();
        lastError = e;
        // With -x the port is the user's: a failure there is final.
        if (ctx.localPort !== null) throw e;
        continue;
      }
      const sidecar = dgram.createSocket({ type, reuseAddr: true });
      const bound = await bind(sidecar, address, port).then(
        () => true,
        () => false,
      );
      if (!bound) sidecar.close();
      const ch = new UdpChannel(socket, bound ? sidecar : null, ctx);
      ctx.recorder.sources.add(ch.endpoints().local);
      return ch;
    }
    throw lastError;
  }

  endpoints(): { local: string; remote: string } {
    const l = this.socket.address();
    const r = this.socket.remoteAddress();
    return { local: formatHostPort(l.address, l.port), remote: formatHostPort(r.address, r.port) };
  }

  protected transmit(msg: Buffer): void {
    // The kernel keeps an ICMP error (port unreachable) on a connected socket until the next
    // receive or send takes it. A receive reports it ('error' above); a send fails with it, and
    // dgram drops that error unless the send has a callback. So a burst of queries to a closed port
    // counted no socket error (the sends took them) while a paced run counted one per query
    // (issue 10 item 10). A callback costs a process.nextTick per send (about 5% of a send's CPU,
    // measured), so it is only passed while errors are likely: before the first reply, and once a
    // whole window has gone out without one (sends between two replies never exceed the window
    // while the server answers).
    if (this.watching || ++this.sentSinceReply > this.window) {
      this.watching = true;
      this.socket.send(msg, this.onSent);
    } else {
      this.socket.send(msg);
    }
  }

  close(): void {
    this.socket.removeAllListeners('message');
    this.socket.close();
    if (this.sidecar !== null) {
      this.sidecar.removeAllListeners('message');
      this.sidecar.close();
    }
  }
}

function bind(socket: Socket, address: string | undefined, port: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind({ address, port, exclusive: true }, () => {
      socket.off('error', reject);
      resolve();
    });
  });
}

function closeSocket(socket: Socket): Promise<void> {
  return new Promise<void>((resolve) => socket.close(() => resolve()));
}
