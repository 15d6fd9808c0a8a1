/*
 * Node-API glue for udp_sock.c: argument checks, the socket object, and a level-triggered uv_poll_t
 * that drains the socket with recvmmsg and calls JavaScript once per batch. The JS-facing contract
 * is documented in src/engine/native/addon.ts; keep the two in step (ABI_VERSION below).
 *
 * Every argument is checked here, in C: a wrong type throws TypeError, an index or size out of range
 * throws RangeError, and nothing reads or writes outside the buffers JavaScript handed over.
 * Buffers are looked up again from their references on every call, so a detached ArrayBuffer shows
 * up as a length of 0 (an error) instead of a dangling pointer.
 */
#define NAPI_VERSION 8
#include <node_api.h>
#include <uv.h>

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "ptimer.h"
#include "sched.h"
#include "udp_sock.h"

/* Bumped whenever the JS-facing contract changes; the loader refuses a stale build. */
#define ABI_VERSION 4
/* recvmmsg calls per readable event, so one busy socket cannot starve the event loop. */
#define MAX_ROUNDS 8
/* Error-queue entries read per error event. */
#define ERRQUEUE_BATCH 64
/* Consecutive error events that found nothing to drain before polling gives up (never expected). */
#define MAX_EMPTY_ERROR_EVENTS 64
/* A scheduled send that found the socket buffer full is tried again this much later (ns). */
#define SCHED_RETRY_NS 50000
/*
 * The schedule's timer is armed ahead of a due time by its measured wake-up latency (an average
 * of the last ~8 wake-ups: from the expiry to the callback), at most this much (ns), and a query
 * whose due time falls within that much of the wake-up leaves then. A vCPU that halted while
 * idle takes 100-150 us to wake here, so at a few hundred qps every query left that late; now
 * the send time centres on the due time (send lag is |send - due|: engine/recorder.ts).
 */
#define SCHED_EARLY_MAX_NS 150000

typedef struct sock sock;

typedef struct {
  napi_ref ctor;
  sock *pending; /* handed from open() to the constructor */
} module_state;

struct sock {
  napi_env env;
  us_socket u;
  int closed;
  int hooked;       /* env cleanup hook registered */
  int strong;       /* self is a strong reference (while polling) */
  napi_ref self;    /* the JS object; weak until start() */
  napi_ref wire;    /* Uint8Array of concatenated queries */
  napi_ref offsets; /* Uint32Array, count + 1 entries */

  /* receiving (after start) */
  uv_poll_t *poll;
  int events;        /* what the poll handle watches now */
  int want_writable; /* a send hit EAGAIN/ENOBUFS: call onWritable when the socket drains */
  int deferred;      /* setDeferred(true): answers wait in the kernel until recv() (paced runs) */
  int started;
  napi_async_context actx;
  napi_ref ring, meta, on_readable, on_writable, on_error;
  us_ring r;
  unsigned last_n;
  unsigned empty_error_events;

  us_errors errs;
  us_send_scratch send;

  /* The C-side send schedule (schedule/takeSent), set up by the first schedule(): a timerfd on
     CLOCK_MONOTONIC, watched by its own uv_poll_t, sends each entry at its due time. */
  us_sched sch;
  int sch_fd;            /* -1 until set up */
  uv_poll_t *sch_poll;
  int64_t sch_armed;     /* the expiry armed (CLOCK_MONOTONIC ns), 0 when none */
  int sch_measure;       /* the expiry was in the future when armed: its wake-up latency counts */
  int64_t sch_lat_ns;    /* wake-up latency estimate (ns, 0..SCHED_EARLY_MAX_NS) */

  struct {
    double send_calls, sent, refused, blocked, raw_sent;
    double recv_calls, received, truncated, foreign, wakeups;
    double scheduled, sched_wakeups;
  } st;
};

/* ---------------------------------------------------------------- errors thrown to JavaScript */

static napi_value throw_kind(napi_env env, int range, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static napi_value throw_kind(napi_env env, int range, const char *fmt, ...) {
  char msg[256];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (range)
    napi_throw_range_error(env, NULL, msg);
  else
    napi_throw_type_error(env, NULL, msg);
  return NULL;
}
#define THROW_TYPE(env, ...) throw_kind(env, 0, __VA_ARGS__)
#define THROW_RANGE(env, ...) throw_kind(env, 1, __VA_ARGS__)

/* An Error shaped like Node's system errors: code "EADDRINUSE", errno -98, syscall "bind". */
static napi_value throw_errno(napi_env env, int err, const char *syscall, const char *detail) {
  char msg[320];
  const char *name = us_errno_name(err);
  snprintf(msg, sizeof msg, "%s %s: %s (%s)", syscall, detail, strerror(err), name);
  napi_value m, code, e, no, sc;
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &m);
  napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &code);
  napi_create_error(env, code, m, &e);
  napi_set_named_property(env, e, "code", code);
  napi_create_int32(env, -err, &no);
  napi_set_named_property(env, e, "errno", no);
  napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &sc);
  napi_set_named_property(env, e, "syscall", sc);
  napi_throw(env, e);
  return NULL;
}

/* A napi call failed unexpectedly: surface it instead of carrying on with garbage. */
#define NAPI_OK(env, call)                                                           \
  do {                                                                               \
    if ((call) != napi_ok) {                                                         \
      bool pending_ = false;                                                         \
      napi_is_exception_pending((env), &pending_);                                   \
      if (!pending_) napi_throw_error((env), NULL, "native udp: " #call " failed"); \
      return NULL;                                                                   \
    }                                                                                \
  } while (0)

/* ---------------------------------------------------------------- argument readers */

static int is_nullish(napi_env env, napi_value v) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok) return 0;
  return t == napi_undefined || t == napi_null;
}

static int get_prop(napi_env env, napi_value obj, const char *name, napi_value *out) {
  return napi_get_named_property(env, obj, name, out) == napi_ok;
}

/* An integer in [min, max]; throws and returns -1 otherwise. */
static int read_int(napi_env env, napi_value v, const char *what, double min, double max, double *out) {
  napi_valuetype t;
  napi_typeof(env, v, &t);
  if (t != napi_number) {
    THROW_TYPE(env, "%s must be a number", what);
    return -1;
  }
  double d;
  napi_get_value_double(env, v, &d);
  if (!(d >= min && d <= max) || floor(d) != d) {
    THROW_RANGE(env, "%s must be an integer in %.0f..%.0f, got %g", what, min, max, d);
    return -1;
  }
  *out = d;
  return 0;
}

/* A string of at most size-1 bytes into buf; throws and returns -1 otherwise. */
static int read_string(napi_env env, napi_value v, const char *what, char *buf, size_t size) {
  napi_valuetype t;
  napi_typeof(env, v, &t);
  if (t != napi_string) {
    THROW_TYPE(env, "%s must be a string", what);
    return -1;
  }
  size_t len;
  napi_get_value_string_utf8(env, v, NULL, 0, &len);
  if (len >= size) {
    THROW_RANGE(env, "%s is too long (%zu bytes)", what, len);
    return -1;
  }
  napi_get_value_string_utf8(env, v, buf, size, &len);
  return 0;
}

static const char *typed_name(napi_typedarray_type t) {
  switch (t) {
    case napi_uint8_array: return "Uint8Array";
    case napi_uint16_array: return "Uint16Array";
    case napi_int32_array: return "Int32Array";
    case napi_uint32_array: return "Uint32Array";
    case napi_float64_array: return "Float64Array";
    default: return "a typed array";
  }
}

