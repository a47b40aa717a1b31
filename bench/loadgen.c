/* The load generator for npm run bench: a single-threaded epoll client in C, so that the load
 * side costs little and is the same for every server measured (a Node client would be the
 * bottleneck). Every echoed byte is checked against what was sent.
 *
 *   loadgen MODE PORT [key=value ...]
 *
 * Modes:
 *   echo   CONNS connections, DEPTH messages of SIZE bytes in flight on each; a message's
 *          round trip runs from its first byte sent to its last byte back.
 *   churn  CONNS connections at a time, each: connect, send 16 bytes, read them back, close.
 *          One round trip per connection.
 *   idle   CONNS connections opened and held for SECONDS, then one 16-byte echo on each to
 *          check that every one is still served.
 *   flood  CONNS connections that send SIZE-byte messages as fast as the server takes them and
 *          never read.
 * Keys: conns, depth, size, seconds, warmup (seconds not counted, default 1), host (127.0.0.1),
 * first (idle: open this many first, report them held, then open the rest).
 *
 * Prints {"phase":"measure"} when the measured part begins and {"phase":"end"} when it ends
 * (the runner samples the server's CPU time at both), then one JSON line of results:
 * messages, bytes, seconds, msgs_per_s, mb_per_s, p50_us, p99_us, errors.
 * Exits 1 if an echoed byte differs or a connection fails. Stays far below the open-file cap
 * of 20000: the runner never asks for more than 10000 connections.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum mode { ECHO, CHURN, IDLE, FLOOD };

struct conn {
  int fd;
  int connected;
  uint64_t sent;      /* bytes sent on this connection */
  uint64_t received;  /* bytes received back */
  uint32_t seed;      /* the byte stream is a function of (seed, offset) */
  uint64_t *started;  /* per message in flight: the time its first byte went, ring of depth */
  uint32_t started_head, started_tail;
  int want_out;       /* waiting for EPOLLOUT */
};

static enum mode mode;
static int conns = 100, depth = 1, size = 64, seconds = 5, warmup = 1, first = 0;
static const char *host = "127.0.0.1";
static int port;
static int ep;
static struct conn *cs;
static uint64_t t_start, t_measure, t_end;
static uint64_t messages, bytes, errors;
static uint32_t *lat;  /* round trips in microseconds, measured part only */
static size_t lat_n, lat_cap;
static uint8_t *scratch;

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The byte at `off` of connection stream `seed`: cheap, and a lost, repeated or reordered
 * byte changes it. */
static inline uint8_t stream_byte(uint32_t seed, uint64_t off) {
  uint64_t x = off * 0x9E3779B97F4A7C15ull + seed;
  return (uint8_t)(x >> 56);
}

static void die(const char *what) {
  fprintf(stderr, "loadgen: %s: %s\n", what, strerror(errno));
  exit(2);
}

static void record(uint64_t started) {
  uint64_t t = now_ns();
  if (started < t_measure || t > t_end) return;
  messages++;
  if (lat_n == lat_cap) {
    lat_cap = lat_cap ? lat_cap * 2 : 1 << 16;
    lat = realloc(lat, lat_cap * sizeof *lat);
    if (!lat) die("realloc");
  }
  lat[lat_n++] = (uint32_t)((t - started) / 1000);
}

static int open_conn(struct conn *c, uint32_t seed) {
  uint64_t *started = c->started;  /* kept across the connections a slot holds */
  memset(c, 0, sizeof *c);
  c->started = started;
  c->seed = seed;
  c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (c->fd < 0) die("socket");
  int one = 1;
  setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  inet_pton(AF_INET, host, &a.sin_addr);
  if (connect(c->fd, (struct sockaddr *)&a, sizeof a) < 0 && errno != EINPROGRESS) die("connect");
  if (!c->started) c->started = calloc((size_t)depth, sizeof(uint64_t));
  struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.ptr = c};
  if (epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev) < 0) die("epoll_ctl");
  c->want_out = 1;
  return 0;
}

static void set_out(struct conn *c, int want) {
  if (c->want_out == want) return;
  c->want_out = want;
  struct epoll_event ev = {.events = EPOLLIN | (want ? EPOLLOUT : 0), .data.ptr = c};
  epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
}

