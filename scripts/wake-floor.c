/*
 * The least a load generator can spend to send each query on time at a fixed rate on this machine:
 * `threads` threads, each with its own UDP socket, a timerfd armed at each query's due time and
 * epoll to wait for it, one sendto per wake-up, and the answers drained (recv, unparsed) every 16
 * queries. No parsing, no statistics, no JavaScript. npm run bench (scripts/bench-run.mjs) runs it
 * beside dnsperf and dnsbench at the same rates: its CPU per query is the floor for any tool that
 * wakes once per query, which sending each query within ~50 us of its due time needs at these
 * rates (docs/performance.md "Fixed rates"). Loopback only: the address must be in 127.0.0.0/8.
 *
 *   wake-floor <127.x.y.z> <port> <qps> <seconds> <threads>   prints "sent N"
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

static struct sockaddr_in target;
static int64_t period_ns, end_ns;
static long sent[64];

static int64_t mono_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static void *run(void *arg) {
  long k = (long)arg;
  /* www.test.com A, ID patched per query */
  unsigned char q[] = {0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 3, 'w', 'w', 'w', 4, 't', 'e', 's', 't', 3, 'c', 'o', 'm', 0, 0, 1, 0, 1};
  char buf[1500];
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
  int tf = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
  int ep = epoll_create1(0);
  if (s < 0 || tf < 0 || ep < 0) return NULL;
  struct epoll_event ev = {.events = EPOLLIN, .data.fd = tf};
  epoll_ctl(ep, EPOLL_CTL_ADD, tf, &ev);
  int64_t due = mono_ns() + k * (period_ns / 64 + 1);
  for (long n = 0; due < end_ns; n++, due += period_ns) {
    struct itimerspec its = {{0, 0}, {due / 1000000000, due % 1000000000}};
    timerfd_settime(tf, TFD_TIMER_ABSTIME, &its, NULL); /* re-arming clears the expiry: no read */
    struct epoll_event e;
    while (epoll_wait(ep, &e, 1, -1) < 0) {
    }
    q[0] = (unsigned char)(n >> 8);
    q[1] = (unsigned char)n;
    if (sendto(s, q, sizeof q, 0, (struct sockaddr *)&target, sizeof target) > 0) sent[k]++;
    if ((n & 15) == 15)
      while (recv(s, buf, sizeof buf, MSG_DONTWAIT) > 0) {
      }
  }
  return NULL;
}

int main(int argc, char **argv) {
  if (argc != 6) {
    fprintf(stderr, "usage: wake-floor <127.x.y.z> <port> <qps> <seconds> <threads>\n");
    return 2;
  }
  target.sin_family = AF_INET;
  target.sin_port = htons((uint16_t)atoi(argv[2]));
  long qps = atol(argv[3]), secs = atol(argv[4]), threads = atol(argv[5]);
  if (inet_pton(AF_INET, argv[1], &target.sin_addr) != 1 || (ntohl(target.sin_addr.s_addr) >> 24) != 127 || qps < 1 ||
      qps > 1000000 || secs < 1 || secs > 600 || threads < 1 || threads > 64) {
    fprintf(stderr, "wake-floor: a 127.0.0.0/8 address, 1..1000000 qps, 1..600 s and 1..64 threads\n");
    return 2;
  }
  period_ns = 1000000000LL * threads / qps;
  end_ns = mono_ns() + secs * 1000000000LL;
  pthread_t t[64];
  for (long k = 0; k < threads; k++) pthread_create(&t[k], NULL, run, (void *)k);
  long total = 0;
  for (long k = 0; k < threads; k++) {
    pthread_join(t[k], NULL);
    total += sent[k];
  }
  printf("sent %ld\n", total);
  return 0;
}
