// A DnsChannel with no network: `transmit` records what would go on the wire, and `receive`
// hands bytes to the channel's answer path exactly as a transport would. For tests of the
// answer path (test/answer-fuzz.test.ts) and of the engine on a fake clock. Kept small and
// general on purpose: queries in, (id, bytes) out, any bytes back in.
import { DnsChannel, type ChannelContext, type ChannelOwner, type QueryViews } from '../../src/engine/channel.js';
import { Recorder, type RecorderOptions } from '../../src/engine/recorder.js';
import type { WorkerTransport } from '../../src/engine/protocol.js';
import { registerTransport } from '../../src/engine/transports/registry.js';

export interface Transmitted {
  /** The DNS ID the channel gave the query. */
  id: number;
  /** The message as it would go on the wire (signed, with -y). */
  bytes: Buffer;
}

export class FakeChannel extends DnsChannel {
  /** Everything transmitted, in order; a test may clear it (`sent.length = 0`). */
  readonly sent: Transmitted[] = [];
  closed = false;

  constructor(ctx: ChannelContext, private readonly remote = 'fake-server:53') {
    super(ctx);
  }

  endpoints(): { local: string; remote: string } {
    return { local: 'fake-client:1', remote: this.remote };
  }

  protected transmit(msg: Buffer, id: number): void {
    this.sent.push({ id, bytes: msg });
  }

  close(): void {
    this.closed = true;
  }

  /** A message arrived from the server at clock `at` (default: the channel's clock now). */
  receive(bytes: Uint8Array, at: number = this.now()): void {
    this.deliver(bytes, 0, bytes.length, at);
  }

  /** A datagram arrived from `from` ("host:port"), not from the server. */
  receiveForeign(from: string, at: number = this.now()): void {
    this.foreignReply(from, at);
  }
}

/**
 * Query views from whole wire messages (each with ID 0, one question), as the query loader
 * builds them: back to back, with offsets and the length of each question section.
 */
export function queryViews(messages: readonly Uint8Array[]): QueryViews {
  const total = messages.reduce((n, m) => n + m.length, 0);
  const wire = Buffer.alloc(total);
  const offsets = new Uint32Array(messages.length + 1);
  const questionLengths = new Uint16Array(messages.length);
  let at = 0;
  messages.forEach((m, i) => {
    offsets[i] = at;
    wire.set(m, at);
    let p = 12;
    while (m[p]! !== 0) p += m[p]! + 1;
    questionLengths[i] = p + 1 + 4 - 12;
    at += m.length;
  });
  offsets[messages.length] = at;
  return { wire, offsets, questionLengths };
}

/** A plain UDP transport as the engine would describe it (override what a test needs). */
export function fakeTransport(o: Partial<WorkerTransport> = {}): WorkerTransport {
  return {
    mode: 'fake',
    tcpFallback: false,
    tsig: null,
    nsid: false,
    tls: { insecure: false, ca: null, sni: null },
    doh: { path: '/dns-query', authority: null, method: 'POST' },
    ...o,
  };
}

/** A recorder whose intervals start at clock 0 and whose clock reads as epoch ms unchanged. */
export function fakeRecorder(o: Partial<RecorderOptions> = {}): Recorder {
  return new Recorder({ paced: false, intervalMs: 1000, timeoutMs: 5000, startAt: 0, toEpochMs: (t) => t, ...o });
}

export interface FakeContextOptions {
  q: QueryViews;
  /** The clock (ms); default performance.now. */
  now?: () => number;
  recorder?: Recorder;
  owner?: ChannelOwner;
  window?: number;
  transport?: WorkerTransport;
}

/** Everything a channel is opened with, for a channel made outside the engine. */
export function fakeContext(o: FakeContextOptions): ChannelContext {
  return {
    target: { host: '192.0.2.53', port: 53, family: 4 },
    targetIndex: 0,
    window: o.window ?? 100,
    localAddress: null,
    localPort: null,
    bufferBytes: null,
    udpPayloadSize: null,
    connectTimeoutMs: 1000,
    transport: o.transport ?? fakeTransport(),
    q: o.q,
    recorder: o.recorder ?? fakeRecorder(),
    owner: o.owner ?? { slotFreed: () => undefined },
    now: o.now ?? (() => performance.now()),
  };
}

/**
 * Register FakeChannel as transport `name` (a -m value the engine can open); every channel the
 * engine opens is pushed to the returned list, so a test can answer what it sent.
 */
export function registerFakeTransport(name = 'fake'): FakeChannel[] {
  const opened: FakeChannel[] = [];
  registerTransport(name, (ctx) => {
    const ch = new FakeChannel(ctx);
    opened.push(ch);
    return Promise.resolve(ch);
  });
  return opened;
}
