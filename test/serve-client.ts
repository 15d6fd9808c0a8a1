// A minimal UDP client for the responder tests: send raw bytes, take replies one at a time with a
// timeout. It binds to 127.0.0.1 only; every wait is bounded.
import { Buffer } from 'node:buffer';
import dgram from 'node:dgram';
import net from 'node:net';
import dnsPacket from 'dns-packet';
import type { RecordType } from 'dns-packet';

export class UdpClient {
  private readonly queue: Buffer[] = [];
  private waiter: ((msg: Buffer | null) => void) | null = null;

  private constructor(private readonly socket: dgram.Socket) {
    socket.on('message', (msg) => {
      if (this.waiter) {
        const w = this.waiter;
        this.waiter = null;
        w(msg);
      } else {
        this.queue.push(msg);
      }
    });
  }

  static async open(): Promise<UdpClient> {
    const socket = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    return new UdpClient(socket);
  }

  send(msg: Buffer, port: number): void {
    this.socket.send(msg, port, '127.0.0.1');
  }

  /** The next datagram, or null if none arrives within `timeoutMs`. */
  next(timeoutMs = 1000): Promise<Buffer | null> {
    const queued = this.queue.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiter = null;
        resolve(null);
      }, timeoutMs);
      this.waiter = (msg) => {
        clearTimeout(timer);
        resolve(msg);
      };
    });
  }

  /** Sends and waits for one reply (throws if none comes, so a test failure says so). */
  async ask(msg: Buffer, port: number, timeoutMs = 1000): Promise<Buffer> {
    this.send(msg, port);
    const reply = await this.next(timeoutMs);
    if (!reply) throw new Error(`no reply within ${timeoutMs} ms`);
    return reply;
  }

  /** Takes whatever has arrived (and keeps waiting while replies still trickle in, up to `quietMs`). */
  async drain(quietMs = 50): Promise<Buffer[]> {
    const out: Buffer[] = [];
    for (let i = 0; i < 100_000; i++) {
      const msg = await this.next(quietMs);
      if (!msg) break;
      out.push(msg);
    }
    return out;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}

/** The same over one TCP connection (RFC 7766 framing): send a query, take framed replies in order. */
export class TcpClient {
  private readonly queue: Buffer[] = [];
  private pending = Buffer.alloc(0);
  private waiter: ((msg: Buffer | null) => void) | null = null;
  closed = false;

  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.pending = Buffer.concat([this.pending, chunk]);
      while (this.pending.length >= 2 && this.pending.length >= 2 + this.pending.readUInt16BE(0)) {
        const len = this.pending.readUInt16BE(0);
        const msg = this.pending.subarray(2, 2 + len);
        this.pending = this.pending.subarray(2 + len);
        if (this.waiter) {
          const w = this.waiter;
          this.waiter = null;
          w(msg);
        } else this.queue.push(msg);
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => (this.closed = true));
  }

  static open(port: number): Promise<TcpClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: '127.0.0.1', port }, () => resolve(new TcpClient(socket)));
      socket.once('error', reject);
    });
  }

  send(msg: Buffer): void {
    const framed = Buffer.alloc(msg.length + 2);
    framed.writeUInt16BE(msg.length, 0);
    msg.copy(framed, 2);
    this.socket.write(framed);
  }

  /** The next framed reply, or null if none arrives within `timeoutMs`. */
  next(timeoutMs = 1000): Promise<Buffer | null> {
    const queued = this.queue.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiter = null;
        resolve(null);
      }, timeoutMs);
      this.waiter = (msg) => {
        clearTimeout(timer);
        resolve(msg);
      };
    });
  }

  close(): void {
    this.socket.destroy();
  }
}

export interface QueryOptions {
  id?: number;
  rd?: boolean;
  /** Add an OPT RR (EDNS version 0 unless `ednsVersion`). */
  edns?: boolean;
  ednsVersion?: number;
  dnssecOk?: boolean;
}

export function makeQuery(name: string, type: RecordType, opts: QueryOptions = {}): Buffer {
  const msg = dnsPacket.encode({
    type: 'query',
    id: opts.id ?? 0x1234,
    flags: opts.rd === false ? 0 : dnsPacket.RECURSION_DESIRED,
    questions: [{ name, type, class: 'IN' }],
    additionals: opts.edns
      ? [{ type: 'OPT', name: '.', udpPayloadSize: 4096, extendedRcode: 0, ednsVersion: 0, flags: opts.dnssecOk ? dnsPacket.DNSSEC_OK : 0, flag_do: false, options: [] }]
      : [],
  });
  // dns-packet writes the EDNS version from the record; patch it afterwards to send an unknown one.
  if (opts.edns && opts.ednsVersion !== undefined) msg[msg.length - 5] = opts.ednsVersion;
  return msg;
}

/** Sleeps without holding the event loop, so the responder in this process keeps answering. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