/* Sends up to `limit` bytes of the connection's stream from c->sent on. */
static int send_stream(struct conn *c, uint64_t limit) {
  while (limit > 0) {
    size_t n = limit < 65536 ? (size_t)limit : 65536;
    for (size_t i = 0; i < n; i++) scratch[i] = stream_byte(c->seed, c->sent + i);
    ssize_t w = send(c->fd, scratch, n, MSG_NOSIGNAL);
    if (w < 0) {
      if (errno == EAGAIN) return 1;
      return -1;
    }
    c->sent += (uint64_t)w;
    limit -= (uint64_t)w;
  }
  return 0;
}

/* Echo: keeps `depth` messages in flight; a message starts when its first byte is queued. */
static int echo_fill(struct conn *c) {
  uint64_t msg = (uint64_t)size;
  for (;;) {
    uint64_t in_flight_msgs = (c->sent - c->received + msg - 1) / msg;
    /* a partly sent message counts as in flight; finish it first */
    uint64_t partial = c->sent % msg;
    if (partial) {
      int r = send_stream(c, msg - partial);
      if (r) return r;
      continue;
    }
    if (in_flight_msgs >= (uint64_t)depth) return 0;
    if (now_ns() >= t_end) return 0;
    c->started[c->started_head++ % (uint32_t)depth] = now_ns();
    int r = send_stream(c, msg);
    if (r) return r;
  }
}

static int read_check(struct conn *c) {
  for (;;) {
    ssize_t n = recv(c->fd, scratch, 65536, 0);
    if (n == 0) return -1;
    if (n < 0) return errno == EAGAIN ? 0 : -1;
    for (ssize_t i = 0; i < n; i++) {
      if (scratch[i] != stream_byte(c->seed, c->received + (uint64_t)i)) {
        fprintf(stderr, "loadgen: byte %llu of a connection differs\n", (unsigned long long)(c->received + (uint64_t)i));
        exit(1);
      }
    }
    uint64_t before = c->received;
    c->received += (uint64_t)n;
    uint64_t t = now_ns();
    if (t >= t_measure && t <= t_end) bytes += (uint64_t)n;
    if (mode != FLOOD) {
      uint64_t msg = (uint64_t)size;
      for (uint64_t done = before / msg + 1; done * msg <= c->received; done++)
        record(c->started[c->started_tail++ % (uint32_t)depth]);
    }
  }
}

/* Says when the measured part begins and ends, once each. */
static void phase(void) {
  static int said;
  uint64_t t = now_ns();
  if (said == 0 && t >= t_measure) {
    puts("{\"phase\":\"measure\"}");
    fflush(stdout);
    said = 1;
  }
  if (said == 1 && t >= t_end) {
    puts("{\"phase\":\"end\"}");
    fflush(stdout);
    said = 2;
  }
}

static int cmp_u32(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return x < y ? -1 : x > y;
}

static void report(void) {
  double secs = (double)(t_end - t_measure) / 1e9;
  uint32_t p50 = 0, p99 = 0;
  if (lat_n) {
    qsort(lat, lat_n, sizeof *lat, cmp_u32);
    p50 = lat[lat_n / 2];
    p99 = lat[lat_n * 99 / 100];
  }
  printf("{\"mode\":\"%s\",\"conns\":%d,\"depth\":%d,\"size\":%d,\"messages\":%llu,\"bytes\":%llu,"
         "\"seconds\":%.3f,\"msgs_per_s\":%.0f,\"mb_per_s\":%.2f,\"p50_us\":%u,\"p99_us\":%u,\"errors\":%llu}\n",
         mode == ECHO ? "echo" : mode == CHURN ? "churn" : mode == IDLE ? "idle" : "flood", conns, depth, size,
         (unsigned long long)messages, (unsigned long long)bytes, secs, (double)messages / secs,
         (double)bytes / secs / 1e6, p50, p99, (unsigned long long)errors);
  fflush(stdout);
}