/*
 * A typed array of type want (or want2, if not -1); *len is its element count. Throws TypeError and
 * returns -1 otherwise. A detached buffer reads as length 0.
 */
static int read_typed(napi_env env, napi_value v, const char *what, napi_typedarray_type want, int want2,
                      void **data, size_t *len) {
  bool is = false;
  napi_is_typedarray(env, v, &is);
  napi_typedarray_type t;
  if (is && napi_get_typedarray_info(env, v, &t, len, data, NULL, NULL) == napi_ok &&
      (t == want || (want2 >= 0 && t == (napi_typedarray_type)want2))) {
    if (*data == NULL) *len = 0;
    return 0;
  }
  if (want2 >= 0)
    THROW_TYPE(env, "%s must be a %s or %s", what, typed_name(want), typed_name((napi_typedarray_type)want2));
  else
    THROW_TYPE(env, "%s must be a %s", what, typed_name(want));
  return -1;
}

static int read_function(napi_env env, napi_value obj, const char *name, napi_ref *out) {
  napi_value v;
  napi_valuetype t = napi_undefined;
  if (get_prop(env, obj, name, &v)) napi_typeof(env, v, &t);
  if (t != napi_function) {
    THROW_TYPE(env, "%s must be a function", name);
    return -1;
  }
  return napi_create_reference(env, v, 1, out) == napi_ok ? 0 : -1;
}

/* ---------------------------------------------------------------- lifetime */

static void delete_ref(napi_env env, napi_ref *r) {
  if (*r != NULL) napi_delete_reference(env, *r);
  *r = NULL;
}

static void free_handle(uv_handle_t *h) { free(h); }

/* Stops polling and closes the fd; no JavaScript is touched (safe from the env cleanup hook). */
static void shutdown_native(sock *s) {
  if (s->sch_poll != NULL) {
    uv_poll_stop(s->sch_poll);
    s->sch_poll->data = NULL;
    uv_close((uv_handle_t *)s->sch_poll, free_handle);
    s->sch_poll = NULL;
  }
  if (s->sch_fd >= 0) close(s->sch_fd);
  s->sch_fd = -1;
  us_sched_free(&s->sch);
  if (s->poll != NULL) {
    uv_poll_stop(s->poll);
    s->poll->data = NULL;
    /* uv_close takes the fd out of epoll now; the handle's memory goes in the close callback. */
    uv_close((uv_handle_t *)s->poll, free_handle);
    s->poll = NULL;
  }
  us_close(&s->u);
  us_ring_free(&s->r);
  s->closed = 1;
}

static void release_refs(sock *s) {
  napi_env env = s->env;
  delete_ref(env, &s->wire);
  delete_ref(env, &s->offsets);
  delete_ref(env, &s->ring);
  delete_ref(env, &s->meta);
  delete_ref(env, &s->on_readable);
  delete_ref(env, &s->on_writable);
  delete_ref(env, &s->on_error);
}

static void on_env_cleanup(void *arg) {
  sock *s = arg;
  s->hooked = 0;
  shutdown_native(s);
}

static void sock_close(sock *s) {
  napi_env env = s->env;
  if (s->hooked) {
    napi_remove_env_cleanup_hook(env, on_env_cleanup, s);
    s->hooked = 0;
  }
  if (!s->closed) shutdown_native(s);
  if (s->actx != NULL) {
    napi_async_destroy(env, s->actx);
    s->actx = NULL;
  }
  release_refs(s);
  if (s->strong) {
    uint32_t left;
    napi_reference_unref(env, s->self, &left);
    s->strong = 0;
  }
}

/* The JS object was collected (or the environment is going away) without close(). */
static void finalize(napi_env env, void *data, void *hint) {
  (void)hint;
  sock *s = data;
  s->env = env;
  if (s->hooked) {
    napi_remove_env_cleanup_hook(env, on_env_cleanup, s);
    s->hooked = 0;
  }
  if (!s->closed) shutdown_native(s);
  /* napi_async_destroy needs a live JS context, which a finalizer may not have. */
  s->actx = NULL;
  release_refs(s);
  delete_ref(env, &s->self);
  free(s);
}

/* `this` as an open socket; throws (EBADF) when it was closed. */
static sock *this_sock(napi_env env, napi_value self, int must_be_open) {
  sock *s = NULL;
  if (napi_unwrap(env, self, (void **)&s) != napi_ok || s == NULL) {
    THROW_TYPE(env, "not a native UDP socket");
    return NULL;
  }
  if (must_be_open && s->closed) {
    throw_errno(env, EBADF, "use", "of a closed socket");
    return NULL;
  }
  return s;
}

/* ---------------------------------------------------------------- calling JavaScript */

static napi_value error_args(napi_env env, const us_error *e, napi_value argv[3]) {
  napi_create_string_utf8(env, us_errno_name(e->code), NAPI_AUTO_LENGTH, &argv[0]);
  if (e->has_addr) {
    char buf[80];
    us_format_addr(&e->addr, buf, sizeof buf);
    napi_create_string_utf8(env, buf, NAPI_AUTO_LENGTH, &argv[1]);
  } else {
    napi_get_null(env, &argv[1]);
  }
  napi_create_uint32(env, e->count, &argv[2]);
  return argv[0];
}

/*
 * From the poll callback (no JavaScript on the stack): napi_make_callback, so promise jobs and
 * nextTicks run afterwards as for any I/O callback. An exception becomes an uncaught exception,
 * as one thrown from a dgram 'message' listener would. Returns 0, 1 when JS closed the socket,
 * -1 when JS threw (or the call could not be made).
 */
static int call_from_loop(sock *s, napi_value self, napi_ref fn_ref, size_t argc, napi_value *argv) {
  napi_env env = s->env;
  napi_value fn;
  if (fn_ref == NULL || napi_get_reference_value(env, fn_ref, &fn) != napi_ok) return -1;
  napi_status st = napi_make_callback(env, s->actx, self, fn, argc, argv, NULL);
  if (st != napi_ok) {
    bool pending = false;
    napi_is_exception_pending(env, &pending);
    if (pending) {
      napi_value e;
      napi_get_and_clear_last_exception(env, &e);
      napi_fatal_exception(env, e);
    }
    return -1;
  }
  return s->closed ? 1 : 0;
}

/*
 * Hands queued error reports to onError. in_js: called from a method (sendBatch, sendRaw), so a
 * plain call whose exception propagates to the caller. Reports stay queued until start() gives
 * an onError. Returns -1 when onError threw (the reports after it are queued again), else 0.
 */
static int flush_errors(sock *s, napi_value self, int in_js) {
  napi_env env = s->env;
  if (s->errs.n == 0 || s->on_error == NULL) return 0;
  us_errors q = s->errs;
  s->errs.n = 0;
  for (unsigned i = 0; i < q.n; i++) {
    if (s->closed) return 0;
    napi_value argv[3];
    error_args(env, &q.items[i], argv);
    int threw;
    if (in_js) {
      napi_value fn;
      threw = napi_get_reference_value(env, s->on_error, &fn) != napi_ok ||
              napi_call_function(env, self, fn, 3, argv, NULL) != napi_ok;
    } else {
      threw = call_from_loop(s, self, s->on_error, 3, argv) < 0;
    }
    if (threw) {
      /* Not lost: back in front of anything queued meanwhile, for the next flush. */
      us_errors later = s->errs;
      s->errs.n = 0;
      for (unsigned j = i + 1; j < q.n && s->errs.n < US_ERROR_QUEUE; j++) s->errs.items[s->errs.n++] = q.items[j];
      for (unsigned j = 0; j < later.n && s->errs.n < US_ERROR_QUEUE; j++) s->errs.items[s->errs.n++] = later.items[j];
      return -1;
    }
  }
  return 0;
}

