// 2-byte length framing of DNS messages over a byte stream (RFC 1035 4.2.2, RFC 7766 8): shared
// by TCP, DoT and the TCP leg of --tcp-fallback.

/** Bytes in, whole messages out. A read may hold part of a message or several. */
export class FrameReader {
  private pending: Buffer | null = null;

  /** `onMessage(buf, off, len)` gets each complete message as a range of `buf` (valid during the call). */
  constructor(private readonly onMessage: (buf: Buffer, off: number, len: number) => void) {}

  push(chunk: Buffer): void {
    let buf = chunk;
    if (this.pending !== null) {
      buf = Buffer.concat([this.pending, chunk]);
      this.pending = null;
    }
    let off = 0;
    while (buf.length - off >= 2) {
      const len = (buf[off]! << 8) | buf[off + 1]!;
      if (buf.length - off - 2 < len) break;
      // A range, not a copy: the channel reads the message before this returns.
      this.onMessage(buf, off + 2, len);
      off += 2 + len;
    }
    // Keep the tail of a message cut by the read (a copy, so the chunk is not pinned). At most
    // one 65537-byte message, so a hostile stream cannot make this grow.
    if (off < buf.length) this.pending = Buffer.from(buf.subarray(off));
  }

  reset(): void {
    this.pending = null;
  }
}

/** The message with its 2-byte length prefix. */
export function frame(msg: Buffer): Buffer {
  const out = Buffer.allocUnsafe(msg.length + 2);
  out[0] = msg.length >>> 8;
  out[1] = msg.length & 0xff;
  msg.copy(out, 2);
  return out;
}
