// The contract of the native batched UDP addon (native/addon.c, native/udp_sock.c): what the engine
// may call and what it gets back. Kept apart from the loader (addon.ts) so a transport can import
// the types without loading anything. Linux only; see docs in each member.

/** ABI_VERSION in native/addon.c: the loader refuses a build with another value. */
export const NATIVE_ABI_VERSION = 4;

/**
 * Per received message, `metaStride` (4) doubles in `meta`, message i at i * 4:
 * - [+0] LENGTH: bytes copied into its ring slot (min(datagram length, slotSize));
 * - [+1] ARRIVAL: arrival time, CLOCK_MONOTONIC ms (see NativeUdpSocket.timestamps);
 * - [+2] FLAGS: FLAG_* bits below;
 * - [+3] DATAGRAM_LENGTH: the datagram's real length (> LENGTH when truncated).
 */
export const META = { stride: 4, length: 0, arrival: 1, flags: 2, datagramLength: 3 } as const;
/** The source address and port equal the target's (always set on a connected socket). */
export const FLAG_FROM_TARGET = 1;
/** MSG_TRUNC: the datagram was larger than slotSize; only LENGTH bytes are in the slot. */
export const FLAG_TRUNCATED = 2;
/** ARRIVAL is the kernel's receive timestamp (SO_TIMESTAMPNS); otherwise recvmmsg's return. */
export const FLAG_KERNEL_TIME = 4;

/** Shaped like UdpOpenOptions (udp-channel.ts) plus `connect`. */
export interface NativeUdpOpenOptions {
  family: 4 | 6;
  /** Numeric IPv4/IPv6 address of the target (no name resolution in C). */
  host: string;
  /** 1..65535. */
  port: number;
  /** -a: numeric local address to bind, or null for any. */
  localAddress: string | null;
  /** -x: local port to bind (0..65535), or null for one the kernel picks. */
  localPort: number | null;
  /** -b: SO_SNDBUF and SO_RCVBUF in bytes (the kernel doubles it and caps it at wmem_max/rmem_max), or null. */
  bufferBytes: number | null;
  /**
   * true: connect(2) to the target; the kernel drops datagrams from any other source and reports
   * ICMP errors as ECONNREFUSED etc. false: unconnected (sendto); replies from any source arrive,
   * flagged by FLAG_FROM_TARGET, and ICMP errors come from the error queue (IP_RECVERR).
   */
  connect: boolean;
  /**
   * Most messages per sendmmsg call, 1..256 (addon.sendCap); null or absent: 256. Every message of
   * one call gets the time read just before the call, and the kernel sends them one after another
   * (about 2-4 µs each on this project's machines, including loopback delivery), so the k-th
   * message of a call is charged up to k x that much of the client's own sending as latency: a
   * smaller cap bounds that error at the price of more syscalls. The first message of each
   * sendBatch goes in a call of its own whatever the cap: delivering it may wake the server, which
   * a VM pays for inside that call, after the datagram is queued.
   */
  sendCap?: number | null;
}

export interface NativeUdpStartOptions {
  /** slots x slotSize bytes; slot i holds message i of the current batch at i * slotSize. */
  ring: Uint8Array;
  /** 12..65535 bytes; longer datagrams are cut and flagged FLAG_TRUNCATED. */
  slotSize: number;
  /** 1..1024 (maxSlots): messages per recvmmsg. */
  slots: number;
  /** At least slots x META.stride doubles. */
  meta: Float64Array;
  /**
   * n (>= 1) messages are in ring slots 0..n-1 and described in meta. Called synchronously after
   * each recvmmsg, up to 8 times per readable event (then the loop gets a turn); the ring is reused
   * by the next call, so read the answers here. Sending from here (the refill) is fine.
   */
  onReadable(n: number): void;
  /** The socket can send again after sendBatch/sendRaw stopped on EAGAIN/ENOBUFS. */
  onWritable(): void;
  /**
   * `count` errors with errno name `code` (equal neighbours are merged). ICMP errors (port or host
   * unreachable: ECONNREFUSED, EHOSTUNREACH, ...) are reported here and never close the socket.
   * `address` is where the failed datagram went ("127.0.0.1:53", "[::1]:53") when the kernel says,
   * else null. 'ERR_RING_DETACHED' means ring or meta was detached and receiving stopped.
   */
  onError(code: string, address: string | null, count: number): void;
}

