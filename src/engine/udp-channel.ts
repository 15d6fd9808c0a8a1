// DNS over UDP: one connected socket per channel (its own source port, which is what load
// balancers and SO_REUSEPORT hash on). Every datagram is one DNS message.
import dgram, { type Socket } from 'node:dgram';
import { DnsChannel, type ChannelOwner, type QueryViews } from './channel.js';
import type { Recorder } from './recorder.js';

export interface UdpOpenOptions {
  host: string;
  port: number;
  family: 4 | 6;
  localAddress: string | null;
  localPort: number | null;
  bufferBytes: number | null;
}

export class UdpChannel extends DnsChannel {
  private constructor(
    private readonly socket: Socket,
    window: number,
    q: QueryViews,
    recorder: Recorder,
    owner: ChannelOwner,
  ) {
    super(window, q, recorder, owner);
    socket.on('message', (msg: Buffer) => this.deliver(msg));
    // Connected UDP sockets report ICMP errors (e.g. port unreachable) as socket errors. They are
    // counted, never fatal: the affected queries time out and are counted as lost.
    socket.on('error', () => {
      this.recorder.c.socketErrors++;
    });
  }

  /** Bind and connect before the run starts, so socket setup is never timed. */
  static async open(o: UdpOpenOptions, window: number, q: QueryViews, recorder: Recorder, owner: ChannelOwner): Promise<UdpChannel> {
    const socket = dgram.createSocket({
      type: o.family === 6 ? 'udp6' : 'udp4',
      ...(o.bufferBytes !== null ? { recvBufferSize: o.bufferBytes, sendBufferSize: o.bufferBytes } : {}),
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind({ address: o.localAddress ?? undefined, port: o.localPort ?? 0, exclusive: true }, () => {
        socket.connect(o.port, o.host, () => {
          socket.off('error', reject);
          resolve();
        });
      });
    });
    return new UdpChannel(socket, window, q, recorder, owner);
  }

  endpoints(): { local: string; remote: string } {
    const l = this.socket.address();
    const r = this.socket.remoteAddress();
    const fmt = (a: string, p: number): string => (a.includes(':') ? `[${a}]:${p}` : `${a}:${p}`);
    return { local: fmt(l.address, l.port), remote: fmt(r.address, r.port) };
  }

  protected transmit(msg: Buffer): void {
    this.socket.send(msg);
  }

  close(): void {
    this.socket.removeAllListeners('message');
    this.socket.close();
  }
}
