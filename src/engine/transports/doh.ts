// DNS over HTTPS (RFC 8484) on Node's http2: one HTTP/2 connection per channel, one stream per
// query, as many concurrent streams as the channel's window allows, and never more than the
// server's SETTINGS_MAX_CONCURRENT_STREAMS (RFC 9113 5.1.2, 6.5.2). GET sends the message
// base64url-encoded in ?dns=, POST as an application/dns-message body (dnsperf's default is GET).
//
// Why the cap: past the server's limit Node queues a request inside its HTTP/2 session, so a query
// would wait there with its clock running and count the client's queue as the server's latency
// (and against -t). The channel's limit is therefore min(window, server limit), read before the
// first query and again whenever the server changes it (it may lower it mid-connection); the
// report notes the cut and how to get the window back (more connections, -c). Queries sent in the
// moment before a lowered limit arrives wait in the channel's own queue and their clock starts
// when their stream is opened.
//
// A stream that ends without a DNS answer (reset, or a status other than 200) loses its query at
// once (aborted; a non-200 status is also counted in httpErrors). A body longer than a DNS message
// (65 535 bytes) is not read further: the stream is reset, the query aborted and the answer counted
// as malformed, so a server cannot make the client hold an endless body. An error status resets
// its stream at once, unread.
// When the connection closes or the server sends GOAWAY (or sets its limit to 0), the channel
// opens a new one (Reconnector, as for TCP).
import type * as Http2 from 'node:http2';
import type { ClientHttp2Session, ClientHttp2Stream } from 'node:http2';
import { lazyRequire } from '../../util/lazy-require.js';
import { DnsChannel, type ChannelContext } from '../channel.js';
import { INFLIGHT } from '../idtable.js';
import { explainTlsError, tlsConnectOptions, tlsModule, type TlsOptions } from './dot.js';
import { ConnectError, connectFailure, localEndpoint, Reconnector, streamTarget, whenReady, where, type Reconnecting, type StreamTarget } from './tcp.js';

// node:http2 loads node:http and node:tls: ~15 ms of each thread's startup that only DoH needs.
const http2 = lazyRequire<typeof Http2>('node:http2');

export interface DohOptions {
  path: string;
  method: 'GET' | 'POST';
  /** :authority; null = the SNI name or the server address. */
  authority: string | null;
}

const MIME = 'application/dns-message';
/** The largest DNS message (RFC 1035 4.2.2's 16-bit length; RFC 8484 6): a longer body is not one. */
const MAX_MESSAGE = 65_535;

/**
 * Resolves once `settings` (the server's first SETTINGS frame) has arrived; rejects, destroying the
 * session, on an error, a close, after `leftMs`, or when `signal` aborts (the channel's loop closed).
 */
function settingsArrived(session: ClientHttp2Session, settings: Promise<void>, leftMs: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const aborted = (): void => fail(new Error('the HTTP/2 connection was given up: its channel closed'));
    const fail = (err: Error): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', aborted);
      session.off('error', fail);
      session.off('close', closed);
      session.destroy();
      reject(err);
    };
    const closed = (): void => fail(new Error('the server closed the HTTP/2 connection before its SETTINGS frame'));
    const timer = setTimeout(() => {
      const err: NodeJS.ErrnoException = new Error(`no HTTP/2 SETTINGS frame from the server within ${Math.round(leftMs)} ms`);
      err.code = 'ETIMEDOUT';
      fail(err);
    }, Math.max(0, leftMs));
    session.once('error', fail);
    session.once('close', closed);
    if (signal?.aborted) aborted();
    else signal?.addEventListener('abort', aborted, { once: true });
    void settings.then(() => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', aborted);
      session.off('error', fail);
      session.off('close', closed);
      resolve();
    });
  });
}

interface Session {
  session: ClientHttp2Session;
  ms: number;
}

/** Streams of one connection that are open (submitted, not yet closed). */
interface OpenStreams {
  n: number;
}