/** Counters since open(); calls are syscalls, so (sendCalls + recvCalls) / sent is syscalls per query. */
export interface NativeUdpStats {
  /** sendmmsg calls. */
  sendCalls: number;
  /** Messages sendBatch handed to the kernel. */
  sent: number;
  /** Messages sendRaw handed to the kernel. */
  rawSent: number;
  /** Messages the kernel refused for good (negative sentAt / sendRaw result other than EAGAIN/ENOBUFS). */
  refused: number;
  /** Times a send stopped on EAGAIN/ENOBUFS. */
  blocked: number;
  /** recvmmsg calls, including the last one that found nothing. */
  recvCalls: number;
  received: number;
  truncated: number;
  /** Received messages not from the target (unconnected sockets only). */
  foreign: number;
  /** Poll callbacks (readable, writable or error events). */
  wakeups: number;
  /** Errors reported (or still queued for) onError. */
  errors: number;
  /** Entries handed to schedule(). */
  scheduled: number;
  /** Timer wake-ups of the send schedule (each one sends what is due, in C). */
  scheduleWakeups: number;
  /** Scheduled entries not sent because their turn came more than lateMs late. */
  skippedLate: number;
  /**
   * How far ahead of a due time the schedule's timer is armed now (µs): its measured wake-up
   * latency, 0..150. An entry due within that much of a wake-up leaves then.
   */
  scheduleEarlyUs: number;
}

/**
 * A non-blocking UDP socket owned by C. Every method throws TypeError for an argument of the wrong
 * type, RangeError for an index or size out of range, and an Error with code 'EBADF' after close().
 */