/* ---------------------------------------------------------------- polling */

static void on_poll(uv_poll_t *h, int status, int events);

/* What the poll handle should watch: readable unless answers are deferred to recv(), writable while a send waits. */
static int wanted_events(const sock *s) { return (s->deferred ? 0 : UV_READABLE) | (s->want_writable ? UV_WRITABLE : 0); }

static int set_events(sock *s, int events) {
  if (s->poll == NULL) return 0;
  if (s->events == events) return 0;
  int r = uv_poll_start(s->poll, events, on_poll);
  if (r == 0) s->events = events;
  return r;
}

static int fetch_ring(sock *s, unsigned char **base, double **meta) {
  napi_env env = s->env;
  napi_value v;
  void *data;
  size_t len;
  napi_typedarray_type t;
  if (napi_get_reference_value(env, s->ring, &v) != napi_ok ||
      napi_get_typedarray_info(env, v, &t, &len, &data, NULL, NULL) != napi_ok || data == NULL ||
      len < (size_t)s->r.slots * s->r.slot_size)
    return -1;
  *base = data;
  if (napi_get_reference_value(env, s->meta, &v) != napi_ok ||
      napi_get_typedarray_info(env, v, &t, &len, &data, NULL, NULL) != napi_ok || data == NULL ||
      len < (size_t)s->r.slots * US_META_STRIDE)
    return -1;
  *meta = data;
  return 0;
}

/* Pushes an errno seen on recvmmsg; returns 1 when receiving should stop for this event. */
static int recv_error(sock *s, int err) {
  if (err == EINTR) return 0;
  /* An unconnected socket also gets each ICMP error from its error queue: count it once, there. */
  if (s->u.connected || !us_is_icmp_errno(err)) us_errors_push(&s->errs, err, s->u.connected ? &s->u.target : NULL);
  return us_is_icmp_errno(err) ? 0 : 1;
}

static void do_readable(sock *s, napi_value self) {
  napi_env env = s->env;
  for (int round = 0; round < MAX_ROUNDS && !s->closed; round++) {
    unsigned char *base;
    double *meta;
    if (fetch_ring(s, &base, &meta) != 0) {
      /* The ring or meta array was detached (transferred) under us: stop receiving, say why. */
      set_events(s, 0);
      napi_value argv[3];
      napi_create_string_utf8(env, "ERR_RING_DETACHED", NAPI_AUTO_LENGTH, &argv[0]);
      napi_get_null(env, &argv[1]);
      napi_create_uint32(env, 1, &argv[2]);
      s->errs.total += 1;
      call_from_loop(s, self, s->on_error, 3, argv);
      return;
    }
    int n = us_recv_batch(&s->u, &s->r, base, meta);
    s->st.recv_calls += 1;
    if (n == -EAGAIN || n == -EWOULDBLOCK) return;
    if (n < 0) {
      if (recv_error(s, -n)) return;
      continue;
    }
    s->last_n = (unsigned)n;
    s->st.received += n;
    for (int i = 0; i < n; i++) {
      int flags = (int)meta[(size_t)i * US_META_STRIDE + 2];
      if (flags & US_FLAG_TRUNCATED) s->st.truncated += 1;
      if (!(flags & US_FLAG_FROM_TARGET)) s->st.foreign += 1;
    }
    if (n > 0) {
      napi_value arg;
      napi_create_uint32(env, (uint32_t)n, &arg);
      if (call_from_loop(s, self, s->on_readable, 1, &arg) != 0) return;
    }
    if ((unsigned)n < s->r.slots) return;
  }
}

/* libuv saw POLLERR and stopped the handle: a pending ICMP error (sk_err) or error-queue entry.
   Returns 0 to resume polling, -1 to stay stopped. */
static int do_error_event(sock *s) {
  s->events = 0;
  int drained = us_drain_errqueue(&s->u, &s->errs, ERRQUEUE_BATCH);
  int so = us_take_so_error(&s->u);
  /* Unconnected: the queue entries above already count this error; connected: sk_err is it. */
  if (so != 0 && s->u.connected) us_errors_push(&s->errs, so, &s->u.target);
  if (drained > 0 || so != 0) {
    s->empty_error_events = 0;
    return 0;
  }
  if (++s->empty_error_events < MAX_EMPTY_ERROR_EVENTS) return 0;
  /* POLLERR with nothing to read, again and again: stay stopped rather than spin, and say so. */
  us_errors_push(&s->errs, EIO, NULL);
  return -1;
}

static void on_poll(uv_poll_t *h, int status, int events) {
  sock *s = h->data;
  if (s == NULL || s->closed) return;
  napi_env env = s->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value self;
  if (napi_get_reference_value(env, s->self, &self) != napi_ok || self == NULL) goto out;
  s->st.wakeups += 1;
  if (status < 0) {
    if (do_error_event(s) == 0) set_events(s, wanted_events(s));
  } else {
    if (events & UV_READABLE) do_readable(s, self);
    if (!s->closed && (events & UV_WRITABLE)) {
      s->want_writable = 0;
      set_events(s, wanted_events(s));
      if (call_from_loop(s, self, s->on_writable, 0, NULL) != 0) goto out;
    }
  }
  if (!s->closed) flush_errors(s, self, 0);
out:
  napi_close_handle_scope(env, scope);
}

/* ---------------------------------------------------------------- methods */

static napi_value m_local(napi_env env, napi_callback_info info) {
  napi_value self;
  NAPI_OK(env, napi_get_cb_info(env, info, NULL, NULL, &self, NULL));
  sock *s = this_sock(env, self, 1);
  if (s == NULL) return NULL;
  us_addr a;
  socklen_t len = sizeof a;
  if (getsockname(s->u.fd, &a.sa, &len) != 0) return throw_errno(env, errno, "getsockname", "");
  char ip[INET6_ADDRSTRLEN] = "";
  unsigned port;
  if (a.sa.sa_family == AF_INET) {
    inet_ntop(AF_INET, &a.in4.sin_addr, ip, sizeof ip);
    port = ntohs(a.in4.sin_port);
  } else {
    inet_ntop(AF_INET6, &a.in6.sin6_addr, ip, sizeof ip);
    port = ntohs(a.in6.sin6_port);
  }
  napi_value out, addr, p;
  NAPI_OK(env, napi_create_object(env, &out));
  NAPI_OK(env, napi_create_string_utf8(env, ip, NAPI_AUTO_LENGTH, &addr));
  NAPI_OK(env, napi_create_uint32(env, port, &p));
  NAPI_OK(env, napi_set_named_property(env, out, "address", addr));
  NAPI_OK(env, napi_set_named_property(env, out, "port", p));
  return out;
}

