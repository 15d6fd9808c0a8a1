// Transports register themselves here by the -m name that selects them. The engine opens every
// channel through `openTransport`, so adding a transport is a new file plus one register call in
// builtin.ts; nothing in the engine changes. Tests register fakes (test/support/fake-channel.ts).
import type { ChannelContext, DnsChannel } from '../channel.js';

/** Opens one channel: bound, connected (or the first connection made) before the run starts.
 *  Throws a ConnectError (one-line message) when it cannot. */
export type TransportFactory = (ctx: ChannelContext) => Promise<DnsChannel>;

const factories = new Map<string, TransportFactory>();

/** Register (or replace) the factory for transport `name` (a -m value, or 'native-udp'). */
export function registerTransport(name: string, factory: TransportFactory): void {
  factories.set(name, factory);
}

/** The factory for `name`; throws when none is registered (a bug: config validates -m first). */
export function transportFactory(name: string): TransportFactory {
  const f = factories.get(name);
  if (f === undefined) throw new Error(`no transport registered for "${name}" (have: ${[...factories.keys()].join(', ')})`);
  return f;
}