export interface NativeUdpSocket {
  readonly connected: boolean;
  /**
   * Where arrival times come from. 'kernel': SO_TIMESTAMPNS, the time the datagram entered this
   * host's network stack (for loopback: when the server's send reached the loopback device; for a
   * NIC: the driver's receive path). It excludes time in the socket's receive queue, the wait for
   * the event loop and recvmmsg itself; it includes the server's processing and the path back.
   * Stamped on CLOCK_REALTIME by the kernel and converted to CLOCK_MONOTONIC with an offset read
   * once per recvmmsg (error: tens of ns, or the size of a realtime step that lands in between).
   * 'recvmmsg': SO_TIMESTAMPNS was refused; arrival is the clock read when recvmmsg returned.
   */
  readonly timestamps: 'kernel' | 'recvmmsg';
  /** The bound local address and port. */
  local(): { address: string; port: number };
  /**
   * The queries to send from, by reference (no copy; kept alive until close): message i is
   * wire[offsets[i] .. offsets[i + 1]), at least 2 bytes (the ID is supplied separately). Pass
   * `new Uint8Array(qs.wire)` and `new Uint32Array(qs.offsets)` of a QuerySet (the
   * SharedArrayBuffers themselves cannot be read through Node-API on Node 20). Throws RangeError
   * when an offset is out of order, a message is not 2..65535 bytes, or offsets pass the buffer.
   */
  setQueries(wire: Uint8Array, offsets: Uint32Array): void;
  /**
   * Sends messages 0..n-1 with sendmmsg, message 0 alone, then at most open()'s `sendCap` per call, zero-copy: message i is
   * ids[i] (big-endian, 2 bytes) followed by bytes 2.. of query queryIndex[i]. Every index and
   * offset is checked before anything is sent (RangeError). sentAt[i] gets the CLOCK_MONOTONIC ms
   * read right before the sendmmsg that carried message i (a lower bound of when it left: latency
   * measured from it never flatters, see sendCap), or -errno (e.g. -1 EPERM) when the kernel
   * refused that message for good; such a message is skipped and never retried.
   * Returns how many messages were consumed (sent or refused), from the front: fewer than n when
   * the socket buffer filled (EAGAIN/ENOBUFS), and then onWritable fires (after start()) when it
   * can send again; send the rest then. A pending ICMP error that surfaces on a send goes to
   * onError (synchronously, before this returns), not to the message.
   */
  sendBatch(ids: Uint16Array, queryIndex: Int32Array | Uint32Array, n: number, sentAt: Float64Array): number;
  /**
   * Sends one message as it is (a TSIG-signed query, which is not in the shared buffer). Returns
   * its send time (CLOCK_MONOTONIC ms, > 0) or -errno: -11 (EAGAIN) or -105 (ENOBUFS) mean try
   * again on onWritable; anything else means the kernel refused it.
   */
  sendRaw(buf: Uint8Array): number;
  /**
   * Starts a level-triggered poll of the socket on this thread's event loop. Throws
   * ERR_INVALID_STATE when called twice. The socket (and the objects passed) stay alive until
   * close(), even if unreferenced.
   */
  start(o: NativeUdpStartOptions): void;
  /** "addr:port" ("[v6]:port") of message `slot` of the current batch; only inside onReadable. */
  sourceOf(slot: number): string;
  stats(): NativeUdpStats;
  /**
   * Deferred answers (paced runs): on, the socket is not watched for answers, which wait in the
   * kernel with their arrival times until recv() reads them; off, onReadable is called again.
   * Errors pending meanwhile reach onError when watching resumes.
   */
  setDeferred(on: boolean): void;
  /**
   * One recvmmsg without a callback: n messages now in ring slots 0..n-1, described in meta as
   * for onReadable; 0 when none was waiting. Needs start(). ICMP errors go to onError first.
   */
  recv(): number;
  /**
   * The send schedule (paced runs): n queries to leave at their due times, sent from C by a
   * timerfd (CLOCK_MONOTONIC) on this thread's loop without entering JavaScript per query. Entry
   * i is message ids[i] + query queryIndex[i] (as sendBatch), due at dueMs[i] (CLOCK_MONOTONIC
   * ms, nondecreasing, and not earlier than the entries already waiting). The timer is armed ahead
   * of the next due time by its measured wake-up latency (stats().scheduleEarlyUs, at most 150 µs)
   * and the entries due within that much of a wake-up leave in one sendmmsg: an entry may leave
   * up to that much before its due time, so that on a host whose idle CPUs take ~100 µs to wake
   * the send times centre on the due times instead of all trailing them. An entry whose turn comes more than lateMs after its due time
   * is not sent (the rate is a ceiling; engine/loop.ts). At most 4096 entries wait or hold a
   * result not taken. Throws RangeError for a bad index, time or count, ERR_INVALID_STATE before
   * setQueries.
   */
  schedule(ids: Uint16Array, queryIndex: Int32Array, dueMs: Float64Array, n: number, lateMs: number): void;
  /**
   * Results of scheduled entries done since the last call, oldest first, into out: the send time
   * (CLOCK_MONOTONIC ms, > 0, read right before its sendmmsg), 0 when it was not sent (too late,
   * or cancelled), or -errno when the kernel refused it. Returns how many (at most out.length).
   */
  takeSent(out: Float64Array): number;
  /**
   * With `sendDue`, first sends the entries due by now (not past their lateMs), as the timer
   * would; then drops every scheduled entry not sent (takeSent gives 0 for each). Returns how many
   * were dropped. Throws TypeError when sendDue is not a boolean.
   */
  cancelScheduled(sendDue?: boolean): number;
  /** Stops polling and closes the fd. Idempotent; allowed inside any callback. */
  close(): void;
}

export interface NativeUdpAddon {
  readonly abiVersion: number;
  /** Most messages per sendmmsg call (256), the largest open() sendCap. */
  readonly sendCap: number;
  /** Largest `slots` for start() (1024). */
  readonly maxSlots: number;
  readonly metaStride: number;
  readonly flagFromTarget: number;
  readonly flagTruncated: number;
  readonly flagKernelTime: number;
  /**
   * A bound (and, with connect, connected) non-blocking socket. Throws TypeError/RangeError for bad
   * options, or an Error with `code` (errno name, e.g. 'EADDRINUSE'), `errno` (negative, as Node's
   * system errors) and `syscall` ('socket', 'bind', 'connect', 'setsockopt') when the kernel refuses.
   */
  open(o: NativeUdpOpenOptions): NativeUdpSocket;
  /** CLOCK_MONOTONIC in ms: the clock of every time the addon returns (see clockOffsetMs). */
  monotonicMs(): number;
  /**
   * The calling thread's precise timer (native/ptimer.c: a timerfd on CLOCK_MONOTONIC watched by
   * uv_poll): `callback` runs on this thread's loop when an armed expiry passes. Throws when this
   * thread already has one.
   */
  timerStart(callback: () => void): void;
  /** Expire at CLOCK_MONOTONIC ms (a time already past fires at once); replaces any earlier expiry. */
  timerArm(monotonicMs: number): void;
  timerDisarm(): void;
  /** Release this thread's timer (idempotent). */
  timerClose(): void;
}