export class DohChannel extends DnsChannel implements Reconnecting {
  private session: ClientHttp2Session | null = null;
  private readonly authorityUrl: string;
  private readonly postHeaders: Http2.OutgoingHttpHeaders;
  readonly reconnector = new Reconnector<Session>(
    () => this.connect(),
    ({ session, ms }) => {
      this.attach(session, ms, true);
      this.owner.slotFreed(this);
    },
    ({ session }) => session.destroy(),
    () => this.owner.slotFreed(this),
  );
  /** The server's SETTINGS_MAX_CONCURRENT_STREAMS on the current connection. */
  private serverLimit = Infinity;
  private streams: OpenStreams = { n: 0 };
  /** Queries sent while the connection already had serverLimit streams open (a lowered limit). */
  private queue: Array<{ msg: Buffer; id: number }> = [];
  /** The recorder last told about a stream limit below the window (one count per channel and run). */
  private limitReportedTo: unknown = null;
  /** The current connection has carried an answer (for the reconnection backoff). */
  private answered = false;
  private firstLocal = '';
  private readonly dest: StreamTarget;
  private readonly tlsOptions: TlsOptions;
  private readonly doh: DohOptions;

  private constructor(ctx: ChannelContext) {
    super(ctx);
    const dest = (this.dest = streamTarget(ctx));
    const tlsOptions = (this.tlsOptions = ctx.transport.tls);
    const doh = (this.doh = ctx.transport.doh);
    const host = dest.host.includes(':') ? `[${dest.host}]` : dest.host;
    const authority = doh.authority ?? (tlsOptions.sni !== null ? `${tlsOptions.sni}:${dest.port}` : `${host}:${dest.port}`);
    this.authorityUrl = `https://${authority}`;
    this.postHeaders = { ':method': 'POST', ':path': doh.path, 'content-type': MIME, accept: MIME };
  }

  /** Connect before the run starts (setup is not timed); a failure is a one-line ConnectError. */
  static async open(ctx: ChannelContext): Promise<DohChannel> {
    const ch = new DohChannel(ctx);
    const target = ch.dest;
    const tlsOptions = ch.tlsOptions;
    try {
      const { session, ms } = await ch.connect();
      ch.attach(session, ms, false);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      throw new ConnectError(explainTlsError(err, target, tlsOptions, 'DoH') ?? connectFailure('DoH (HTTP/2 over TLS)', err, target));
    }
    return ch;
  }

  endpoints(): { local: string; remote: string } {
    return { local: this.firstLocal, remote: where(this.dest) };
  }

  /**
   * One HTTP/2 connection (TLS with ALPN h2), resolved when the session is connected and the
   * server's first SETTINGS frame (RFC 9113 3.4: the first thing it sends) has arrived, so the
   * stream limit is known before any query goes out.
   */
  private connect(): Promise<Session> {
    const started = this.now();
    this.recorder.event('connAttempts', started);
    const t = this.dest;
    const session = http2().connect(this.authorityUrl, {
      createConnection: () => tlsModule().connect(tlsConnectOptions(this.tlsOptions, t, ['h2'])),
      // No server push (RFC 9113 8.4, SETTINGS_ENABLE_PUSH 0): nothing reads a pushed stream, and
      // its unread data held the connection's flow-control window, so a pushing server stalled
      // and broke every connection after its first answers.
      settings: { enablePush: false },
    });
    // Listened for from the start: the SETTINGS frame may come in the same read as the handshake.
    const settings = new Promise<void>((resolve) => session.once('remoteSettings', () => resolve()));
    return whenReady(session, 'connect', started, t.connectTimeoutMs, 'HTTP/2', this.now, t.signal)
      .then(() => settingsArrived(session, settings, t.connectTimeoutMs - (this.now() - started), t.signal))
      .then(() => ({ session, ms: this.now() - started }));
  }

  private attach(session: ClientHttp2Session, ms: number, reconnect: boolean): void {
    this.session = session;
    this.streams = { n: 0 };
    this.answered = false;
    const local = localEndpoint(session.socket);
    if (this.firstLocal === '') this.firstLocal = local;
    this.recorder.connected(this.now(), ms, local, reconnect);
    session.on('error', () => this.recorder.event('socketErrors', this.now()));
    // GOAWAY: streams already open may still finish; new ones go to a new connection.
    session.on('goaway', () => this.lost(session));
    session.on('close', () => this.lost(session));
    // The server may lower (or raise) its limit at any time.
    session.on('remoteSettings', () => {
      if (this.session === session) this.applyServerLimit(session);
    });
    this.applyServerLimit(session);
  }

