// DNS over HTTPS (RFC 8484) on Node's http2: one HTTP/2 connection per channel, one stream per
// query, as many concurrent streams as the channel's window. GET sends the message base64url-encoded
// in ?dns=, POST as an application/dns-message body (dnsperf's default is GET).
//
// A stream that ends without a DNS answer (reset, or a status other than 200) loses its query at
// once (aborted; a non-200 status is also counted in httpErrors). When the connection closes or the
// server sends GOAWAY, the channel opens a new one (Reconnector, as for TCP).
import http2, { type ClientHttp2Session, type ClientHttp2Stream } from 'node:http2';
import tls from 'node:tls';
import { DnsChannel, type ChannelContext } from '../channel.js';
import { INFLIGHT } from '../idtable.js';
import { explainTlsError, tlsConnectOptions, type TlsOptions } from './dot.js';
import { ConnectError, connectFailure, localEndpoint, Reconnector, streamTarget, whenReady, where, type StreamTarget } from './tcp.js';

export interface DohOptions {
  path: string;
  method: 'GET' | 'POST';
  /** :authority; null = the SNI name or the server address. */
  authority: string | null;
}

const MIME = 'application/dns-message';

interface Session {
  session: ClientHttp2Session;
  ms: number;
}

export class DohChannel extends DnsChannel {
  private session: ClientHttp2Session | null = null;
  private readonly authorityUrl: string;
  private readonly postHeaders: http2.OutgoingHttpHeaders;
  private readonly reconnector = new Reconnector<Session>(
    () => this.connect(),
    ({ session, ms }) => {
      this.attach(session, ms, true);
      this.owner.slotFreed(this);
    },
    ({ session }) => session.destroy(),
  );
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

  /** One HTTP/2 connection (TLS with ALPN h2), resolved when the session is connected. */
  private connect(): Promise<Session> {
    const started = this.now();
    this.recorder.event('connAttempts', started);
    const t = this.dest;
    const session = http2.connect(this.authorityUrl, {
      createConnection: () => tls.connect(tlsConnectOptions(this.tlsOptions, t, ['h2'])),
    });
    return whenReady(session, 'connect', started, t.connectTimeoutMs, 'HTTP/2', this.now).then(({ ms }) => ({ session, ms }));
  }

  private attach(session: ClientHttp2Session, ms: number, reconnect: boolean): void {
    this.session = session;
    const local = localEndpoint(session.socket);
    if (this.firstLocal === '') this.firstLocal = local;
    this.recorder.connected(this.now(), ms, local, reconnect);
    session.on('error', () => this.recorder.event('socketErrors', this.now()));
    // GOAWAY: streams already open may still finish; new ones go to a new connection.
    session.on('goaway', () => this.lost(session));
    session.on('close', () => this.lost(session));
    this.limit = this.window;
  }

  private lost(session: ClientHttp2Session): void {
    if (this.session !== session) return;
    this.session = null;
    this.limit = 0;
    if (this.reconnector.isStopped) return;
    if (session.closed || session.destroyed) this.abortAll();
    this.reconnector.start();
  }

  protected transmit(msg: Buffer, id: number): void {
    const session = this.session!;
    const sentAt = this.table.sentAt[id]!;
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
    req.on('response', (headers) => {
      status = Number(headers[':status']);
    });
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (status !== 200) return;
      done = true;
      const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
      this.deliver(body, 0, body.length, this.now());
    });
    req.on('error', () => undefined); // reported through 'close' below
    req.on('close', () => {
      if (done) return;
      if (status !== 0 && status !== 200) this.recorder.event('httpErrors', this.now());
      // Only if this stream's query is still the one outstanding under that ID.
      if (this.table.state[id] === INFLIGHT && this.table.sentAt[id] === sentAt) this.abortQuery(id);
    });
  }

  close(): void {
    this.reconnector.stop();
    this.session?.destroy();
    this.session = null;
  }
}
