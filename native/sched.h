/*
 * The C-side send schedule of the native UDP addon (paced runs, -Q): queries handed over ahead of
 * their due times leave from a timerfd callback on the event loop's thread, without entering
 * JavaScript per query. Plain C, no Node-API: addon.c owns the timerfd and the JS methods.
 */
#ifndef DNSBENCH_SCHED_H
#define DNSBENCH_SCHED_H
#include <stdint.h>

#include "udp_sock.h"

/* Entries one socket may hold ahead (a power of two); the engine keeps far fewer (docs/native-udp.md). */
#define US_SCHED_CAP 4096

/*
 * A FIFO ring of (ID, query index, due time) with one result per entry. Counters run modulo 2^32
 * and index the ring with & (US_SCHED_CAP - 1): taken <= sent <= tail. Entries [sent, tail) wait
 * for their due time; [taken, sent) are done and their results wait for us_sched_take.
 */
typedef struct {
  uint16_t *id;
  int32_t *qi;
  int64_t *due_ns; /* CLOCK_MONOTONIC ns */
  double *done;    /* send time (CLOCK_MONOTONIC ms, > 0), 0 when not sent (too late or cancelled), or -errno */
  uint32_t taken, sent, tail;
  int64_t late_ns; /* an entry more than this late is not sent (the -Q ceiling, engine/loop.ts horizon) */
  double skipped;  /* entries not sent because they were too late */
} us_sched;

/* Allocates the ring (US_SCHED_CAP entries); 0, or ENOMEM. */
int us_sched_init(us_sched *q);
void us_sched_free(us_sched *q);
/* Entries waiting to be sent. */
static inline uint32_t us_sched_waiting(const us_sched *q) { return q->tail - q->sent; }
/* Room for new entries (results not taken yet hold their place). */
static inline uint32_t us_sched_room(const us_sched *q) { return US_SCHED_CAP - (q->tail - q->taken); }
/* The due time of the next entry to send (ns); only when us_sched_waiting() > 0. */
static inline int64_t us_sched_next_due(const us_sched *q) { return q->due_ns[q->sent & (US_SCHED_CAP - 1)]; }

/*
 * Sends every waiting entry due by `until_ns` (now_ns, or a little after it: the timer is armed
 * ahead by its wake-up latency) in order, in sendmmsg batches (one per run of entries that does
 * not wrap the ring), after marking those more than late_ns late at now_ns as not sent (done = 0).
 * Stops at the first entry not yet due, or when the socket blocks (EAGAIN/ENOBUFS: returns 1; the
 * entries stay and are tried again). *calls counts sendmmsg calls, *sent and *refused messages.
 */
int us_sched_run(us_sched *q, int64_t now_ns, int64_t until_ns, const us_socket *s, us_send_scratch *sc, const unsigned char *wire,
                 size_t wire_len, const uint32_t *offsets, size_t count, us_errors *errs, double *calls,
                 double *sent, double *refused);

/* Marks every waiting entry as not sent (done = 0); returns how many. */
uint32_t us_sched_cancel(us_sched *q);

/* Copies up to `max` results, oldest first, into out and frees their places; returns how many. */
uint32_t us_sched_take(us_sched *q, double *out, uint32_t max);
#endif
