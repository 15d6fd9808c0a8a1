import { describe, expect, it } from 'vitest';
import { LineKind, LineScanner, parseQueryLine, type ParsedLine } from '../src/queryset/parse.js';

/** Wire QNAME from labels given as strings (latin1, one byte per char) or byte arrays. */
function wire(...labels: (string | number[])[]): number[] {
  const out: number[] = [];
  for (const label of labels) {
    const bytes = typeof label === 'string' ? [...Buffer.from(label, 'latin1')] : label;
    out.push(bytes.length, ...bytes);
  }
  out.push(0);
  return out;
}

function query(text: string, line = 1): { qname: number[]; qtype: number; line: number; extra: string[] } {
  const parsed = parseQueryLine(text, line);
  if (parsed.kind !== 'query') throw new Error(`expected a query, got ${JSON.stringify(parsed)}`);
  return { qname: [...parsed.spec.qname], qtype: parsed.spec.qtype, line: parsed.spec.line, extra: parsed.extra };
}

function reason(text: string): string {
  const parsed: ParsedLine = parseQueryLine(text, 7);
  if (parsed.kind !== 'bad') throw new Error(`expected a bad line, got ${JSON.stringify(parsed)}`);
  expect(parsed.line).toBe(7);
  return parsed.reason;
}

describe('parseQueryLine: accepted dialects', () => {
  it('parses `name type` into a wire QNAME and type number', () => {
    expect(query('www.example.com A', 42)).toEqual({
      qname: wire('www', 'example', 'com'), qtype: 1, line: 42, extra: [],
    });
  });

  it('separates with tabs, several blanks, or a mix', () => {
    expect(query('example.com\tAAAA').qtype).toBe(28);
    expect(query('example.com \t  MX').qtype).toBe(15);
    expect(query('example.com\t\tMX').qname).toEqual(wire('example', 'com'));
  });

  it('allows leading whitespace (dnsperf rejects it)', () => {
    expect(query('   example.com A').qname).toEqual(wire('example', 'com'));
    expect(query('\t \texample.com NS').qtype).toBe(2);
  });

  it('accepts CRLF endings (dnsperf rejects them)', () => {
    expect(query('example.com A\r')).toMatchObject({ qname: wire('example', 'com'), qtype: 1 });
    expect(query('example.com A ecs=1\r').extra).toEqual(['ecs=1']);
  });

  it('skips comments of both kinds, queryperf directives, and blank lines', () => {
    for (const text of ['; a comment', '   ;indented', ';', '#server 192.0.2.1', '#port 5353',
      '\t#maxwait 5', '', '   ', '\t', '\r', ' \t \r']) {
      expect(parseQueryLine(text, 1), JSON.stringify(text)).toEqual({ kind: 'skip' });
    }
  });

  it('treats a trailing dot as the same absolute name', () => {
    expect(query('example.com. A').qname).toEqual(query('example.com A').qname);
  });

  it('parses the root name', () => {
    expect(query('. NS')).toMatchObject({ qname: [0], qtype: 2 });
    expect(query('.\tSOA\r')).toMatchObject({ qname: [0], qtype: 6 });
  });

  it('keeps case in the QNAME', () => {
    expect(query('ExAmPle.COM a').qname).toEqual(wire('ExAmPle', 'COM'));
  });

  it('decodes \\. as a dot inside a label', () => {
    expect(query('first\\.last.example.com A').qname).toEqual(wire('first.last', 'example', 'com'));
    expect(query('a\\. A').qname).toEqual(wire('a.'));
  });

  it('decodes \\X as literal X for non-digits: backslash, blank, semicolon', () => {
    expect(query('a\\\\b.example A').qname).toEqual(wire('a\\b', 'example'));
    expect(query('a\\ b.example A').qname).toEqual(wire('a b', 'example'));
    expect(query('a\\;b A').qname).toEqual(wire('a;b'));
  });

  it('decodes \\DDD in decimal, not base 7 like dnsperf', () => {
    expect(query('\\065bc.example A').qname).toEqual(wire('Abc', 'example'));
    expect(query('x\\255.example A').qname).toEqual(wire([0x78, 255], 'example'));
    expect(query('\\000 A').qname).toEqual(wire([0]));
    expect(query('\\046 A').qname).toEqual(wire('.')); // an escaped dot is data, not a separator
  });

  it('takes exactly three digits for \\DDD; a fourth is a literal', () => {
    expect(query('\\0659 A').qname).toEqual(wire('A9'));
  });

  it('passes raw UTF-8 bytes through', () => {
    expect(query('bücher.example A').qname).toEqual(wire([...Buffer.from('bücher')], 'example'));
  });

  it('matches type names case-insensitively', () => {
    expect(query('x a').qtype).toBe(1);
    expect(query('x Aaaa').qtype).toBe(28);
    expect(query('x https').qtype).toBe(65);
    expect(query('x any').qtype).toBe(255);
  });

  it('accepts RFC 3597 TYPEnnn', () => {
    expect(query('x TYPE65').qtype).toBe(65);
    expect(query('x type65535').qtype).toBe(65535);
    expect(query('x TYPE0').qtype).toBe(0);
  });

  it('returns the columns after the type instead of failing on them', () => {
    expect(query('example.com A ecs=198.51.100.0/24').extra).toEqual(['ecs=198.51.100.0/24']);
    expect(query('example.com A\tone  two\t').extra).toEqual(['one', 'two']);
    expect(query('example.com A ; trailing comment')).toMatchObject({ qtype: 1, extra: [';', 'trailing', 'comment'] });
  });

  it('accepts a 63-octet label and a 255-octet name', () => {
    const l63 = 'a'.repeat(63);
    expect(query(`${l63}.example A`).qname).toEqual(wire(l63, 'example'));
    // 3 * (1 + 63) + (1 + 61) + 1 = 255 octets in wire format.
    const name255 = `${l63}.${l63}.${l63}.${'b'.repeat(61)}`;
    expect(query(`${name255} A`).qname).toHaveLength(255);
    expect(query(`${name255}. A`).qname).toHaveLength(255);
  });
});

