// DNS over TLS (RFC 7858): the TCP channel's framing and reconnection over a TLS connection from
// Node's tls. Certificates are verified by default (dnsperf never verifies; we do not copy that):
// --tls-ca trusts a given CA, --tls-sni names the server, --insecure is the explicit opt-out.
import { isIP } from 'node:net';
import type * as Tls from 'node:tls';
import { lazyRequire } from '../../util/lazy-require.js';
import { where, type Dialer, type StreamTarget } from './tcp.js';

// node:tls (with node:crypto under it) costs each thread ~10 ms of compiling Node's own modules at
// startup; a UDP or TCP run never needs it (docs/performance.md "Startup").
export const tlsModule = lazyRequire<typeof Tls>('node:tls');

export interface TlsOptions {
  insecure: boolean;
  /** PEM text of --tls-ca, or null for Node's bundled CAs. */
  ca: string | null;
  sni: string | null;
}

/** OpenSSL's verification failures (and Node's host check): the certificate, not the network. */
const CERT_ERRORS = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID',
  'CERT_SIGNATURE_FAILURE', 'CERT_REVOKED', 'CERT_UNTRUSTED', 'CERT_REJECTED', 'INVALID_CA', 'INVALID_PURPOSE',
  'ERR_TLS_CERT_ALTNAME_INVALID', 'HOSTNAME_MISMATCH',
]);

/** tls.connect options shared by DoT and DoH (which adds ALPN h2). */
export function tlsConnectOptions(o: TlsOptions, t: StreamTarget, alpn: string[]): Tls.ConnectionOptions {
  // SNI must be a host name (RFC 6066 3); an IP-address target is checked against the
  // certificate's IP SANs without one.
  const servername = o.sni ?? (isIP(t.host) === 0 ? t.host : undefined);
  return {
    host: t.host,
    port: t.port,
    ...(t.localAddress !== null ? { localAddress: t.localAddress } : {}),
    ...(t.localPort !== null ? { localPort: t.localPort } : {}),
    ...(servername !== undefined ? { servername } : {}),
    ...(o.ca !== null ? { ca: o.ca } : {}),
    rejectUnauthorized: !o.insecure,
    ALPNProtocols: alpn,
  };
}

/** A one-line explanation of a certificate failure, or null for other errors. */
export function explainTlsError(err: NodeJS.ErrnoException, t: StreamTarget, o: TlsOptions, what: string): string | null {
  if (err.code === undefined || !CERT_ERRORS.has(err.code)) return null;
  const advice = o.ca === null
    ? 'give the CA that signed it with --tls-ca FILE (or skip the check with --insecure)'
    : err.code === 'ERR_TLS_CERT_ALTNAME_INVALID'
      ? 'name the server as its certificate does with --tls-sni NAME'
      : 'check that --tls-ca holds the CA that signed it';
  return `cannot connect over ${what} to ${where(t)}: certificate not trusted: ${err.message} (${err.code}); ${advice}`;
}

export function tlsDialer(o: TlsOptions): Dialer {
  return {
    name: 'TLS',
    dial(t) {
      // RFC 7858 3.2 registers ALPN "dot".
      return { socket: tlsModule().connect(tlsConnectOptions(o, t, ['dot'])), ready: 'secureConnect' };
    },
    explain: (err, t) => explainTlsError(err, t, o, 'DoT'),
  };
}