static void run_echo(void) {
  cs = calloc((size_t)conns, sizeof *cs);
  for (int i = 0; i < conns; i++) open_conn(&cs[i], (uint32_t)i * 2654435761u + 1);
  struct epoll_event evs[256];
  while (now_ns() < t_end + 2000000000ull) {
    int n = epoll_wait(ep, evs, 256, 100);
    phase();
    int done = now_ns() >= t_end;
    for (int i = 0; i < n; i++) {
      struct conn *c = evs[i].data.ptr;
      if (evs[i].events & (EPOLLERR | EPOLLHUP)) {
        fprintf(stderr, "loadgen: a connection failed\n");
        exit(1);
      }
      if (evs[i].events & EPOLLIN && mode != FLOOD && read_check(c) < 0) {
        fprintf(stderr, "loadgen: the server closed a connection\n");
        exit(1);
      }
      if (evs[i].events & EPOLLOUT || !done) {
        c->connected = 1;
        int r = mode == FLOOD ? (done ? 0 : send_stream(c, 1u << 20)) : echo_fill(c);
        if (r < 0) {
          fprintf(stderr, "loadgen: send failed: %s\n", strerror(errno));
          exit(1);
        }
        set_out(c, r == 1 || (mode == FLOOD && !done));
      }
    }
    if (mode == FLOOD) {
      if (done) break;
      continue;
    }
    if (done) {
      /* every message sent must come back before the end */
      int all = 1;
      for (int i = 0; i < conns && all; i++) all = cs[i].received == cs[i].sent;
      if (all) break;
    }
  }
  if (mode == FLOOD) {
    for (int i = 0; i < conns; i++) bytes += cs[i].sent;
    messages = bytes / (uint64_t)size;
  } else {
    for (int i = 0; i < conns; i++)
      if (cs[i].received != cs[i].sent) {
        fprintf(stderr, "loadgen: %llu bytes never came back\n", (unsigned long long)(cs[i].sent - cs[i].received));
        exit(1);
      }
  }
  for (int i = 0; i < conns; i++) close(cs[i].fd);
}

/* Churn: CONNS connections at a time, each connect, 16-byte echo, close, then a new one. */
static void run_churn(void) {
  size = 16;
  depth = 1;
  cs = calloc((size_t)conns, sizeof *cs);
  uint32_t seed = 1;
  for (int i = 0; i < conns; i++) open_conn(&cs[i], seed++);
  struct epoll_event evs[256];
  while (now_ns() < t_end) {
    int n = epoll_wait(ep, evs, 256, 100);
    phase();
    for (int i = 0; i < n; i++) {
      struct conn *c = evs[i].data.ptr;
      if (evs[i].events & (EPOLLERR | EPOLLHUP) && !(evs[i].events & EPOLLIN)) {
        errors++;
        close(c->fd);
        open_conn(c, seed++);
        continue;
      }
      if (evs[i].events & EPOLLOUT && !c->connected) {
        c->connected = 1;
        c->started[0] = now_ns();
        c->started_head = 1;
        if (send_stream(c, 16) != 0) {
          errors++;
          close(c->fd);
          open_conn(c, seed++);
          continue;
        }
        set_out(c, 0);
      }
      if (evs[i].events & EPOLLIN) {
        if (read_check(c) < 0 && c->received < 16) {
          errors++;
          close(c->fd);
          open_conn(c, seed++);
          continue;
        }
        if (c->received == 16) {
          close(c->fd);
          open_conn(c, seed++);
        }
      }
    }
  }
  phase();
  for (int i = 0; i < conns; i++) close(cs[i].fd);
}

/* Opens connections [from, to) of cs and waits until every one is established. */
static void establish(int from, int to) {
  for (int i = from; i < to; i++) open_conn(&cs[i], (uint32_t)i + 1);
  struct epoll_event evs[256];
  int established = 0;
  while (established < to - from) {
    int n = epoll_wait(ep, evs, 256, 1000);
    for (int i = 0; i < n; i++) {
      struct conn *c = evs[i].data.ptr;
      if (evs[i].events & (EPOLLERR | EPOLLHUP)) {
        fprintf(stderr, "loadgen: an idle connection failed\n");
        exit(1);
      }
      if (!c->connected) {
        c->connected = 1;
        established++;
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
        epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
        c->want_out = 0;
      }
    }
  }
}

/* SIGUSR1 ends the hold early: the handler does nothing, but the signal interrupts the
 * sleep (the runner sends it once it has read the server's memory). */
static void on_usr1(int sig) { (void)sig; }