static napi_value m_set_queries(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], self;
  NAPI_OK(env, napi_get_cb_info(env, info, &argc, argv, &self, NULL));
  sock *s = this_sock(env, self, 1);
  if (s == NULL) return NULL;
  if (argc < 2) return THROW_TYPE(env, "setQueries(wire: Uint8Array, offsets: Uint32Array)");
  void *wire, *off;
  size_t wire_len, off_len;
  if (read_typed(env, argv[0], "wire", napi_uint8_array, -1, &wire, &wire_len) != 0) return NULL;
  if (read_typed(env, argv[1], "offsets", napi_uint32_array, -1, &off, &off_len) != 0) return NULL;
  if (off_len < 2) return THROW_RANGE(env, "offsets must hold count + 1 >= 2 entries, got %zu", off_len);
  const uint32_t *o = off;
  /* Checked once here for a clear message; sendBatch checks each message again, since shared
     memory may change afterwards. */
  for (size_t i = 0; i + 1 < off_len; i++) {
    if (o[i + 1] < o[i] || o[i + 1] - o[i] < 2 || o[i + 1] - o[i] > 65535)
      return THROW_RANGE(env, "offsets[%zu..%zu] = %u..%u is not a message of 2..65535 bytes", i, i + 1, o[i], o[i + 1]);
  }
  if (o[off_len - 1] > wire_len)
    return THROW_RANGE(env, "offsets end at %u, past the wire buffer (%zu bytes)", o[off_len - 1], wire_len);
  delete_ref(env, &s->wire);
  delete_ref(env, &s->offsets);
  NAPI_OK(env, napi_create_reference(env, argv[0], 1, &s->wire));
  NAPI_OK(env, napi_create_reference(env, argv[1], 1, &s->offsets));
  return NULL;
}

static void arm_writable(sock *s) {
  s->want_writable = 1;
  /* events is 0 while answers are deferred, or after polling stopped for good on errors. */
  if (s->poll != NULL && (s->events != 0 || s->deferred)) set_events(s, wanted_events(s));
}

static napi_value m_send_batch(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4], self;
  NAPI_OK(env, napi_get_cb_info(env, info, &argc, argv, &self, NULL));
  sock *s = this_sock(env, self, 1);
  if (s == NULL) return NULL;
  if (argc < 4) return THROW_TYPE(env, "sendBatch(ids: Uint16Array, queryIndex: Int32Array, n: number, sentAt: Float64Array)");
  void *ids, *qi, *sent;
  size_t ids_len, qi_len, sent_len;
  double nd;
  if (read_typed(env, argv[0], "ids", napi_uint16_array, -1, &ids, &ids_len) != 0) return NULL;
  if (read_typed(env, argv[1], "queryIndex", napi_int32_array, napi_uint32_array, &qi, &qi_len) != 0) return NULL;
  if (read_int(env, argv[2], "n", 0, 4294967295.0, &nd) != 0) return NULL;
  if (read_typed(env, argv[3], "sentAt", napi_float64_array, -1, &sent, &sent_len) != 0) return NULL;
  size_t n = (size_t)nd;
  if (n > ids_len || n > qi_len || n > sent_len)
    return THROW_RANGE(env, "n = %zu exceeds an array (ids %zu, queryIndex %zu, sentAt %zu)", n, ids_len, qi_len, sent_len);
  if (s->wire == NULL) {
    napi_throw_error(env, "ERR_INVALID_STATE", "sendBatch before setQueries");
    return NULL;
  }
  napi_value wv, ov;
  void *wire, *off;
  size_t wire_len, off_len;
  NAPI_OK(env, napi_get_reference_value(env, s->wire, &wv));
  NAPI_OK(env, napi_get_reference_value(env, s->offsets, &ov));
  if (read_typed(env, wv, "wire", napi_uint8_array, -1, &wire, &wire_len) != 0) return NULL;
  if (read_typed(env, ov, "offsets", napi_uint32_array, -1, &off, &off_len) != 0) return NULL;
  const uint32_t *o = off;
  const int32_t *q = qi;
  size_t count = off_len > 0 ? off_len - 1 : 0;
  for (size_t i = 0; i < n; i++) {
    int32_t k = q[i];
    if (k < 0 || (size_t)k >= count)
      return THROW_RANGE(env, "queryIndex[%zu] = %d is outside 0..%zd", i, k, (ssize_t)count - 1);
    uint32_t a = o[k], b = o[k + 1];
    if (b < a || b - a < 2 || b - a > 65535 || b > wire_len)
      return THROW_RANGE(env, "query %d spans %u..%u, outside the wire buffer (%zu bytes) or not 2..65535 bytes", k, a, b, wire_len);
  }
  us_send_result r = us_send_batch(&s->u, &s->send, (unsigned)n, ids, q, wire, wire_len, o, count, sent, &s->errs);
  s->st.send_calls += r.calls;
  for (unsigned i = 0; i < r.consumed; i++) {
    if (((double *)sent)[i] < 0)
      s->st.refused += 1;
    else
      s->st.sent += 1;
  }
  if (r.blocked) {
    s->st.blocked += 1;
    arm_writable(s);
  }
  napi_value out;
  NAPI_OK(env, napi_create_uint32(env, r.consumed, &out));
  if (flush_errors(s, self, 1) != 0) return NULL;
  return out;
}

static napi_value m_send_raw(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], self;
  NAPI_OK(env, napi_get_cb_info(env, info, &argc, argv, &self, NULL));
  sock *s = this_sock(env, self, 1);
  if (s == NULL) return NULL;
  void *buf;
  size_t len;
  if (argc < 1 || read_typed(env, argv[0], "buf", napi_uint8_array, -1, &buf, &len) != 0) return NULL;
  if (len > 65535) return THROW_RANGE(env, "buf is %zu bytes; a UDP payload is at most 65535", len);
  double t = us_send_one(&s->u, buf, len, &s->errs);
  if (t < 0) {
    if (t == -EAGAIN || t == -EWOULDBLOCK || t == -ENOBUFS) {
      s->st.blocked += 1;
      arm_writable(s);
    } else {
      s->st.refused += 1;
    }
  } else {
    s->st.raw_sent += 1;
  }
  napi_value out;
  NAPI_OK(env, napi_create_double(env, t, &out));
  if (flush_errors(s, self, 1) != 0) return NULL;
  return out;
}

static napi_value m_start(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], self;
  NAPI_OK(env, napi_get_cb_info(env, info, &argc, argv, &self, NULL));
  sock *s = this_sock(env, self, 1);
  if (s == NULL) return NULL;
  if (s->started) {
    napi_throw_error(env, "ERR_INVALID_STATE", "start() was already called");
    return NULL;
  }
  napi_valuetype t = napi_undefined;
  if (argc >= 1) napi_typeof(env, argv[0], &t);
  if (t != napi_object) return THROW_TYPE(env, "start(options) needs an options object");
  napi_value o = argv[0], v;
  double slot_size, slots;
  if (!get_prop(env, o, "slotSize", &v) || read_int(env, v, "slotSize", 12, 65535, &slot_size) != 0) return NULL;
  if (!get_prop(env, o, "slots", &v) || read_int(env, v, "slots", 1, US_MAX_SLOTS, &slots) != 0) return NULL;
  napi_value ring, meta;
  void *data;
  size_t len;
  if (!get_prop(env, o, "ring", &ring) || read_typed(env, ring, "ring", napi_uint8_array, -1, &data, &len) != 0) return NULL;
  if (len < (size_t)slot_size * (size_t)slots)
    return THROW_RANGE(env, "ring holds %zu bytes; slots x slotSize needs %.0f", len, slot_size * slots);
  if (!get_prop(env, o, "meta", &meta) || read_typed(env, meta, "meta", napi_float64_array, -1, &data, &len) != 0) return NULL;
  if (len < (size_t)slots * US_META_STRIDE)
    return THROW_RANGE(env, "meta holds %zu numbers; slots x %d needs %.0f", len, US_META_STRIDE, slots * US_META_STRIDE);
  napi_ref on_readable = NULL, on_writable = NULL, on_error = NULL;
  if (read_function(env, o, "onReadable", &on_readable) != 0 || read_function(env, o, "onWritable", &on_writable) != 0 ||
      read_function(env, o, "onError", &on_error) != 0) {
    delete_ref(env, &on_readable);
    delete_ref(env, &on_writable);
    delete_ref(env, &on_error);
    return NULL;
  }
  /* From here on a failure leaves parts that close() (or the finalizer) releases; start() is not
     retried, so nothing is ever allocated twice. */
  s->started = 1;
  s->on_readable = on_readable;
  s->on_writable = on_writable;
  s->on_error = on_error;
  NAPI_OK(env, napi_create_reference(env, ring, 1, &s->ring));
  NAPI_OK(env, napi_create_reference(env, meta, 1, &s->meta));
  if (us_ring_init(&s->r, (unsigned)slots, (unsigned)slot_size) != 0) return throw_errno(env, ENOMEM, "start", "ring");

  uv_loop_t *loop;
  NAPI_OK(env, napi_get_uv_event_loop(env, &loop));
  napi_value name;
  NAPI_OK(env, napi_create_string_utf8(env, "dnsbench:NativeUdpSocket", NAPI_AUTO_LENGTH, &name));
  NAPI_OK(env, napi_async_init(env, NULL, name, &s->actx));
  s->poll = malloc(sizeof *s->poll);
  if (s->poll == NULL) return throw_errno(env, ENOMEM, "start", "poll handle");
  int r = uv_poll_init(loop, s->poll, s->u.fd);
  if (r != 0) {
    free(s->poll);
    s->poll = NULL;
    return throw_errno(env, -r, "uv_poll_init", "");
  }
  s->poll->data = s;
  s->events = 0;
  /* An EAGAIN from a sendBatch before start() still wants writability. */
  r = set_events(s, wanted_events(s));
  if (r != 0) return throw_errno(env, -r, "uv_poll_start", "");
  /* Keep the object (and so this struct) alive while the loop may call back into it. */
  uint32_t refs;
  NAPI_OK(env, napi_reference_ref(env, s->self, &refs));
  s->strong = 1;
  return NULL;
}

