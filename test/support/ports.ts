// Free loopback ports for test servers. A DNS server listens on UDP and TCP on the same port, so a
// port counts as free only when both binds succeed.
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { createServer, isIP } from 'node:net';

/** Ports this process has handed out: parallel callers never get the same one before it is bound. */
const handedOut = new Set<number>();

/**
 * Candidates come from below the kernel's ephemeral range (net.ipv4.ip_local_port_range, 32768-60999
 * by default): a port the kernel picks for `bind(0)` could be picked again for some other socket's
 * outgoing traffic between our check and the server's bind. Below that range only an explicit bind
 * can take it.
 */
function candidateRange(): [number, number] {
  let ephemeralLow = 32768;
  try {
    const [low] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/);
    const n = Number(low);
    if (Number.isInteger(n) && n > 2048) ephemeralLow = n;
  } catch {
    // not Linux: keep the default
  }
  return [Math.max(1024, ephemeralLow - 12288), ephemeralLow - 1];
}

function bindUdp(host: string, port: number): Promise<number | null> {
  return new Promise((resolve) => {
    const sock = createSocket(isIP(host) === 6 ? 'udp6' : 'udp4');
    sock.once('error', () => {
      sock.close();
      resolve(null);
    });
    sock.bind(port, host, () => {
      const bound = sock.address().port;
      sock.close(() => resolve(bound));
    });
  });
}

function bindTcp(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ port, host, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

/**
 * A port on `host` that is free for both UDP and TCP right now (nothing holds it afterwards: the
 * caller's server must bind it soon). Throws after 200 candidates.
 */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const [low, high] = candidateRange();
  for (let attempt = 0; attempt < 200; attempt++) {
    // The last few attempts fall back to the kernel's choice, in case the low range is crowded.
    const candidate = attempt < 190 ? low + Math.floor(Math.random() * (high - low + 1)) : 0;
    if (handedOut.has(candidate)) continue;
    const port = await bindUdp(host, candidate);
    if (port === null || handedOut.has(port)) continue;
    if (!(await bindTcp(host, port))) continue;
    handedOut.add(port);
    return port;
  }
  throw new Error(`freePort: no port free for both UDP and TCP on ${host} after 200 attempts`);
}
