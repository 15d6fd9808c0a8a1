// Opening a worker's channels for its share of the sockets (-c), by transport (-m): UDP sockets,
// TCP or DoT connections, DoH (HTTP/2) connections. Also where -a addresses are spread over the
// sockets, -x ports assigned, and TSIG, NSID and TCP fallback attached to the channels that need them.
import type { ChannelOwner, DnsChannel, QueryViews } from './channel.js';
import { DohChannel } from './doh-channel.js';
import { tlsDialer } from './dot-channel.js';
import { ChannelFeatures } from './features.js';
import { TcpFallback } from './fallback.js';
import type { WorkerSetup } from './protocol.js';
import type { Recorder } from './recorder.js';
import { TcpChannel, tcpDialer, type StreamTarget } from './tcp-channel.js';
import { UdpChannel } from './udp-channel.js';
import { TsigSigner } from '../tsig/tsig.js';

export interface OpenedChannels {
  /** Target-major: target t's channels are [t * sockets, (t + 1) * sockets). */
  channels: DnsChannel[];
  /** --tcp-fallback legs (swept by the engine's tick, closed at the end). */
  legs: TcpFallback[];
}

/**
 * Socket k of this worker (k counted per target) binds to -a address (firstSocket + k) mod n, so
 * the addresses are spread round-robin over all sockets of the run; -x ports are consecutive.
 */
export async function openChannels(s: WorkerSetup, q: QueryViews, recorders: readonly Recorder[], owner: ChannelOwner): Promise<OpenedChannels> {
  const tr = s.transport;
  const signer = tr.tsig === null ? null : new TsigSigner(tr.tsig);
  const channels: DnsChannel[] = [];
  const legs = new Map<string, TcpFallback>();
  let port = s.localPort;
  for (let t = 0; t < s.targets.length; t++) {
    const target = s.targets[t]!;
    const rec = recorders[t]!;
    for (let k = 0; k < s.socketWindows.length; k++) {
      const window = s.socketWindows[k]!;
      const n = s.localAddresses.length;
      const localAddress = n === 0 ? null : s.localAddresses[(s.firstSocket + k) % n]!;
      const stream: StreamTarget = { host: target.host, port: target.port, localAddress, localPort: port, connectTimeoutMs: s.timeoutMs };
      let ch: DnsChannel;
      switch (tr.mode) {
        case 'udp':
          ch = await UdpChannel.open({ ...target, localAddress, localPort: port, bufferBytes: s.bufferBytes }, window, q, rec, owner);
          rec.sources.add(ch.endpoints().local);
          break;
        case 'tcp':
          ch = await TcpChannel.open(tcpDialer, stream, window, q, rec, owner);
          break;
        case 'dot':
          ch = await TcpChannel.open(tlsDialer(tr.tls), stream, window, q, rec, owner);
          break;
        case 'doh':
          ch = await DohChannel.open(stream, tr.tls, tr.doh, window, q, rec, owner);
          break;
      }
      ch.target = t;
      if (signer !== null || tr.nsid) ch.features = new ChannelFeatures(signer, tr.nsid, rec);
      if (tr.tcpFallback) {
        const key = `${t}/${localAddress ?? ''}`;
        let leg = legs.get(key);
        if (leg === undefined) {
          leg = new TcpFallback({ ...stream, localPort: null }, q, rec);
          legs.set(key, leg);
        }
        ch.fallback = leg;
      }
      channels.push(ch);
      if (port !== null) port++;
    }
  }
  return { channels, legs: [...legs.values()] };
}