static napi_value m_source_of(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], self;
  NAPI_OK(env, napi_get_cb_info(env, info, &argc, argv, &self, NULL));
  sock *s = this_sock(env, self, 1);
  if (s == NULL) return NULL;
  double slot;
  if (argc < 1) return THROW_TYPE(env, "sourceOf(slot: number)");
  if (read_int(env, argv[0], "slot", 0, US_MAX_SLOTS, &slot) != 0) return NULL;
  if (s->r.names == NULL || (unsigned)slot >= s->last_n)
    return THROW_RANGE(env, "slot %.0f is not a message of the current batch (%u messages)", slot, s->last_n);
  char buf[80];
  us_format_addr(&s->r.names[(unsigned)slot], buf, sizeof buf);
  napi_value out;
  NAPI_OK(env, napi_create_string_utf8(env, buf, NAPI_AUTO_LENGTH, &out));
  return out;
}

static napi_value m_close(napi_env env, napi_callback_info info) {
  napi_value self;
  NAPI_OK(env, napi_get_cb_info(env, info, NULL, NULL, &self, NULL));
  sock *s = this_sock(env, self, 0);
  if (s == NULL) return NULL;
  sock_close(s);
  return NULL;
}

static int set_num(napi_env env, napi_value obj, const char *name, double v) {
  napi_value x;
  return napi_create_double(env, v, &x) == napi_ok && napi_set_named_property(env, obj, name, x) == napi_ok ? 0 : -1;
}


/*
 * setDeferred(on): with on, the poll handle stops watching for answers, which then wait in the
 * kernel (each with its SO_TIMESTAMPNS arrival time) until recv() reads them; a paced run reads
 * them at its next wake-up instead of being woken for each one. Off: back to readable callbacks.
 * Errors pending meanwhile are seen when watching resumes.
 */
static napi_value m_set_deferred(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], self;
  NAPI_OK(env, napi_get_cb_info(env, info, &argc, argv, &self, NULL));
  sock *s = this_sock(env, self, 1);
  if (s == NULL) return NULL;
  bool on = false;
  if (argc < 1 || napi_get_value_bool(env, argv[0], &on) != napi_ok) return THROW_TYPE(env, "setDeferred(on: boolean)");
  s->deferred = on ? 1 : 0;
  if (s->started) set_events(s, wanted_events(s));
  return NULL;
}

/*
 * recv(): one recvmmsg into the ring started with start(), without a callback: the number of
 * messages now in slots 0..n-1 (described in meta as for onReadable), 0 when none is waiting.
 * Errors seen on the way (ICMP) go to onError before it returns.
 */
static napi_value m_recv(napi_env env, napi_callback_info info) {
  napi_value self;
  NAPI_OK(env, napi_get_cb_info(env, info, NULL, NULL, &self, NULL));
  sock *s = this_sock(env, self, 1);
  if (s == NULL) return NULL;
  if (!s->started) return THROW_TYPE(env, "recv() needs start() first");
  unsigned char *base;
  double *meta;
  if (fetch_ring(s, &base, &meta) != 0) return THROW_RANGE(env, "the ring or meta array was detached");
  int n = 0;
  for (int tries = 0; tries < 4; tries++) {
    n = us_recv_batch(&s->u, &s->r, base, meta);
    s->st.recv_calls += 1;
    if (n >= 0) break;
    if (n == -EAGAIN || n == -EWOULDBLOCK) {
      n = 0;
      break;
    }
    recv_error(s, -n);
    /* Unconnected: recvmmsg reported sk_err; the error itself (with its address) is in the error
       queue, which poll would have drained on POLLERR had it been watching. */
    if (!s->u.connected && us_is_icmp_errno(-n)) us_drain_errqueue(&s->u, &s->errs, ERRQUEUE_BATCH);
    n = 0;
  }
  if (n > 0) {
    s->last_n = (unsigned)n;
    s->st.received += n;
    for (int i = 0; i < n; i++) {
      int flags = (int)meta[(size_t)i * US_META_STRIDE + 2];
      if (flags & US_FLAG_TRUNCATED) s->st.truncated += 1;
      if (!(flags & US_FLAG_FROM_TARGET)) s->st.foreign += 1;
    }
  }
  if (flush_errors(s, self, 1) != 0) return NULL;
  napi_value out;
  NAPI_OK(env, napi_create_int32(env, n, &out));
  return out;
}

/* ---------------------------------------------------------------- the send schedule (paced runs) */

static int64_t mono_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static void sch_arm(sock *s, int64_t at_ns) {
  if (s->sch_fd < 0 || s->sch_armed == at_ns) return;
  if (at_ns < 1) at_ns = 1; /* 0 would disarm */
  struct itimerspec its;
  memset(&its, 0, sizeof its);
  its.it_value.tv_sec = (time_t)(at_ns / 1000000000);
  its.it_value.tv_nsec = (long)(at_ns % 1000000000);
  if (timerfd_settime(s->sch_fd, TFD_TIMER_ABSTIME, &its, NULL) == 0) s->sch_armed = at_ns;
}

/* No expiry; also clears one that passed but was not handled (timerfd_settime resets the count). */
static void sch_disarm(sock *s) {
  if (s->sch_fd < 0) return;
  struct itimerspec its;
  memset(&its, 0, sizeof its);
  timerfd_settime(s->sch_fd, 0, &its, NULL);
  s->sch_armed = 0;
  s->sch_measure = 0;
}


