// The transports dnsbench ships, registered by -m name. Imported once by the engine loop.
import { registerTransport } from './registry.js';
import { UdpChannel } from './udp.js';
import { TcpChannel, tcpDialer } from './tcp.js';
import { tlsDialer } from './dot.js';
import { DohChannel } from './doh.js';

registerTransport('udp', (ctx) => UdpChannel.open(ctx));
registerTransport('tcp', (ctx) => TcpChannel.open(tcpDialer, ctx));
registerTransport('dot', (ctx) => TcpChannel.open(tlsDialer(ctx.transport.tls), ctx));
registerTransport('doh', (ctx) => DohChannel.open(ctx));
