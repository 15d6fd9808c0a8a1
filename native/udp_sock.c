/*
 * Batched UDP for a DNS load generator on Linux: sendmmsg of many queries per call straight from
 * the shared query buffer (the 2-byte DNS ID in its own iovec, so the buffer is never written),
 * recvmmsg into a fixed ring with the kernel's receive timestamp per datagram.
 */
#include "udp_sock.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/errqueue.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifndef SO_TIMESTAMPNS
#define SO_TIMESTAMPNS 35
#endif
#ifndef SCM_TIMESTAMPNS
#define SCM_TIMESTAMPNS SO_TIMESTAMPNS
#endif

static double ts_ms(const struct timespec *t) { return (double)t->tv_sec * 1e3 + (double)t->tv_nsec / 1e6; }

double us_monotonic_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return ts_ms(&t);
}

static int64_t ts_ns(const struct timespec *t) { return (int64_t)t->tv_sec * 1000000000 + t->tv_nsec; }

/*
 * CLOCK_MONOTONIC minus CLOCK_REALTIME, in ns (integers: realtime in ms as a double would keep only
 * about 0.24 us of precision). The realtime clock is read on both sides of the monotonic read and
 * averaged, so the error is half the time between the reads (tens of ns with the vDSO). A step of
 * the realtime clock (settimeofday, an NTP step) between a datagram's arrival and this read shifts
 * that one batch's arrival times by the step; slewing does not matter.
 */
static int64_t realtime_to_monotonic_ns(void) {
  struct timespec r1, m, r2;
  clock_gettime(CLOCK_REALTIME, &r1);
  clock_gettime(CLOCK_MONOTONIC, &m);
  clock_gettime(CLOCK_REALTIME, &r2);
  return ts_ns(&m) - (ts_ns(&r1) + ts_ns(&r2)) / 2;
}

const char *us_errno_name(int err) {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 32))
  const char *name = strerrorname_np(err);
  if (name != NULL) return name;
#endif
  switch (err) {
    case EAGAIN: return "EAGAIN";
    case EBADF: return "EBADF";
    case EINVAL: return "EINVAL";
    case ENOBUFS: return "ENOBUFS";
    case ECONNREFUSED: return "ECONNREFUSED";
    case EHOSTUNREACH: return "EHOSTUNREACH";
    case ENETUNREACH: return "ENETUNREACH";
    case EADDRINUSE: return "EADDRINUSE";
    case EADDRNOTAVAIL: return "EADDRNOTAVAIL";
    case EACCES: return "EACCES";
    case EPERM: return "EPERM";
    case EMSGSIZE: return "EMSGSIZE";
    case EAFNOSUPPORT: return "EAFNOSUPPORT";
    case EMFILE: return "EMFILE";
    default: {
      /* Thread-local: worker threads may format at the same time. */
      static __thread char buf[16];
      snprintf(buf, sizeof buf, "E%d", err);
      return buf;
    }
  }
}

int us_parse_addr(int family, const char *text, int port, us_addr *out, socklen_t *len) {
  memset(out, 0, sizeof *out);
  if (family == AF_INET) {
    out->in4.sin_family = AF_INET;
    out->in4.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, text, &out->in4.sin_addr) != 1) return -1;
    *len = sizeof out->in4;
    return 0;
  }
  out->in6.sin6_family = AF_INET6;
  out->in6.sin6_port = htons((uint16_t)port);
  if (inet_pton(AF_INET6, text, &out->in6.sin6_addr) != 1) return -1;
  *len = sizeof out->in6;
  return 0;
}

