// The --expect side table's shapes (queryset/expect.ts builds it, engine/checks.ts reads it), apart
// so the query set's type can name it without importing the parser.

/** What one query's answer must be (engine/checks.ts compares). */
export interface Expectation {
  /** The RCODE the answer must carry (header RCODE, 0..15). */
  rcode: number;
  /**
   * Canonical record data (queryset/rdata-text.ts) the answer's records of the queried type must
   * equal as a set, sorted. Empty: with another RCODE, only the RCODE is compared; with NOERROR,
   * no record may come when `nodata`, any may otherwise.
   */
  records: string[];
  /** NODATA: NOERROR and no record of the queried type (records is then empty). */
  nodata: boolean;
  /** The expectation as the report shows it ("198.51.100.1", "NXDOMAIN", "NODATA"). */
  text: string;
}

/** The side table: per query index of the set, an index into `list` or -1. */
export interface ExpectationTable {
  /** Int32Array(count) over shared memory. */
  index: SharedArrayBuffer;
  list: Expectation[];
  /** Queries of the set that have an expectation. */
  covered: number;
}
