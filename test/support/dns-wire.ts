// Byte-level DNS message building for tests that need answers no library would produce: header-
// only errors, lying counts, compression pointers of our choosing, extended RCODEs, misplaced OPT
// or TSIG records. Independent of src/ on purpose: a test built from it checks the engine, it does
// not repeat it.

export const u16 = (n: number): Buffer => Buffer.from([(n >>> 8) & 0xff, n & 0xff]);
export const u32 = (n: number): Buffer => Buffer.from([(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]);

/** Uncompressed wire name of "www.test.com" (or "." / "" for the root). */
export function wireName(name: string): Buffer {
  const labels = name.split('.').filter((l) => l !== '');
  return Buffer.concat([...labels.map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, 'latin1')])), Buffer.from([0])]);
}

/** A compression pointer to `offset` (RFC 1035 4.1.4). */
export const pointer = (offset: number): Buffer => Buffer.from([0xc0 | (offset >>> 8), offset & 0xff]);

/** QNAME QTYPE QCLASS. */
export function question(name: string | Buffer, type = 1, cls = 1): Buffer {
  return Buffer.concat([typeof name === 'string' ? wireName(name) : name, u16(type), u16(cls)]);
}

/** One resource record; `owner` as text or raw bytes (e.g. a pointer). */
export function rr(owner: string | Buffer, type: number, rdata: Buffer, o: { cls?: number; ttl?: number; rdLength?: number } = {}): Buffer {
  return Buffer.concat([
    typeof owner === 'string' ? wireName(owner) : owner,
    u16(type),
    u16(o.cls ?? 1),
    u32(o.ttl ?? 300),
    u16(o.rdLength ?? rdata.length),
    rdata,
  ]);
}

/** An OPT pseudo-record (RFC 6891 6.1.2): root owner, UDP size as class, extended RCODE and version in the TTL. */
export function opt(o: { udpSize?: number; extendedRcode?: number; version?: number; options?: Array<{ code: number; data: Buffer }>; raw?: Buffer } = {}): Buffer {
  const rdata = o.raw ?? Buffer.concat((o.options ?? []).map((x) => Buffer.concat([u16(x.code), u16(x.data.length), x.data])));
  const ttl = ((o.extendedRcode ?? 0) << 24) | ((o.version ?? 0) << 16);
  return rr(Buffer.from([0]), 41, rdata, { cls: o.udpSize ?? 1232, ttl: ttl >>> 0 });
}

export interface MessageSpec {
  id: number;
  /** Header flags word minus RCODE (default QR|AA). */
  flags?: number;
  /** Header RCODE (low 4 bits). */
  rcode?: number;
  tc?: boolean;
  qd?: Buffer[];
  an?: Buffer[];
  ns?: Buffer[];
  ar?: Buffer[];
  /** Override the header counts (to make them lie). */
  counts?: Partial<Record<'qd' | 'an' | 'ns' | 'ar', number>>;
}

export const QR = 0x8000;
export const AA = 0x0400;
export const TC = 0x0200;

export function message(s: MessageSpec): Buffer {
  const qd = s.qd ?? [];
  const an = s.an ?? [];
  const ns = s.ns ?? [];
  const ar = s.ar ?? [];
  const flags = ((s.flags ?? QR | AA) | (s.tc ? TC : 0) | ((s.rcode ?? 0) & 0xf)) & 0xffff;
  const c = s.counts ?? {};
  return Buffer.concat([
    u16(s.id),
    u16(flags),
    u16(c.qd ?? qd.length),
    u16(c.an ?? an.length),
    u16(c.ns ?? ns.length),
    u16(c.ar ?? ar.length),
    ...qd,
    ...an,
    ...ns,
    ...ar,
  ]);
}

/** A copy of `msg` with DNS ID `id`. */
export function withId(msg: Uint8Array, id: number): Buffer {
  const out = Buffer.from(msg);
  out[0] = id >>> 8;
  out[1] = id & 0xff;
  return out;
}

/** A query (ID 0, RD clear) for name/type, optionally with an OPT record. */
export function query(name: string, type = 1, o: { edns?: boolean } = {}): Buffer {
  return message({ id: 0, flags: 0, qd: [question(name, type)], ar: o.edns ? [opt({ udpSize: 4096 })] : [] });
}