/* The wire buffer and offsets setQueries() gave, looked up again (a detached buffer reads as 0 bytes). */
static int fetch_queries(sock *s, unsigned char **wire, size_t *wire_len, uint32_t **off, size_t *count) {
  napi_env env = s->env;
  napi_value v;
  napi_typedarray_type t;
  void *data;
  size_t len;
  if (s->wire == NULL || s->offsets == NULL) return -1;
  if (napi_get_reference_value(env, s->wire, &v) != napi_ok ||
      napi_get_typedarray_info(env, v, &t, &len, &data, NULL, NULL) != napi_ok || t != napi_uint8_array)
    return -1;
  *wire = data;
  *wire_len = data == NULL ? 0 : len;
  if (napi_get_reference_value(env, s->offsets, &v) != napi_ok ||
      napi_get_typedarray_info(env, v, &t, &len, &data, NULL, NULL) != napi_ok || t != napi_uint32_array)
    return -1;
  *off = data;
  *count = data == NULL || len == 0 ? 0 : len - 1;
  return 0;
}

/* Arms the timer for an entry due at `due`, ahead by the wake-up latency estimate. */
static void sch_arm_due(sock *s, int64_t due, int64_t now) {
  int64_t at = due - s->sch_lat_ns;
  s->sch_measure = at > now;
  sch_arm(s, at);
}

/*
 * Sends what is due (or due within the wake-up latency estimate), then arms the timer for the
 * next entry (or a retry when the socket buffer is full). No JavaScript runs here unless an error
 * report is waiting for onError.
 */
static void sch_send_due(sock *s, int64_t now) {
  napi_env env = s->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  unsigned char *wire;
  size_t wire_len, count;
  uint32_t *off;
  if (fetch_queries(s, &wire, &wire_len, &off, &count) != 0) {
    /* No queries to send from (never expected: schedule() needs them): nothing is sent. */
    us_sched_cancel(&s->sch);
  } else {
    int blocked = us_sched_run(&s->sch, now, now + s->sch_lat_ns, &s->u, &s->send, wire, wire_len, off, count,
                               &s->errs, &s->st.send_calls, &s->st.sent, &s->st.refused);
    if (blocked) {
      s->st.blocked += 1;
      s->sch_measure = 0;
      sch_arm(s, now + SCHED_RETRY_NS);
    } else if (us_sched_waiting(&s->sch) > 0) {
      sch_arm_due(s, us_sched_next_due(&s->sch), now);
    }
  }
  /* Nothing armed: clear the expired timer's readiness (timerfd_settime resets its count, so the
     fire path needs no read(2); a system call saved per query). */
  if (s->sch_armed == 0) sch_disarm(s);
  if (s->errs.n > 0) {
    napi_value self;
    if (napi_get_reference_value(env, s->self, &self) == napi_ok && self != NULL) flush_errors(s, self, 0);
  }
  napi_close_handle_scope(env, scope);
}

static void on_sched(uv_poll_t *h, int status, int events) {
  (void)status;
  (void)events;
  sock *s = h->data;
  if (s == NULL || s->closed) return;
  /* No read(2): sch_send_due re-arms or disarms the timer, and timerfd_settime clears its count
     (fs/timerfd.c timerfd_setup), so the level-triggered poll does not fire again. */
  int64_t now = mono_ns();
  if (s->sch_measure && s->sch_armed > 0) {
    int64_t l = now - s->sch_armed;
    if (l < 0) l = 0;
    if (l > SCHED_EARLY_MAX_NS) l = SCHED_EARLY_MAX_NS;
    s->sch_lat_ns += (l - s->sch_lat_ns) / 8;
  }
  s->sch_armed = 0;
  s->sch_measure = 0;
  s->st.sched_wakeups += 1;
  sch_send_due(s, now);
}

static napi_value sch_setup(napi_env env, sock *s) {
  if (us_sched_init(&s->sch) != 0) return throw_errno(env, ENOMEM, "schedule", "ring");
  s->sch_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (s->sch_fd < 0) {
    int e = errno;
    us_sched_free(&s->sch);
    return throw_errno(env, e, "timerfd_create", "");
  }
  uv_loop_t *loop;
  NAPI_OK(env, napi_get_uv_event_loop(env, &loop));
  s->sch_poll = malloc(sizeof *s->sch_poll);
  int r = s->sch_poll == NULL ? UV_ENOMEM : uv_poll_init(loop, s->sch_poll, s->sch_fd);
  if (r == 0) {
    s->sch_poll->data = s;
    r = uv_poll_start(s->sch_poll, UV_READABLE, on_sched);
    if (r != 0) {
      uv_close((uv_handle_t *)s->sch_poll, free_handle);
      s->sch_poll = NULL;
    }
  } else {
    free(s->sch_poll);
    s->sch_poll = NULL;
  }
  if (r != 0) {
    close(s->sch_fd);
    s->sch_fd = -1;
    us_sched_free(&s->sch);
    return throw_errno(env, -r, "uv_poll_start", "schedule timer");
  }
  /* The engine's own timers keep the loop alive during a run; this one never does on its own. */
  uv_unref((uv_handle_t *)s->sch_poll);
  return NULL;
}

/*
 * schedule(ids, queryIndex, dueMs, n, lateMs): hands over n queries to send at their due times
 * (CLOCK_MONOTONIC ms, in nondecreasing order) from C, without entering JavaScript per query. An
 * entry more than lateMs late when its turn comes is not sent (takeSent gives 0 for it).
 */
static napi_value m_schedule(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5], self;
  NAPI_OK(env, napi_get_cb_info(env, info, &argc, argv, &self, NULL));
  sock *s = this_sock(env, self, 1);
  if (s == NULL) return NULL;
  if (argc < 5) return THROW_TYPE(env, "schedule(ids: Uint16Array, queryIndex: Int32Array, dueMs: Float64Array, n: number, lateMs: number)");
  void *ids, *qi, *due;
  size_t ids_len, qi_len, due_len;
  double nd, late;
  if (read_typed(env, argv[0], "ids", napi_uint16_array, -1, &ids, &ids_len) != 0) return NULL;
  if (read_typed(env, argv[1], "queryIndex", napi_int32_array, -1, &qi, &qi_len) != 0) return NULL;
  if (read_typed(env, argv[2], "dueMs", napi_float64_array, -1, &due, &due_len) != 0) return NULL;
  if (read_int(env, argv[3], "n", 0, US_SCHED_CAP, &nd) != 0) return NULL;
  if (napi_get_value_double(env, argv[4], &late) != napi_ok || !isfinite(late) || late < 0 || late > 60000)
    return THROW_RANGE(env, "lateMs must be a number of 0..60000 ms");
  size_t n = (size_t)nd;
  if (n > ids_len || n > qi_len || n > due_len)
    return THROW_RANGE(env, "n = %zu exceeds an array (ids %zu, queryIndex %zu, dueMs %zu)", n, ids_len, qi_len, due_len);
  unsigned char *wire;
  size_t wire_len, count;
  uint32_t *off;
  if (fetch_queries(s, &wire, &wire_len, &off, &count) != 0) {
    napi_throw_error(env, "ERR_INVALID_STATE", "schedule before setQueries");
    return NULL;
  }
  if (s->sch_fd < 0 && n > 0 && sch_setup(env, s) == NULL && s->sch_fd < 0) return NULL;
  if (n == 0) return NULL;
  us_sched *sq = &s->sch;
  if (n > us_sched_room(sq))
    return THROW_RANGE(env, "%zu entries do not fit: %u are free of %d", n, us_sched_room(sq), US_SCHED_CAP);
  /* Each value is read once, checked and copied in the same pass (the arrays may be shared memory
     another thread writes), into places past the tail; the tail moves only when all passed, so a
     bad entry takes none. */
  const int32_t *q = qi;
  const double *d = due;
  const uint16_t *id = ids;
  int64_t prev = sq->tail != sq->sent ? sq->due_ns[(sq->tail - 1) & (US_SCHED_CAP - 1)] : INT64_MIN;
  for (size_t i = 0; i < n; i++) {
    int32_t k = q[i];
    double di = d[i];
    if (k < 0 || (size_t)k >= count)
      return THROW_RANGE(env, "queryIndex[%zu] = %d is outside 0..%zd", i, k, (ssize_t)count - 1);
    if (!isfinite(di) || di < 0 || di > 9.2e12)
      return THROW_RANGE(env, "dueMs[%zu] is not a CLOCK_MONOTONIC time in ms", i);
    int64_t ns = llround(di * 1e6);
    if (ns < prev) return THROW_RANGE(env, "dueMs[%zu] is earlier than the entry before it", i);
    prev = ns;
    uint32_t j = (sq->tail + (uint32_t)i) & (US_SCHED_CAP - 1);
    sq->id[j] = id[i];
    sq->qi[j] = k;
    sq->due_ns[j] = ns;
  }
  sq->late_ns = llround(late * 1e6);
  sq->tail += (uint32_t)n;
  s->st.scheduled += (double)n;
  int64_t next = us_sched_next_due(sq);
  if (s->sch_armed == 0 || next - s->sch_lat_ns < s->sch_armed) sch_arm_due(s, next, mono_ns());
  return NULL;
}