  /** limit = min(window, the server's SETTINGS_MAX_CONCURRENT_STREAMS); 0 streams means a new connection. */
  private applyServerLimit(session: ClientHttp2Session): void {
    const max = session.remoteSettings.maxConcurrentStreams;
    this.serverLimit = max === undefined ? Infinity : max;
    if (this.serverLimit === 0) return this.lost(session);
    this.limit = Math.min(this.window, this.serverLimit);
    if (this.serverLimit < this.window) this.reportLimit();
    this.drain();
    this.owner.slotFreed(this);
  }

  /** Tell this run's recorder the window was cut (once per channel and recorder). */
  private reportLimit(): void {
    const fresh = this.limitReportedTo !== this.recorder;
    this.limitReportedTo = this.recorder;
    this.recorder.streamLimited(this.serverLimit, this.window, fresh);
  }

  private lost(session: ClientHttp2Session): void {
    if (this.session !== session) return;
    this.session = null;
    this.limit = 0;
    if (this.reconnector.isStopped) return;
    if (!this.answered) this.reconnector.closedUnused();
    if (session.closed || session.destroyed) {
      this.queue = [];
      this.abortAll();
    }
    this.reconnector.start();
  }

  protected transmit(msg: Buffer, id: number): void {
    // A later run of the session (same channel, new recorder) still notes the cut.
    if (this.serverLimit < this.window && this.limitReportedTo !== this.recorder) this.reportLimit();
    if (this.session === null || this.streams.n >= this.serverLimit) this.queue.push({ msg, id });
    else this.open(this.session, msg, id);
  }

  /** Open queued streams while the server allows; each one's clock starts now. */
  private drain(): void {
    const session = this.session;
    while (session !== null && this.queue.length > 0 && this.streams.n < this.serverLimit) {
      const { msg, id } = this.queue.shift()!;
      // Gone meanwhile (timed out, or aborted with its connection): nothing to send.
      if (this.table.state[id] !== INFLIGHT) continue;
      const t = this.table;
      const now = this.now();
      // The wait in the queue is the client's, not the server's: latency and -t count from here
      // (corrected latency too, unless -Q charged the query from an earlier due time).
      t.sentAt[id] = now;
      this.open(session, msg, id);
    }
  }

  /** One stream for query `id` (already counted as sent). */
  private open(session: ClientHttp2Session, msg: Buffer, id: number): void {
    const sentAt = this.table.sentAt[id]!;
    const streams = this.streams;
    streams.n++;
    let req: ClientHttp2Stream;
    if (this.doh.method === 'GET') {
      req = session.request({ ':method': 'GET', ':path': `${this.doh.path}?dns=${msg.toString('base64url')}`, accept: MIME }, { endStream: true });
    } else {
      req = session.request(this.postHeaders);
      req.end(msg);
    }
    let status = 0;
    let done = false;
    const chunks: Buffer[] = [];
    let bytes = 0;
    req.on('response', (headers) => {
      status = Number(headers[':status']);
      // The status already loses the query: its body is not read (a server may make it endless
      // and hold the stream, one of the window's, open with it), the stream reset at once.
      if (status !== 200) req.close(http2().constants.NGHTTP2_CANCEL);
    });
    req.on('data', (chunk: Buffer) => {
      // Not gated on the status: Node may emit a body's first chunk before 'response'.
      if (bytes > MAX_MESSAGE) return;
      bytes += chunk.length;
      if (bytes > MAX_MESSAGE) {
        // Not a DNS message, and a server may make it endless: stop reading and reset the
        // stream at once (the 'close' below then loses the query as aborted).
        this.recorder.event('malformed', this.now());
        chunks.length = 0;
        req.close(http2().constants.NGHTTP2_CANCEL);
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (status !== 200 || bytes > MAX_MESSAGE) return;
      done = true;
      if (!this.answered) {
        this.answered = true;
        this.reconnector.succeeded();
      }
      const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
      this.deliver(body, 0, body.length, this.now());
    });
    req.on('error', () => undefined); // reported through 'close' below
    req.on('close', () => {
      streams.n--;
      if (streams === this.streams) this.drain();
      if (done) return;
      if (status !== 0 && status !== 200) this.recorder.event('httpErrors', this.now());
      // Only if this stream's query is still the one outstanding under that ID.
      if (this.table.state[id] === INFLIGHT && this.table.sentAt[id] === sentAt) this.abortQuery(id);
    });
  }

  close(): void {
    this.reconnector.stop();
    this.queue = [];
    this.session?.destroy();
    this.session = null;
  }
}
