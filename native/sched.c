/* The C-side send schedule: see sched.h. */
#include "sched.h"

#include <errno.h>
#include <stdlib.h>

#define MASK (US_SCHED_CAP - 1)

int us_sched_init(us_sched *q) {
  q->id = calloc(US_SCHED_CAP, sizeof *q->id);
  q->qi = calloc(US_SCHED_CAP, sizeof *q->qi);
  q->due_ns = calloc(US_SCHED_CAP, sizeof *q->due_ns);
  q->done = calloc(US_SCHED_CAP, sizeof *q->done);
  q->taken = q->sent = q->tail = 0;
  q->skipped = 0;
  if (q->id == NULL || q->qi == NULL || q->due_ns == NULL || q->done == NULL) {
    us_sched_free(q);
    return ENOMEM;
  }
  return 0;
}

void us_sched_free(us_sched *q) {
  free(q->id);
  free(q->qi);
  free(q->due_ns);
  free(q->done);
  q->id = NULL;
  q->qi = NULL;
  q->due_ns = NULL;
  q->done = NULL;
  q->taken = q->sent = q->tail = 0;
}

int us_sched_run(us_sched *q, int64_t now_ns, int64_t until_ns, const us_socket *s, us_send_scratch *sc, const unsigned char *wire,
                 size_t wire_len, const uint32_t *offsets, size_t count, us_errors *errs, double *calls,
                 double *sent, double *refused) {
  /* Bounded: each pass consumes at least one entry or returns. */
  while (q->sent != q->tail) {
    uint32_t i = q->sent & MASK;
    int64_t due = q->due_ns[i];
    if (due > until_ns) return 0;
    if (now_ns - due > q->late_ns) {
      /* Too late to keep the rate a ceiling: this slot is skipped, never sent in a burst. */
      q->done[i] = 0;
      q->skipped += 1;
      q->sent++;
      continue;
    }
    /* The run of due, timely entries from i that does not wrap the ring. */
    uint32_t k = 1;
    uint32_t left = q->tail - q->sent;
    while (k < left && i + k < US_SCHED_CAP && q->due_ns[i + k] <= until_ns && now_ns - q->due_ns[i + k] <= q->late_ns) k++;
    us_send_result r = us_send_batch(s, sc, k, &q->id[i], &q->qi[i], wire, wire_len, offsets, count, &q->done[i], errs);
    *calls += r.calls;
    for (uint32_t j = 0; j < r.consumed; j++) {
      if (q->done[i + j] < 0)
        *refused += 1;
      else
        *sent += 1;
    }
    q->sent += r.consumed;
    if (r.blocked) return 1;
  }
  return 0;
}

uint32_t us_sched_cancel(us_sched *q) {
  uint32_t n = q->tail - q->sent;
  for (; q->sent != q->tail; q->sent++) q->done[q->sent & MASK] = 0;
  return n;
}

uint32_t us_sched_take(us_sched *q, double *out, uint32_t max) {
  uint32_t n = q->sent - q->taken;
  if (n > max) n = max;
  for (uint32_t j = 0; j < n; j++) out[j] = q->done[(q->taken + j) & MASK];
  q->taken += n;
  return n;
}