describe('parseQueryLine: rejected lines', () => {
  it('rejects an unknown type by name, never by prefix', () => {
    expect(reason('example.com AA')).toBe('unknown query type "AA"');
    expect(reason('example.com AAAAA')).toBe('unknown query type "AAAAA"');
    expect(reason('example.com A-')).toBe('unknown query type "A-"');
  });

  it('rejects TYPEnnn above 65535 and says the range', () => {
    expect(reason('example.com TYPE65536')).toBe('unknown query type "TYPE65536" (TYPEnnn must be 0..65535)');
  });

  it('rejects a missing type instead of defaulting to A', () => {
    expect(reason('example.com')).toMatch(/^missing query type/);
    expect(reason('  example.com  \r')).toMatch(/^missing query type/);
    expect(reason('.')).toMatch(/^missing query type/);
  });

  it('rejects \\DDD above 255', () => {
    expect(reason('\\256.example A')).toBe('bad escape "\\256": value above 255 in name "\\256.example"');
    expect(reason('a\\999 A')).toContain('value above 255');
  });

  it('rejects \\DDD with fewer than three digits', () => {
    expect(reason('\\12.example A')).toContain('bad escape "\\12.": \\DDD needs exactly three decimal digits');
    expect(reason('a\\12 A')).toContain('needs exactly three decimal digits');
    expect(reason('a\\1')).toContain('needs exactly three decimal digits');
    expect(reason('a\\12')).toContain('needs exactly three decimal digits');
  });

  it('rejects a name ending in a lone backslash', () => {
    expect(reason('abc\\')).toContain('name ends with a backslash');
  });

  it('rejects empty labels', () => {
    expect(reason('a..b A')).toBe('empty label in name "a..b"');
    expect(reason('.a A')).toContain('empty label');
    expect(reason('a.. A')).toContain('empty label');
    expect(reason('.. A')).toContain('empty label');
  });

  it('rejects a 64-octet label', () => {
    expect(reason(`${'a'.repeat(64)}.example A`)).toMatch(/^label longer than 63 octets in name "a{60}…\[\+12 bytes\]"$/);
    expect(reason(`x.${'a'.repeat(100)} A`)).toContain('label longer than 63 octets');
  });

  it('rejects a name longer than 255 octets in wire format', () => {
    const l63 = 'a'.repeat(63);
    expect(reason(`${l63}.${l63}.${l63}.${'b'.repeat(62)} A`)).toContain('name longer than 255 octets');
    expect(reason(`${Array(200).fill('ab').join('.')} A`)).toContain('name longer than 255 octets');
  });
});

describe('LineScanner', () => {
  it('scans only src[start..end) and exposes where the extra columns start', () => {
    const src = Buffer.from('junk example.org MX ecs=x\nnext line');
    const scanner = new LineScanner();
    expect(scanner.scan(src, 5, 25)).toBe(LineKind.query);
    expect([...scanner.name.subarray(0, scanner.nameLength)]).toEqual(wire('example', 'org'));
    expect(scanner.qtype).toBe(15);
    expect(src.toString('latin1', scanner.restStart, scanner.lineEnd).trim()).toBe('ecs=x');
  });

  it('does not let a line see its neighbour: a type cut off by end is missing', () => {
    const src = Buffer.from('example.org A');
    const scanner = new LineScanner();
    expect(scanner.scan(src, 0, 12)).toBe(LineKind.bad);
    expect(scanner.reason).toMatch(/^missing query type/);
  });

  it('does not reuse a cached type for a different token', () => {
    const scanner = new LineScanner();
    const types = ['A', 'a', 'AAAA', 'AA', 'TYPE1', 'type65535', 'A'].map((t) => {
      const src = Buffer.from(`x ${t}`);
      return scanner.scan(src, 0, src.length) === LineKind.query ? scanner.qtype : scanner.reason;
    });
    expect(types).toEqual([1, 1, 28, 'unknown query type "AA"', 1, 65535, 1]);
  });
});
