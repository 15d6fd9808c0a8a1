// The IANA "Resource Record (RR) TYPEs" registry (RFC 6895 section 3.1), mnemonic -> number.
// Query files name types by mnemonic; reports turn numbers back into mnemonics. Lookups are exact
// and case-insensitive: dnsperf matches by prefix, so its `AA` silently becomes AAAA; ours is an
// unknown type.

/** Registry order, as assigned. 54 and 70-98 etc. are unassigned and have no mnemonic. */
const REGISTRY: ReadonlyArray<readonly [string, number]> = [
  ['A', 1], ['NS', 2], ['MD', 3], ['MF', 4], ['CNAME', 5], ['SOA', 6], ['MB', 7], ['MG', 8],
  ['MR', 9], ['NULL', 10], ['WKS', 11], ['PTR', 12], ['HINFO', 13], ['MINFO', 14], ['MX', 15],
  ['TXT', 16], ['RP', 17], ['AFSDB', 18], ['X25', 19], ['ISDN', 20], ['RT', 21], ['NSAP', 22],
  ['NSAP-PTR', 23], ['SIG', 24], ['KEY', 25], ['PX', 26], ['GPOS', 27], ['AAAA', 28], ['LOC', 29],
  ['NXT', 30], ['EID', 31], ['NIMLOC', 32], ['SRV', 33], ['ATMA', 34], ['NAPTR', 35], ['KX', 36],
  ['CERT', 37], ['A6', 38], ['DNAME', 39], ['SINK', 40], ['OPT', 41], ['APL', 42], ['DS', 43],
  ['SSHFP', 44], ['IPSECKEY', 45], ['RRSIG', 46], ['NSEC', 47], ['DNSKEY', 48], ['DHCID', 49],
  ['NSEC3', 50], ['NSEC3PARAM', 51], ['TLSA', 52], ['SMIMEA', 53], ['HIP', 55], ['NINFO', 56],
  ['RKEY', 57], ['TALINK', 58], ['CDS', 59], ['CDNSKEY', 60], ['OPENPGPKEY', 61], ['CSYNC', 62],
  ['ZONEMD', 63], ['SVCB', 64], ['HTTPS', 65], ['DSYNC', 66], ['HHIT', 67], ['BRID', 68],
  ['UNECE', 69],
  ['SPF', 99], ['UINFO', 100], ['UID', 101], ['GID', 102], ['UNSPEC', 103], ['NID', 104],
  ['L32', 105], ['L64', 106], ['LP', 107], ['EUI48', 108], ['EUI64', 109],
  ['NXNAME', 128],
  // Meta and query types (RFC 6895 section 3.1: 128-255).
  ['TKEY', 249], ['TSIG', 250], ['IXFR', 251], ['AXFR', 252], ['MAILB', 253], ['MAILA', 254],
  ['ANY', 255],
  ['URI', 256], ['CAA', 257], ['AVC', 258], ['DOA', 259], ['AMTRELAY', 260], ['RESINFO', 261],
  ['WALLET', 262], ['CLA', 263], ['IPN', 264],
  ['TA', 32768], ['DLV', 32769],
];

const BY_MNEMONIC = new Map<string, number>(REGISTRY);
// The registry spells 255 as `*` (RFC 1035 section 3.2.3); tools and query files say ANY.
BY_MNEMONIC.set('*', 255);

const BY_NUMBER = new Map<number, string>(REGISTRY.map(([name, n]) => [n, name]));

/** RFC 3597 section 5: the generic `TYPEnnn` spelling works for every type, assigned or not. */
const GENERIC = /^TYPE([0-9]{1,5})$/;

/**
 * Mnemonics are ASCII. Checking first keeps Unicode case folding out: 'ß'.toUpperCase() is 'SS' and
 * 'ſ' folds to 'S', which would make `ßhfp` an SSHFP.
 */
const MNEMONIC_CHARS = /^[A-Za-z0-9*-]+$/;

/**
 * The type number for a mnemonic (`AAAA`, `aaaa`, `TYPE28`), or undefined if there is none.
 * Never matches a prefix.
 */
export function typeFromMnemonic(token: string): number | undefined {
  if (!MNEMONIC_CHARS.test(token)) return undefined;
  const upper = token.toUpperCase();
  const known = BY_MNEMONIC.get(upper);
  if (known !== undefined) return known;
  const generic = GENERIC.exec(upper);
  if (generic === null) return undefined;
  const n = Number(generic[1]);
  return n <= 0xffff ? n : undefined;
}

/** The registry mnemonic for a type number, or `TYPEnnn` (RFC 3597) when it has none. */
export function typeToMnemonic(type: number): string {
  return BY_NUMBER.get(type) ?? `TYPE${type}`;
}
