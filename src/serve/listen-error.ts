// Why the responder could not listen, in words for the usual case (UDP and TCP alike).

/**
 * The reason part of "cannot listen on udp 127.0.0.1:5353: ...". EADDRINUSE is nearly always
 * another server on the port (named, knotd, an earlier `dnsbench serve`, or mDNS on the default
 * 5353), so say so and how to pick another port; any other error keeps Node's message.
 */
export function listenHint(err: Error): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE') return 'the port is in use (EADDRINUSE): another server listens there; pick another with -p, or -p 0 for a free one';
  return err.message;
}
