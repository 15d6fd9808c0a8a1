// The TSIG key of `-y [alg:]name:secret`, as dnsperf takes it (RFC 8945). Parsed and checked in
// the main thread before anything is sent; workers get the checked key and build a TsigSigner.
import { UsageError } from '../errors.js';
import { parseQueryLine } from '../queryset/parse.js';

/** RFC 8945 section 6: the algorithm names a TSIG RR carries, and Node's digest for each. */
export const TSIG_ALGORITHMS = {
  'hmac-md5': { wireName: 'hmac-md5.sig-alg.reg.int', digest: 'md5' },
  'hmac-sha1': { wireName: 'hmac-sha1', digest: 'sha1' },
  'hmac-sha224': { wireName: 'hmac-sha224', digest: 'sha224' },
  'hmac-sha256': { wireName: 'hmac-sha256', digest: 'sha256' },
  'hmac-sha384': { wireName: 'hmac-sha384', digest: 'sha384' },
  'hmac-sha512': { wireName: 'hmac-sha512', digest: 'sha512' },
} as const;
export type TsigAlgorithm = keyof typeof TSIG_ALGORITHMS;

export interface TsigKey {
  algorithm: TsigAlgorithm;
  /** Key name as given, without a trailing dot (e.g. "chinanet"). */
  name: string;
  /** Base64, as given. Never printed: configForReport and redactArgv replace it. */
  secret: string;
}

const ALGORITHM_LIST = Object.keys(TSIG_ALGORITHMS).join(', ');
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * `[alg:]name:secret` -> TsigKey. hmac-md5 is the default (dnsperf and BIND's historical default);
 * the full RFC name `hmac-md5.sig-alg.reg.int` is accepted too. Errors never echo the secret.
 */
export function parseTsigKey(value: string): TsigKey {
  const parts = value.split(':');
  const usage = 'expected [alg:]name:secret with a base64 secret';
  if (parts.length < 2 || parts.length > 3) throw new UsageError(`-y/--tsig: ${usage} (got ${parts.length - 1} colons)`);
  const [algText, name, secret] = parts.length === 3 ? (parts as [string, string, string]) : ['hmac-md5', parts[0]!, parts[1]!];
  const alg = algText.toLowerCase().replace(/\.sig-alg\.reg\.int\.?$/, '');
  if (!(alg in TSIG_ALGORITHMS)) throw new UsageError(`-y/--tsig: unknown algorithm "${algText}" (expected one of ${ALGORITHM_LIST})`);
  const keyName = name.replace(/\.$/, '');
  if (keyName === '' || /\s/.test(keyName) || keyNameWire(keyName) === null) {
    throw new UsageError(`-y/--tsig: key name "${name}" is not a valid domain name (${usage})`);
  }
  if (secret === '' || !BASE64.test(secret)) {
    throw new UsageError(`-y/--tsig: the secret of key "${keyName}" is not valid base64 (${usage}; the secret is not shown)`);
  }
  return { algorithm: alg as TsigAlgorithm, name: keyName, secret };
}

/**
 * Canonical wire form (RFC 4034 6.2: lower case) of a presentation name, using the query-file
 * name parser so escapes and length limits follow the same rules; null when it is not a name.
 */
export function keyNameWire(name: string): Buffer | null {
  const parsed = parseQueryLine(`${name} A`, 0);
  if (parsed.kind !== 'query') return null;
  const wire = Buffer.from(parsed.spec.qname);
  for (let i = 0; i < wire.length; i++) {
    const b = wire[i]!;
    if (b >= 0x41 && b <= 0x5a) wire[i] = b | 0x20;
  }
  return wire;
}
