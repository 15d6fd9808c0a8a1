// DNS over UDP with Node's dgram: one connected socket per channel (its own source port, which is
// what load balancers and SO_REUSEPORT hash on). Every datagram is one DNS message. This is the
// portable path; transports/native-udp.ts batches with sendmmsg/recvmmsg where the addon builds.
import dgram, { type Socket } from 'node:dgram';
import { DnsChannel, type ChannelContext } from '../channel.js';
import { formatHostPort } from '../../util/hostport.js';

export class UdpChannel extends DnsChannel {
  private constructor(
    private readonly socket: Socket,
    ctx: ChannelContext,
  ) {
    super(ctx);
    socket.on('message', (msg: Buffer) => this.deliver(msg, 0, msg.length, this.now()));
    // Connected UDP sockets report ICMP errors (e.g. port unreachable) as socket errors. They are
    // counted, never fatal: the affected queries time out and are counted as lost.
    socket.on('error', () => this.recorder.event('socketErrors', this.now()));
  }

  /** Bind and connect before the run starts, so socket setup is never timed. */
  static async open(ctx: ChannelContext): Promise<UdpChannel> {
    const { target, bufferBytes } = ctx;
    const socket = dgram.createSocket({
      type: target.family === 6 ? 'udp6' : 'udp4',
      ...(bufferBytes !== null ? { recvBufferSize: bufferBytes, sendBufferSize: bufferBytes } : {}),
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind({ address: ctx.localAddress ?? undefined, port: ctx.localPort ?? 0, exclusive: true }, () => {
        socket.connect(target.port, target.host, () => {
          socket.off('error', reject);
          resolve();
        });
      });
    });
    const ch = new UdpChannel(socket, ctx);
    ctx.recorder.sources.add(ch.endpoints().local);
    return ch;
  }

  endpoints(): { local: string; remote: string } {
    const l = this.socket.address();
    const r = this.socket.remoteAddress();
    return { local: formatHostPort(l.address, l.port), remote: formatHostPort(r.address, r.port) };
  }

  protected transmit(msg: Buffer): void {
    this.socket.send(msg);
  }

  close(): void {
    this.socket.removeAllListeners('message');
    this.socket.close();
  }
}