/*
 * takeSent(out: Float64Array): the results of scheduled entries done since the last call, oldest
 * first, into out: the send time (CLOCK_MONOTONIC ms, > 0), 0 when it was not sent (too late or
 * cancelled), or -errno when the kernel refused it. Returns how many (at most out.length).
 */
static napi_value m_take_sent(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], self;
  NAPI_OK(env, napi_get_cb_info(env, info, &argc, argv, &self, NULL));
  sock *s = this_sock(env, self, 1);
  if (s == NULL) return NULL;
  if (argc < 1) return THROW_TYPE(env, "takeSent(out: Float64Array)");
  void *out;
  size_t out_len;
  if (read_typed(env, argv[0], "out", napi_float64_array, -1, &out, &out_len) != 0) return NULL;
  uint32_t n = s->sch.done == NULL ? 0 : us_sched_take(&s->sch, out, out_len > US_SCHED_CAP ? US_SCHED_CAP : (uint32_t)out_len);
  napi_value r;
  NAPI_OK(env, napi_create_uint32(env, n, &r));
  return r;
}

/*
 * cancelScheduled(sendDue?): with sendDue, the entries due by now (and not past lateMs) are sent
 * first, as the timer would have: the end of a run that comes in the same event-loop turn as the
 * timer must not skip them. Then every entry not sent is dropped (takeSent gives 0 for it).
 * Returns how many were dropped.
 */
static napi_value m_cancel_scheduled(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], self;
  NAPI_OK(env, napi_get_cb_info(env, info, &argc, argv, &self, NULL));
  sock *s = this_sock(env, self, 1);
  if (s == NULL) return NULL;
  bool send_due = false;
  if (argc >= 1 && !is_nullish(env, argv[0]) && napi_get_value_bool(env, argv[0], &send_due) != napi_ok)
    return THROW_TYPE(env, "cancelScheduled(sendDue?: boolean)");
  if (send_due && s->sch.done != NULL && us_sched_waiting(&s->sch) > 0) {
    unsigned char *wire;
    size_t wire_len, count;
    uint32_t *off;
    int64_t now = mono_ns();
    if (fetch_queries(s, &wire, &wire_len, &off, &count) == 0 &&
        us_sched_run(&s->sch, now, now, &s->u, &s->send, wire, wire_len, off, count, &s->errs, &s->st.send_calls,
                     &s->st.sent, &s->st.refused))
      s->st.blocked += 1;
  }
  uint32_t n = s->sch.done == NULL ? 0 : us_sched_cancel(&s->sch);
  if (s->sch_armed != 0) sch_disarm(s);
  if (flush_errors(s, self, 1) != 0) return NULL;
  napi_value r;
  NAPI_OK(env, napi_create_uint32(env, n, &r));
  return r;
}

static napi_value m_stats(napi_env env, napi_callback_info info) {
  napi_value self, out;
  NAPI_OK(env, napi_get_cb_info(env, info, NULL, NULL, &self, NULL));
  sock *s = this_sock(env, self, 0);
  if (s == NULL) return NULL;
  NAPI_OK(env, napi_create_object(env, &out));
  if (set_num(env, out, "sendCalls", s->st.send_calls) || set_num(env, out, "sent", s->st.sent) ||
      set_num(env, out, "rawSent", s->st.raw_sent) || set_num(env, out, "refused", s->st.refused) ||
      set_num(env, out, "blocked", s->st.blocked) || set_num(env, out, "recvCalls", s->st.recv_calls) ||
      set_num(env, out, "received", s->st.received) || set_num(env, out, "truncated", s->st.truncated) ||
      set_num(env, out, "foreign", s->st.foreign) || set_num(env, out, "wakeups", s->st.wakeups) ||
      set_num(env, out, "errors", s->errs.total) || set_num(env, out, "scheduled", s->st.scheduled) ||
      set_num(env, out, "scheduleWakeups", s->st.sched_wakeups) || set_num(env, out, "skippedLate", s->sch.skipped) ||
      set_num(env, out, "scheduleEarlyUs", (double)s->sch_lat_ns / 1000))
    return NULL;
  return out;
}

/* ---------------------------------------------------------------- open() and the module */

static napi_value ctor(napi_env env, napi_callback_info info) {
  napi_value self;
  NAPI_OK(env, napi_get_cb_info(env, info, NULL, NULL, &self, NULL));
  module_state *ms;
  NAPI_OK(env, napi_get_instance_data(env, (void **)&ms));
  if (ms == NULL || ms->pending == NULL) return THROW_TYPE(env, "use open() to create a native UDP socket");
  sock *s = ms->pending;
  ms->pending = NULL;
  NAPI_OK(env, napi_wrap(env, self, s, finalize, NULL, &s->self));
  return self;
}

/* Reads an optional address property into out; 0 absent, 1 present, -1 thrown. */
static int read_addr(napi_env env, napi_value o, const char *name, int family, int port, us_addr *out, socklen_t *len) {
  napi_value v;
  if (!get_prop(env, o, name, &v) || is_nullish(env, v)) return 0;
  char text[INET6_ADDRSTRLEN + 8];
  if (read_string(env, v, name, text, sizeof text) != 0) return -1;
  if (us_parse_addr(family, text, port, out, len) != 0) {
    THROW_TYPE(env, "%s must be a numeric IPv%d address, got '%s'", name, family == AF_INET ? 4 : 6, text);
    return -1;
  }
  return 1;
}

