/*
 * The socket half of the native UDP addon: plain POSIX/Linux, no Node-API. addon.c validates the
 * JavaScript arguments and calls these; nothing here allocates per message or touches JS values.
 */
#ifndef DNSBENCH_UDP_SOCK_H
#define DNSBENCH_UDP_SOCK_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* Messages per sendmmsg/recvmmsg call. The kernel caps one call at UIO_MAXIOV (1024) anyway. */
#define US_SEND_CAP 256
#define US_MAX_SLOTS 1024
/* Per received message: copied length, arrival ms, flags, datagram length (see addon.ts). */
#define US_META_STRIDE 4
#define US_FLAG_FROM_TARGET 1
#define US_FLAG_TRUNCATED 2
#define US_FLAG_KERNEL_TIME 4
/* Error reports waiting for the JS onError callback; equal neighbours are merged with a count. */
#define US_ERROR_QUEUE 32
/* Enough for one SCM_TIMESTAMPNS (32 bytes) and anything unexpected beside it. */
#define US_CTRL_LEN 64

typedef union {
  struct sockaddr sa;
  struct sockaddr_in in4;
  struct sockaddr_in6 in6;
  struct sockaddr_storage ss;
} us_addr;

typedef struct {
  int fd;
  int family;    /* AF_INET or AF_INET6 */
  int connected; /* connect()ed to target: the kernel drops datagrams from other sources */
  int kernel_ts; /* SO_TIMESTAMPNS is on: arrival times are the kernel's */
  unsigned send_cap; /* messages per sendmmsg, 1..US_SEND_CAP */
  us_addr target;
  socklen_t target_len;
} us_socket;

typedef struct {
  int code;           /* errno */
  int has_addr;
  us_addr addr;       /* the destination the failed datagram was sent to, when known */
  uint32_t count;
} us_error;

typedef struct {
  us_error items[US_ERROR_QUEUE];
  unsigned n;
  double total; /* every error ever pushed, merged or not */
} us_errors;

/* The receive ring's kernel-facing half: one msghdr, iovec, address and control buffer per slot. */
typedef struct {
  unsigned slots;
  unsigned slot_size;
  struct mmsghdr *msgs;
  struct iovec *iov;
  us_addr *names;
  unsigned char *ctrl;
  unsigned char *base; /* the buffer the iovecs point into */
  unsigned dirty;      /* headers the last recvmmsg filled, to reset before the next */
} us_ring;

typedef struct {
  struct mmsghdr msgs[US_SEND_CAP];
  struct iovec iov[2 * US_SEND_CAP];
  unsigned char id[US_SEND_CAP][2];
} us_send_scratch;

/* CLOCK_MONOTONIC in milliseconds: the clock libuv's uv_hrtime and so performance.now() use. */
double us_monotonic_ms(void);

/* "ECONNREFUSED" etc.; "E<n>" for numbers without a name. Never NULL. */
const char *us_errno_name(int err);

/* Parses a numeric address (no DNS) for family 4 or 6; 0 on success, -1 when it does not parse. */
int us_parse_addr(int family, const char *text, int port, us_addr *out, socklen_t *len);

/* "127.0.0.1:53" or "[::1]:53" into buf (at least 64 bytes). */
void us_format_addr(const us_addr *a, char *buf, size_t size);

/* Same family, address and port. */
int us_same_addr(const us_addr *a, socklen_t alen, const us_addr *b);

/*
 * Creates a non-blocking socket bound to `local` (any address and port when NULL), with
 * SO_TIMESTAMPNS on and, when connect_it, connected to s->target (which the caller filled in);
 * otherwise IP_RECVERR/IPV6_RECVERR is on so ICMP errors land in the error queue. buffer_bytes > 0
 * sets SO_SNDBUF and SO_RCVBUF. Returns 0, or an errno with *syscall naming the call that failed
 * (the socket is then closed).
 */
int us_open(us_socket *s, const us_addr *local, socklen_t local_len, int buffer_bytes, int connect_it,
            const char **syscall);

void us_close(us_socket *s);

/* Whether an errno is what the kernel reports for an ICMP error (sk_err) on a UDP socket. */
int us_is_icmp_errno(int err);

void us_errors_push(us_errors *q, int code, const us_addr *addr);

int us_ring_init(us_ring *r, unsigned slots, unsigned slot_size);
void us_ring_free(us_ring *r);

/*
 * One recvmmsg into base (slots x slot_size bytes), filling meta (slots x US_META_STRIDE doubles).
 * Returns the number of messages (>= 0) or -errno (-EAGAIN when nothing is waiting).
 */
int us_recv_batch(const us_socket *s, us_ring *r, unsigned char *base, double *meta);

typedef struct {
  unsigned consumed;  /* messages handed to the kernel or refused by it */
  int blocked;        /* stopped on EAGAIN/ENOBUFS: wait for writability */
  unsigned calls;     /* sendmmsg calls made */
} us_send_result;

/*
 * Sends n messages: message i is the 2-byte id[i] followed by bytes [2, len) of query qi[i], which
 * is wire[offsets[qi[i]] .. offsets[qi[i] + 1]) (offsets has count + 1 entries). The caller has
 * checked every index and offset; they are checked again as they are read, and a message that
 * changed into something out of bounds meanwhile (shared memory) is refused with -EINVAL.
 * sent_at[i] gets the CLOCK_MONOTONIC ms read right before the sendmmsg that carried message i, or
 * -errno when the kernel refused that message (it is skipped, not retried). Message 0 goes in a
 * call of its own (it may pay for waking the server), the rest in calls of at most send_cap. Stops early on
 * EAGAIN/ENOBUFS. Pending ICMP errors that surface on a send are pushed to errs (connected sockets
 * only; an unconnected socket reads them from its error queue).
 */
us_send_result us_send_batch(const us_socket *s, us_send_scratch *sc, unsigned n, const uint16_t *id,
                             const int32_t *qi, const unsigned char *wire, size_t wire_len,
                             const uint32_t *offsets, size_t count, double *sent_at, us_errors *errs);

/* One message as it is; returns the send time (ms) or -errno. Same error rules as us_send_batch. */
double us_send_one(const us_socket *s, const unsigned char *buf, size_t len, us_errors *errs);

/* Drains up to max entries of the error queue (IP_RECVERR) into errs; returns how many. */
int us_drain_errqueue(const us_socket *s, us_errors *errs, int max);

/* Reads and clears SO_ERROR; 0 when none. */
int us_take_so_error(const us_socket *s);

#endif
