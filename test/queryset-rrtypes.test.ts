import { describe, expect, it } from 'vitest';
import { typeFromMnemonic, typeToMnemonic } from '../src/queryset/rrtypes.js';

describe('typeFromMnemonic', () => {
  it.each([
    ['A', 1], ['NS', 2], ['MD', 3], ['MF', 4], ['CNAME', 5], ['SOA', 6], ['NULL', 10], ['PTR', 12],
    ['MX', 15], ['TXT', 16], ['NSAP-PTR', 23], ['AAAA', 28], ['SRV', 33], ['NAPTR', 35], ['OPT', 41],
    ['DS', 43], ['RRSIG', 46], ['DNSKEY', 48], ['NSEC3PARAM', 51], ['TLSA', 52], ['SMIMEA', 53],
    ['HIP', 55], ['OPENPGPKEY', 61], ['ZONEMD', 63], ['SVCB', 64], ['HTTPS', 65], ['DSYNC', 66],
    ['SPF', 99], ['EUI64', 109], ['NXNAME', 128], ['TKEY', 249], ['TSIG', 250], ['IXFR', 251],
    ['AXFR', 252], ['MAILB', 253], ['MAILA', 254], ['ANY', 255], ['*', 255], ['URI', 256],
    ['CAA', 257], ['AVC', 258], ['DOA', 259], ['AMTRELAY', 260], ['RESINFO', 261], ['WALLET', 262],
    ['CLA', 263], ['IPN', 264], ['TA', 32768], ['DLV', 32769],
  ])('%s is %i', (mnemonic, n) => {
    expect(typeFromMnemonic(mnemonic)).toBe(n);
  });

  it('is case-insensitive', () => {
    expect(typeFromMnemonic('aaaa')).toBe(28);
    expect(typeFromMnemonic('AaAa')).toBe(28);
    expect(typeFromMnemonic('https')).toBe(65);
    expect(typeFromMnemonic('nsap-ptr')).toBe(23);
  });

  it('never matches a prefix or extension (dnsperf turns AA into AAAA)', () => {
    for (const token of ['AA', 'AAA', 'AAAAA', 'C', 'CNAM', 'CNAMES', 'HTTP', 'NSEC3P', 'A ', ' A', '']) {
      expect(typeFromMnemonic(token), token).toBeUndefined();
    }
  });

  it('accepts RFC 3597 TYPEnnn for 0..65535 in any case', () => {
    expect(typeFromMnemonic('TYPE0')).toBe(0);
    expect(typeFromMnemonic('TYPE65')).toBe(65);
    expect(typeFromMnemonic('type65')).toBe(65);
    expect(typeFromMnemonic('TYPE00028')).toBe(28);
    expect(typeFromMnemonic('TYPE65535')).toBe(65535);
  });

  it('rejects TYPEnnn out of range or malformed', () => {
    for (const token of ['TYPE65536', 'TYPE99999', 'TYPE100000', 'TYPE', 'TYPE-1', 'TYPE1x', 'TYPE 1', 'TYPE+1']) {
      expect(typeFromMnemonic(token), token).toBeUndefined();
    }
  });

  it('folds ASCII case only (no ß -> SS, ſ -> S)', () => {
    expect(typeFromMnemonic('ßhfp')).toBeUndefined();
    expect(typeFromMnemonic('ſoa')).toBeUndefined();
    expect(typeFromMnemonic('ıpn')).toBeUndefined();
  });
});

describe('typeToMnemonic', () => {
  it('names registered types and spells the rest TYPEnnn', () => {
    expect(typeToMnemonic(1)).toBe('A');
    expect(typeToMnemonic(28)).toBe('AAAA');
    expect(typeToMnemonic(23)).toBe('NSAP-PTR');
    expect(typeToMnemonic(255)).toBe('ANY');
    expect(typeToMnemonic(32769)).toBe('DLV');
    expect(typeToMnemonic(0)).toBe('TYPE0');
    expect(typeToMnemonic(54)).toBe('TYPE54');
    expect(typeToMnemonic(65535)).toBe('TYPE65535');
  });

  it('round-trips every type number through typeFromMnemonic', () => {
    for (let n = 0; n <= 0xffff; n++) {
      const mnemonic = typeToMnemonic(n);
      if (typeFromMnemonic(mnemonic) !== n) throw new Error(`${n} -> ${mnemonic} does not round-trip`);
    }
    expect(typeFromMnemonic(typeToMnemonic(65535))).toBe(65535);
  });
});