static napi_value m_open(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  NAPI_OK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  napi_valuetype t = napi_undefined;
  if (argc >= 1) napi_typeof(env, argv[0], &t);
  if (t != napi_object) return THROW_TYPE(env, "open(options) needs an options object");
  napi_value o = argv[0], v;
  double fam, port, lport = 0, bufbytes = 0;
  if (!get_prop(env, o, "family", &v) || read_int(env, v, "family", 4, 6, &fam) != 0) return NULL;
  if (fam == 5) return THROW_RANGE(env, "family must be 4 or 6, got 5");
  int family = fam == 4 ? AF_INET : AF_INET6;
  if (!get_prop(env, o, "port", &v) || read_int(env, v, "port", 1, 65535, &port) != 0) return NULL;
  us_socket u;
  memset(&u, 0, sizeof u);
  u.fd = -1;
  u.family = family;
  int have = read_addr(env, o, "host", family, (int)port, &u.target, &u.target_len);
  if (have < 0) return NULL;
  if (have == 0) return THROW_TYPE(env, "host must be a string");
  int has_lport = 0;
  if (get_prop(env, o, "localPort", &v) && !is_nullish(env, v)) {
    if (read_int(env, v, "localPort", 0, 65535, &lport) != 0) return NULL;
    has_lport = 1;
  }
  us_addr local;
  socklen_t local_len = 0;
  int has_laddr = read_addr(env, o, "localAddress", family, (int)lport, &local, &local_len);
  if (has_laddr < 0) return NULL;
  if (!has_laddr && has_lport) {
    memset(&local, 0, sizeof local);
    local.sa.sa_family = (sa_family_t)family;
    if (family == AF_INET) {
      local.in4.sin_port = htons((uint16_t)lport);
      local_len = sizeof local.in4;
    } else {
      local.in6.sin6_port = htons((uint16_t)lport);
      local_len = sizeof local.in6;
    }
  }
  if (get_prop(env, o, "bufferBytes", &v) && !is_nullish(env, v)) {
    if (read_int(env, v, "bufferBytes", 1, 2147483647.0, &bufbytes) != 0) return NULL;
  }
  double send_cap = US_SEND_CAP;
  if (get_prop(env, o, "sendCap", &v) && !is_nullish(env, v)) {
    if (read_int(env, v, "sendCap", 1, US_SEND_CAP, &send_cap) != 0) return NULL;
  }
  bool connect_it = false;
  if (!get_prop(env, o, "connect", &v) || napi_get_value_bool(env, v, &connect_it) != napi_ok)
    return THROW_TYPE(env, "connect must be a boolean");

  u.send_cap = (unsigned)send_cap;
  const char *syscall = "socket";
  int err = us_open(&u, has_laddr || has_lport ? &local : NULL, local_len, (int)bufbytes, connect_it, &syscall);
  if (err != 0) {
    char detail[96];
    if (strcmp(syscall, "bind") == 0 && (has_laddr || has_lport))
      us_format_addr(&local, detail, sizeof detail);
    else
      us_format_addr(&u.target, detail, sizeof detail);
    return throw_errno(env, err, syscall, detail);
  }

  sock *s = calloc(1, sizeof *s);
  if (s == NULL) {
    us_close(&u);
    return throw_errno(env, ENOMEM, "open", "");
  }
  s->env = env;
  s->u = u;
  s->sch_fd = -1;
  module_state *ms;
  napi_value cons, obj;
  if (napi_get_instance_data(env, (void **)&ms) != napi_ok || ms == NULL ||
      napi_get_reference_value(env, ms->ctor, &cons) != napi_ok) {
    us_close(&s->u);
    free(s);
    napi_throw_error(env, NULL, "native udp: module state missing");
    return NULL;
  }
  ms->pending = s;
  if (napi_new_instance(env, cons, 0, NULL, &obj) != napi_ok) {
    ms->pending = NULL;
    us_close(&s->u);
    free(s);
    return NULL;
  }
  /* From here the finalizer owns s. */
  if (napi_add_env_cleanup_hook(env, on_env_cleanup, s) == napi_ok) s->hooked = 1;
  napi_value connected, ts;
  NAPI_OK(env, napi_get_boolean(env, s->u.connected, &connected));
  NAPI_OK(env, napi_create_string_utf8(env, s->u.kernel_ts ? "kernel" : "recvmmsg", NAPI_AUTO_LENGTH, &ts));
  napi_property_descriptor props[] = {
      {"connected", NULL, NULL, NULL, NULL, connected, napi_enumerable, NULL},
      {"timestamps", NULL, NULL, NULL, NULL, ts, napi_enumerable, NULL},
  };
  NAPI_OK(env, napi_define_properties(env, obj, 2, props));
  return obj;
}

static napi_value m_monotonic_ms(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value out;
  NAPI_OK(env, napi_create_double(env, us_monotonic_ms(), &out));
  return out;
}

static void free_state(napi_env env, void *data, void *hint) {
  (void)hint;
  module_state *ms = data;
  if (ms->ctor != NULL) napi_delete_reference(env, ms->ctor);
  free(ms);
}

static int export_num(napi_env env, napi_value obj, const char *name, double v) { return set_num(env, obj, name, v); }

NAPI_MODULE_INIT() {
  napi_property_descriptor methods[] = {
      {"local", NULL, m_local, NULL, NULL, NULL, napi_default, NULL},
      {"setQueries", NULL, m_set_queries, NULL, NULL, NULL, napi_default, NULL},
      {"sendBatch", NULL, m_send_batch, NULL, NULL, NULL, napi_default, NULL},
      {"sendRaw", NULL, m_send_raw, NULL, NULL, NULL, napi_default, NULL},
      {"start", NULL, m_start, NULL, NULL, NULL, napi_default, NULL},
      {"sourceOf", NULL, m_source_of, NULL, NULL, NULL, napi_default, NULL},
      {"stats", NULL, m_stats, NULL, NULL, NULL, napi_default, NULL},
      {"setDeferred", NULL, m_set_deferred, NULL, NULL, NULL, napi_default, NULL},
      {"recv", NULL, m_recv, NULL, NULL, NULL, napi_default, NULL},
      {"schedule", NULL, m_schedule, NULL, NULL, NULL, napi_default, NULL},
      {"takeSent", NULL, m_take_sent, NULL, NULL, NULL, napi_default, NULL},
      {"cancelScheduled", NULL, m_cancel_scheduled, NULL, NULL, NULL, napi_default, NULL},
      {"close", NULL, m_close, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_value cls;
  NAPI_OK(env, napi_define_class(env, "NativeUdpSocket", NAPI_AUTO_LENGTH, ctor, NULL,
                                 sizeof methods / sizeof methods[0], methods, &cls));
  module_state *ms = calloc(1, sizeof *ms);
  if (ms == NULL) {
    napi_throw_error(env, NULL, "native udp: out of memory");
    return NULL;
  }
  if (napi_create_reference(env, cls, 1, &ms->ctor) != napi_ok || napi_set_instance_data(env, ms, free_state, NULL) != napi_ok) {
    free(ms);
    napi_throw_error(env, NULL, "native udp: cannot keep module state");
    return NULL;
  }
  napi_property_descriptor fns[] = {
      {"open", NULL, m_open, NULL, NULL, NULL, napi_enumerable, NULL},
      {"monotonicMs", NULL, m_monotonic_ms, NULL, NULL, NULL, napi_enumerable, NULL},
      {"timerStart", NULL, pt_start, NULL, NULL, NULL, napi_enumerable, NULL},
      {"timerArm", NULL, pt_arm, NULL, NULL, NULL, napi_enumerable, NULL},
      {"timerDisarm", NULL, pt_disarm, NULL, NULL, NULL, napi_enumerable, NULL},
      {"timerClose", NULL, pt_close, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  NAPI_OK(env, napi_define_properties(env, exports, sizeof fns / sizeof fns[0], fns));
  if (export_num(env, exports, "abiVersion", ABI_VERSION) || export_num(env, exports, "sendCap", US_SEND_CAP) ||
      export_num(env, exports, "maxSlots", US_MAX_SLOTS) || export_num(env, exports, "metaStride", US_META_STRIDE) ||
      export_num(env, exports, "flagFromTarget", US_FLAG_FROM_TARGET) ||
      export_num(env, exports, "flagTruncated", US_FLAG_TRUNCATED) ||
      export_num(env, exports, "flagKernelTime", US_FLAG_KERNEL_TIME))
    return NULL;
  return exports;
}