void us_format_addr(const us_addr *a, char *buf, size_t size) {
  char ip[INET6_ADDRSTRLEN] = "?";
  if (a->sa.sa_family == AF_INET) {
    inet_ntop(AF_INET, &a->in4.sin_addr, ip, sizeof ip);
    snprintf(buf, size, "%s:%u", ip, (unsigned)ntohs(a->in4.sin_port));
  } else if (a->sa.sa_family == AF_INET6) {
    inet_ntop(AF_INET6, &a->in6.sin6_addr, ip, sizeof ip);
    snprintf(buf, size, "[%s]:%u", ip, (unsigned)ntohs(a->in6.sin6_port));
  } else {
    snprintf(buf, size, "(family %d)", (int)a->sa.sa_family);
  }
}

int us_same_addr(const us_addr *a, socklen_t alen, const us_addr *b) {
  if (a->sa.sa_family != b->sa.sa_family) return 0;
  if (a->sa.sa_family == AF_INET) {
    return alen >= sizeof a->in4 && a->in4.sin_port == b->in4.sin_port &&
           a->in4.sin_addr.s_addr == b->in4.sin_addr.s_addr;
  }
  if (a->sa.sa_family == AF_INET6) {
    return alen >= sizeof a->in6 && a->in6.sin6_port == b->in6.sin6_port &&
           memcmp(&a->in6.sin6_addr, &b->in6.sin6_addr, sizeof a->in6.sin6_addr) == 0;
  }
  return 0;
}