/* Idle: hold CONNS connections for SECONDS; then one echo on each proves they are served.
 * With first=N, N connections are opened first and held for 2 s before the rest, and
 * {"held":N} is printed for them too: the runner samples the server at both points, so that
 * the cost of one more connection is told apart from what the first connections cost once
 * (the server's code paged in, its compiled code, its heap's first growth). */
static void run_idle(void) {
  struct sigaction sa = {0};
  sa.sa_handler = on_usr1;
  sigaction(SIGUSR1, &sa, NULL);
  size = 16;
  depth = 1;
  cs = calloc((size_t)conns, sizeof *cs);
  if (first > 0 && first < conns) {
    establish(0, first);
    printf("{\"held\":%d}\n", first);
    fflush(stdout);
    usleep(2000000);
    establish(first, conns);
  } else {
    establish(0, conns);
  }
  struct epoll_event evs[256];
  printf("{\"held\":%d}\n", conns);
  fflush(stdout);
  /* The runner samples the server now; SIGUSR1 or the time running out ends the hold. */
  struct timespec hold = {.tv_sec = seconds, .tv_nsec = 0};
  nanosleep(&hold, NULL);
  t_measure = now_ns();
  t_end = t_measure + 60000000000ull;
  for (int i = 0; i < conns; i++) {
    cs[i].started[0] = now_ns();
    cs[i].started_head = 1;
    if (send_stream(&cs[i], 16) != 0) die("send");
  }
  int served = 0;
  while (served < conns && now_ns() < t_end) {
    int n = epoll_wait(ep, evs, 256, 1000);
    for (int i = 0; i < n; i++) {
      struct conn *c = evs[i].data.ptr;
      if (read_check(c) < 0) {
        fprintf(stderr, "loadgen: the server closed an idle connection\n");
        exit(1);
      }
      if (c->received == 16) {
        served++;
        struct epoll_event ev = {0};
        epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, &ev);
      }
    }
  }
  if (served < conns) {
    fprintf(stderr, "loadgen: %d of %d idle connections were not served\n", conns - served, conns);
    exit(1);
  }
  t_end = now_ns();
  for (int i = 0; i < conns; i++) close(cs[i].fd);
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: loadgen echo|churn|idle|flood PORT [conns=N depth=N size=N seconds=N warmup=N host=A first=N]\n");
    return 2;
  }
  mode = !strcmp(argv[1], "echo") ? ECHO : !strcmp(argv[1], "churn") ? CHURN : !strcmp(argv[1], "idle") ? IDLE : FLOOD;
  port = atoi(argv[2]);
  for (int i = 3; i < argc; i++) {
    char *eq = strchr(argv[i], '=');
    if (!eq) continue;
    *eq = 0;
    const char *k = argv[i], *v = eq + 1;
    if (!strcmp(k, "conns")) conns = atoi(v);
    else if (!strcmp(k, "depth")) depth = atoi(v);
    else if (!strcmp(k, "size")) size = atoi(v);
    else if (!strcmp(k, "seconds")) seconds = atoi(v);
    else if (!strcmp(k, "warmup")) warmup = atoi(v);
    else if (!strcmp(k, "host")) host = v;
    else if (!strcmp(k, "first")) first = atoi(v);
  }
  if (conns < 1 || conns > 10000 || depth < 1 || size < 1) {
    fprintf(stderr, "loadgen: conns must be 1..10000 (the open-file cap is 20000), depth and size >= 1\n");
    return 2;
  }
  struct rlimit rl;
  getrlimit(RLIMIT_NOFILE, &rl);
  if (rl.rlim_cur < (rlim_t)conns + 64) {
    rl.rlim_cur = rl.rlim_max < (rlim_t)conns + 64 ? rl.rlim_max : (rlim_t)conns + 64;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  ep = epoll_create1(EPOLL_CLOEXEC);
  scratch = malloc(65536);
  t_start = now_ns();
  t_measure = t_start + (uint64_t)warmup * 1000000000ull;
  t_end = t_measure + (uint64_t)seconds * 1000000000ull;
  switch (mode) {
    case ECHO: case FLOOD: run_echo(); break;
    case CHURN: run_churn(); break;
    case IDLE: run_idle(); break;
  }
  report();
  return 0;
}
