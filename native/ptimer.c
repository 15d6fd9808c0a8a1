/*
 * A precise one-shot timer for the pacer (issue 9): a timerfd on CLOCK_MONOTONIC, armed with an
 * absolute expiry, watched by a uv_poll_t. libuv's own timers have millisecond resolution (its
 * loop time is in ms), so -Q schedules would leave up to a millisecond late; a timerfd wakes the
 * same epoll_wait within tens of microseconds, with no busy loop and no fixed tick.
 *
 * One timer per Node environment (worker thread), created by timerStart(callback): the engine's
 * host multiplexes its few timers onto it in JavaScript. timerArm(ms) sets the expiry (CLOCK_MONOTONIC
 * milliseconds, the clock of monotonicMs()); timerDisarm() cancels; timerClose() releases it.
 * The poll handle is referenced only while armed, so an idle timer never keeps a loop alive.
 */
#define NAPI_VERSION 8
#include <node_api.h>
#include <uv.h>

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "ptimer.h"

typedef struct ptimer {
  napi_env env;
  int fd;
  uv_poll_t *poll;
  napi_ref cb;
  napi_async_context actx;
  int armed;
  int hooked;
} ptimer;

/* Each worker thread is its own Node environment with its own loop: one timer per thread. */
static __thread ptimer *tls_timer;

static void on_handle_closed(uv_handle_t *h) {
  ptimer *t = h->data;
  free(h);
  if (t != NULL) {
    if (t->fd >= 0) close(t->fd);
    free(t);
  }
}

/* Releases the references and closes the handle (the fd closes with it). The env cleanup hook,
   if any, must have been removed (or be the caller). */
static void destroy(ptimer *t) {
  if (t == NULL) return;
  if (tls_timer == t) tls_timer = NULL;
  napi_env env = t->env;
  if (t->cb != NULL) napi_delete_reference(env, t->cb);
  if (t->actx != NULL) napi_async_destroy(env, t->actx);
  t->cb = NULL;
  t->actx = NULL;
  if (t->poll != NULL) {
    uv_poll_stop(t->poll);
    t->poll->data = t;
    uv_close((uv_handle_t *)t->poll, on_handle_closed);
    t->poll = NULL;
  } else {
    if (t->fd >= 0) close(t->fd);
    free(t);
  }
}

static void on_env_cleanup(void *arg) { destroy((ptimer *)arg); }

static void on_poll(uv_poll_t *h, int status, int events) {
  (void)status;
  (void)events;
  ptimer *t = h->data;
  if (t == NULL || t->cb == NULL) return;
  uint64_t expirations;
  /* One read clears a one-shot timerfd's readiness (it counts expirations); a second would only
     return EAGAIN, a system call per wake-up for nothing. */
  if (read(t->fd, &expirations, sizeof expirations) < 0) expirations = 0;
  t->armed = 0;
  uv_unref((uv_handle_t *)t->poll);
  napi_env env = t->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value fn, recv;
  if (napi_get_reference_value(env, t->cb, &fn) == napi_ok && fn != NULL && napi_get_global(env, &recv) == napi_ok) {
    if (napi_make_callback(env, t->actx, recv, fn, 0, NULL, NULL) != napi_ok) {
      bool pending = false;
      napi_is_exception_pending(env, &pending);
      if (pending) {
        napi_value e;
        napi_get_and_clear_last_exception(env, &e);
        napi_fatal_exception(env, e);
      }
    }
  }
  napi_close_handle_scope(env, scope);
}

static napi_value throw_msg(napi_env env, const char *msg) {
  napi_throw_error(env, NULL, msg);
  return NULL;
}

/* timerStart(callback): creates this thread's timer (once). */
napi_value pt_start(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  napi_valuetype vt;
  if (argc < 1 || napi_typeof(env, argv[0], &vt) != napi_ok || vt != napi_function) {
    napi_throw_type_error(env, NULL, "timerStart(callback): callback must be a function");
    return NULL;
  }
  if (tls_timer != NULL) return throw_msg(env, "timerStart: this thread's timer is already started");
  struct uv_loop_s *loop;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok) return throw_msg(env, "timerStart: no event loop");
  ptimer *t = calloc(1, sizeof *t);
  if (t == NULL) return throw_msg(env, "timerStart: out of memory");
  t->env = env;
  t->fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (t->fd < 0) {
    free(t);
    return throw_msg(env, "timerStart: timerfd_create failed");
  }
  t->poll = malloc(sizeof *t->poll);
  if (t->poll == NULL || uv_poll_init(loop, t->poll, t->fd) != 0) {
    free(t->poll);
    close(t->fd);
    free(t);
    return throw_msg(env, "timerStart: uv_poll_init failed");
  }
  t->poll->data = t;
  napi_value name;
  napi_create_string_utf8(env, "dnsbench:ptimer", NAPI_AUTO_LENGTH, &name);
  if (napi_create_reference(env, argv[0], 1, &t->cb) != napi_ok || napi_async_init(env, NULL, name, &t->actx) != napi_ok ||
      uv_poll_start(t->poll, UV_READABLE, on_poll) != 0) {
    destroy(t);
    return throw_msg(env, "timerStart: cannot watch the timer");
  }
  uv_unref((uv_handle_t *)t->poll);
  if (napi_add_env_cleanup_hook(env, on_env_cleanup, t) == napi_ok) t->hooked = 1;
  tls_timer = t;
  return NULL;
}

/* timerArm(ms): expire at CLOCK_MONOTONIC time ms (a time already past fires at once). */
napi_value pt_arm(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  double ms;
  if (argc < 1 || napi_get_value_double(env, argv[0], &ms) != napi_ok || !isfinite(ms)) {
    napi_throw_type_error(env, NULL, "timerArm(ms): ms must be a finite number");
    return NULL;
  }
  ptimer *t = tls_timer;
  if (t == NULL) return throw_msg(env, "timerArm: call timerStart first");
  int64_t ns = (int64_t)llround(ms * 1e6);
  if (ns < 1) ns = 1; /* 0 would disarm */
  struct itimerspec its;
  memset(&its, 0, sizeof its);
  its.it_value.tv_sec = (time_t)(ns / 1000000000);
  its.it_value.tv_nsec = (long)(ns % 1000000000);
  if (timerfd_settime(t->fd, TFD_TIMER_ABSTIME, &its, NULL) != 0) return throw_msg(env, "timerArm: timerfd_settime failed");
  if (!t->armed) uv_ref((uv_handle_t *)t->poll);
  t->armed = 1;
  return NULL;
}

/* timerDisarm(): cancel the expiry, if any. */
napi_value pt_disarm(napi_env env, napi_callback_info info) {
  (void)info;
  ptimer *t = tls_timer;
  if (t == NULL) return NULL;
  struct itimerspec its;
  memset(&its, 0, sizeof its);
  timerfd_settime(t->fd, 0, &its, NULL);
  if (t->armed) uv_unref((uv_handle_t *)t->poll);
  t->armed = 0;
  (void)env;
  return NULL;
}

/* timerClose(): release this thread's timer (idempotent). */
napi_value pt_close(napi_env env, napi_callback_info info) {
  (void)info;
  ptimer *t = tls_timer;
  if (t == NULL) return NULL;
  if (t->hooked) {
    napi_remove_env_cleanup_hook(env, on_env_cleanup, t);
    t->hooked = 0;
  }
  destroy(t);
  return NULL;
}