int us_open(us_socket *s, const us_addr *local, socklen_t local_len, int buffer_bytes, int connect_it,
            const char **syscall) {
  int one = 1;
  int err;
  s->connected = 0;
  s->kernel_ts = 0;
  s->fd = socket(s->family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (s->fd < 0) {
    *syscall = "socket";
    return errno;
  }
  if (buffer_bytes > 0) {
    /* As dgram's sendBufferSize/recvBufferSize: the kernel doubles the value and caps it at
       net.core.wmem_max / rmem_max. */
    if (setsockopt(s->fd, SOL_SOCKET, SO_SNDBUF, &buffer_bytes, sizeof buffer_bytes) != 0 ||
        setsockopt(s->fd, SOL_SOCKET, SO_RCVBUF, &buffer_bytes, sizeof buffer_bytes) != 0) {
      *syscall = "setsockopt";
      goto fail;
    }
  }
  /* Without it arrival times fall back to a clock read when recvmmsg returns (kernel_ts = 0). */
  s->kernel_ts = setsockopt(s->fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one) == 0;

  us_addr any;
  if (local == NULL) {
    memset(&any, 0, sizeof any);
    any.sa.sa_family = (sa_family_t)s->family;
    local = &any;
    local_len = s->family == AF_INET ? sizeof any.in4 : sizeof any.in6;
  }
  /* Bound explicitly even without -a/-x, so local() has a port before the first send. */
  if (bind(s->fd, &local->sa, local_len) != 0) {
    *syscall = "bind";
    goto fail;
  }
  if (connect_it) {
    if (connect(s->fd, &s->target.sa, s->target_len) != 0) {
      *syscall = "connect";
      goto fail;
    }
    s->connected = 1;
  } else {
    /* An unconnected socket hears ICMP errors only through the error queue (ip(7) IP_RECVERR). */
    int level = s->family == AF_INET ? IPPROTO_IP : IPPROTO_IPV6;
    int opt = s->family == AF_INET ? IP_RECVERR : IPV6_RECVERR;
    if (setsockopt(s->fd, level, opt, &one, sizeof one) != 0) {
      *syscall = "setsockopt";
      goto fail;
    }
  }
  return 0;
fail:
  err = errno;
  close(s->fd);
  s->fd = -1;
  return err;
}

void us_close(us_socket *s) {
  if (s->fd >= 0) close(s->fd);
  s->fd = -1;
}

int us_is_icmp_errno(int err) {
  /* What the kernel's ICMP handlers store in sk_err for UDP (icmp_err_convert, icmpv6_err_convert,
     plus EMSGSIZE for "fragmentation needed" with path MTU discovery). */
  switch (err) {
    case ECONNREFUSED:
    case EHOSTUNREACH:
    case ENETUNREACH:
    case EHOSTDOWN:
    case ENONET:
    case EPROTO:
    case EACCES:
    case EMSGSIZE:
      return 1;
    default:
      return 0;
  }
}

void us_errors_push(us_errors *q, int code, const us_addr *addr) {
  q->total += 1;
  if (q->n > 0) {
    us_error *last = &q->items[q->n - 1];
    int same_addr = addr == NULL ? !last->has_addr
                                 : last->has_addr && us_same_addr(&last->addr, sizeof last->addr, addr);
    /* Merge equal neighbours, and everything once the queue is full, so it is bounded and no
       error goes uncounted. */
    if ((last->code == code && same_addr) || q->n == US_ERROR_QUEUE) {
      if (last->count < UINT32_MAX) last->count++;
      return;
    }
  }
  us_error *e = &q->items[q->n++];
  e->code = code;
  e->count = 1;
  e->has_addr = addr != NULL;
  if (addr != NULL) e->addr = *addr;
}

int us_ring_init(us_ring *r, unsigned slots, unsigned slot_size) {
  memset(r, 0, sizeof *r);
  r->msgs = calloc(slots, sizeof *r->msgs);
  r->iov = calloc(slots, sizeof *r->iov);
  r->names = calloc(slots, sizeof *r->names);
  r->ctrl = calloc(slots, US_CTRL_LEN);
  if (r->msgs == NULL || r->iov == NULL || r->names == NULL || r->ctrl == NULL) {
    us_ring_free(r);
    return -1;
  }
  r->slots = slots;
  r->slot_size = slot_size;
  return 0;
}

void us_ring_free(us_ring *r) {
  free(r->msgs);
  free(r->iov);
  free(r->names);
  free(r->ctrl);
  memset(r, 0, sizeof *r);
}

int us_recv_batch(const us_socket *s, us_ring *r, unsigned char *base, double *meta) {
  /* The kernel rewrites only the name and control lengths and the flags of the headers it fills,
     so after the first call only those of the last batch need resetting. */
  unsigned reset = base == r->base ? r->dirty : r->slots;
  for (unsigned i = 0; i < reset; i++) {
    struct msghdr *h = &r->msgs[i].msg_hdr;
    r->iov[i].iov_base = base + (size_t)i * r->slot_size;
    r->iov[i].iov_len = r->slot_size;
    h->msg_iov = &r->iov[i];
    h->msg_iovlen = 1;
    h->msg_name = &r->names[i];
    h->msg_namelen = sizeof r->names[i];
    h->msg_control = r->ctrl + (size_t)i * US_CTRL_LEN;
    h->msg_controllen = US_CTRL_LEN;
    h->msg_flags = 0;
  }
  r->base = base;
  r->dirty = 0;
  /* MSG_TRUNC: msg_len is the datagram's real length even when it did not fit (udp(7)). */
  int n = recvmmsg(s->fd, r->msgs, r->slots, MSG_DONTWAIT | MSG_TRUNC, NULL);
  /* One more than filled: the header after the last one may have been written before an error. */
  r->dirty = n < 0 ? 1 : (unsigned)n + 1 < r->slots ? (unsigned)n + 1 : r->slots;
  if (n < 0) return -errno;
  double now = us_monotonic_ms();
  int64_t offset = s->kernel_ts ? realtime_to_monotonic_ns() : 0;
  for (int i = 0; i < n; i++) {
    struct mmsghdr *m = &r->msgs[i];
    double *out = meta + (size_t)i * US_META_STRIDE;
    unsigned len = m->msg_len;
    int flags = 0;
    if ((m->msg_hdr.msg_flags & MSG_TRUNC) || len > r->slot_size) flags |= US_FLAG_TRUNCATED;
    if (s->connected || us_same_addr(&r->names[i], m->msg_hdr.msg_namelen, &s->target)) flags |= US_FLAG_FROM_TARGET;
    double arrival = now;
    if (s->kernel_ts) {
      for (struct cmsghdr *c = CMSG_FIRSTHDR(&m->msg_hdr); c != NULL; c = CMSG_NXTHDR(&m->msg_hdr, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS &&
            c->cmsg_len >= CMSG_LEN(sizeof(struct timespec))) {
          struct timespec t;
          memcpy(&t, CMSG_DATA(c), sizeof t);
          double a = (double)(ts_ns(&t) + offset) / 1e6;
          /* The conversion's error is tens of ns; never report an arrival after we read it. */
          if (t.tv_sec != 0 && a <= now) arrival = a;
          flags |= US_FLAG_KERNEL_TIME;
          break;
        }
      }
    }
    out[0] = len > r->slot_size ? r->slot_size : len;
    out[1] = arrival;
    out[2] = flags;
    out[3] = len;
  }
  return n;
}

/* Transient: the socket buffer (or the device queue) is full; try again when writable. */
static int is_blocked(int err) { return err == EAGAIN || err == EWOULDBLOCK || err == ENOBUFS; }

us_send_result us_send_batch(const us_socket *s, us_send_scratch *sc, unsigned n, const uint16_t *id,
                             const int32_t *qi, const unsigned char *wire, size_t wire_len,
                             const uint32_t *offsets, size_t count, double *sent_at, us_errors *errs) {
  us_send_result res = {0, 0, 0};
  unsigned done = 0;
  int first_err = 0;  /* the error of a first attempt at message `done`, if any */
  unsigned interrupts = 0;
  unsigned cap = s->send_cap >= 1 && s->send_cap <= US_SEND_CAP ? s->send_cap : US_SEND_CAP;
  while (done < n) {
    unsigned k = n - done < cap ? n - done : cap;
    /* The first message of a call goes alone. Delivering it may wake the server's thread, and on a
       VM that wake-up (an IPI to a halted vCPU) is paid inside this sendmmsg after the datagram is
       queued, tens of µs: messages sharing its call would leave that much after the time read for
       them. Alone, it is charged nothing it did not cause, and the next call's clock read comes
       after the wake-up (a 20-query burst against an idle knotd, quiet machine: mean latency
       164-186 µs instead of 213-291 µs; docs/native-udp.md "Clock"). */
    if (done == 0 && k > 1) k = 1;
    for (unsigned j = 0; j < k; j++) {
      unsigned i = done + j;
      /* Each index and offset is read once and checked right here, where it is used: the caller
         checked them all already, but they may live in shared memory another thread can write. */
      int32_t q = qi[i];
      uint32_t start = 0, end = 0;
      if (q >= 0 && (size_t)q < count) {
        start = offsets[q];
        end = offsets[q + 1];
      }
      if (end < start || end - start < 2 || end - start > 65535 || end > wire_len) {
        k = j;
        break;
      }
      uint16_t msg_id = id[i];
      sc->id[j][0] = (unsigned char)(msg_id >> 8);
      sc->id[j][1] = (unsigned char)(msg_id & 0xff);
      struct iovec *v = &sc->iov[2 * j];
      v[0].iov_base = sc->id[j];
      v[0].iov_len = 2;
      /* The const is cast away only because struct iovec has no const member; sendmmsg reads. */
      v[1].iov_base = (void *)(wire + start + 2);
      v[1].iov_len = end - start - 2;
      struct msghdr *h = &sc->msgs[j].msg_hdr;
      memset(h, 0, sizeof *h);
      h->msg_iov = v;
      h->msg_iovlen = 2;
      if (!s->connected) {
        h->msg_name = (void *)&s->target;
        h->msg_namelen = s->target_len;
      }
    }
    if (k == 0) {
      /* Message `done` changed under us into something out of bounds: refuse it, send nothing. */
      sent_at[done++] = -(double)EINVAL;
      first_err = 0;
      continue;
    }
    double t = us_monotonic_ms();
    int r = sendmmsg(s->fd, sc->msgs, k, MSG_DONTWAIT);
    res.calls++;
    if (r > 0) {
      for (int j = 0; j < r; j++) sent_at[done + j] = t;
      /* A pending ICMP error consumed on the first try at this message was not about it. */
      if (first_err != 0 && s->connected) us_errors_push(errs, first_err, &s->target);
      first_err = 0;
      done += (unsigned)r;
      continue;
    }
    int err = r < 0 ? errno : EAGAIN;
    if (err == EINTR && interrupts++ < 16) continue;
    if (is_blocked(err)) {
      if (first_err != 0 && s->connected) us_errors_push(errs, first_err, &s->target);
      res.blocked = 1;
      break;
    }
    if (first_err == 0) {
      /* Maybe an earlier ICMP error (sk_err) surfacing on this send (sock_alloc_send_pskb): the
         kernel has cleared it, so try this message once more before blaming it. */
      first_err = err;
      continue;
    }
    /* The message itself is refused (EPERM from a firewall, EMSGSIZE, ...): skip it. */
    if (first_err != err && s->connected) us_errors_push(errs, first_err, &s->target);
    sent_at[done] = -(double)err;
    first_err = 0;
    done++;
  }
  res.consumed = done;
  return res;
}

double us_send_one(const us_socket *s, const unsigned char *buf, size_t len, us_errors *errs) {
  int first_err = 0;
  for (int attempt = 0; attempt < 16; attempt++) {
    double t = us_monotonic_ms();
    ssize_t r = s->connected ? send(s->fd, buf, len, MSG_DONTWAIT)
                             : sendto(s->fd, buf, len, MSG_DONTWAIT, &s->target.sa, s->target_len);
    if (r >= 0) {
      if (first_err != 0 && s->connected) us_errors_push(errs, first_err, &s->target);
      return t;
    }
    int err = errno;
    if (err == EINTR) continue;
    if (is_blocked(err)) {
      if (first_err != 0 && s->connected) us_errors_push(errs, first_err, &s->target);
      return -(double)err;
    }
    if (first_err == 0) {
      first_err = err;
      continue;
    }
    if (first_err != err && s->connected) us_errors_push(errs, first_err, &s->target);
    return -(double)err;
  }
  return -(double)EINTR;
}

int us_drain_errqueue(const us_socket *s, us_errors *errs, int max) {
  int got = 0;
  for (int k = 0; k < max; k++) {
    unsigned char data[64];
    unsigned char ctrl[512];
    us_addr name;
    struct iovec v = {data, sizeof data};
    struct msghdr h;
    memset(&h, 0, sizeof h);
    memset(&name, 0, sizeof name);
    h.msg_name = &name;
    h.msg_namelen = sizeof name;
    h.msg_iov = &v;
    h.msg_iovlen = 1;
    h.msg_control = ctrl;
    h.msg_controllen = sizeof ctrl;
    ssize_t r = recvmsg(s->fd, &h, MSG_ERRQUEUE | MSG_DONTWAIT);
    if (r < 0) {
      if (errno == EINTR) continue;
      break;
    }
    got++;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&h); c != NULL; c = CMSG_NXTHDR(&h, c)) {
      if ((c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_RECVERR) ||
          (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_RECVERR)) {
        struct sock_extended_err ee;
        memcpy(&ee, CMSG_DATA(c), sizeof ee);
        /* msg_name is the destination of the datagram that failed (ip(7) IP_RECVERR). */
        us_errors_push(errs, (int)ee.ee_errno, h.msg_namelen > 0 ? &name : NULL);
        break;
      }
    }
  }
  return got;
}

int us_take_so_error(const us_socket *s) {
  int err = 0;
  socklen_t len = sizeof err;
  if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) return errno;
  return err;
}
