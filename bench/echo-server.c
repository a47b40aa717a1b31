/* The reference server for npm run bench: a plain single-threaded epoll echo server in C, the
 * limit the Node servers are read against. It does what the Node echo servers do, no more:
 * reads what arrives, writes it back, and stops reading a connection whose replies the kernel
 * will not take until they drain (the back-pressure `write() === false` gives in Node).
 *
 *   echo-server [port=0]     prints the port it listens on, then serves until killed
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#define BUF (64 * 1024)

struct conn {
  int fd;
  uint8_t *pending;  /* bytes read but not yet written back */
  size_t off, len;
};

static int ep;

static void drop(struct conn *c) {
  close(c->fd);
  free(c->pending);
  free(c);
}

static void watch(struct conn *c, uint32_t events, int op) {
  struct epoll_event ev = {.events = events, .data.ptr = c};
  epoll_ctl(ep, op, c->fd, &ev);
}

/* Writes back what is pending; 1 when all of it went, 0 when the kernel is full, -1 on error. */
static int flush(struct conn *c) {
  while (c->off < c->len) {
    ssize_t w = send(c->fd, c->pending + c->off, c->len - c->off, MSG_NOSIGNAL);
    if (w < 0) return errno == EAGAIN ? 0 : -1;
    c->off += (size_t)w;
  }
  c->off = c->len = 0;
  return 1;
}

static void on_readable(struct conn *c, uint8_t *buf) {
  for (;;) {
    ssize_t n = recv(c->fd, buf, BUF, 0);
    if (n == 0 || (n < 0 && errno != EAGAIN)) {
      drop(c);
      return;
    }
    if (n < 0) return;
    ssize_t w = send(c->fd, buf, (size_t)n, MSG_NOSIGNAL);
    if (w < 0 && errno != EAGAIN) {
      drop(c);
      return;
    }
    if (w < 0) w = 0;
    if (w < n) {
      /* The rest waits for EPOLLOUT; reading stops until it has gone. */
      c->pending = realloc(c->pending, (size_t)(n - w));
      memcpy(c->pending, buf + w, (size_t)(n - w));
      c->off = 0;
      c->len = (size_t)(n - w);
      watch(c, EPOLLOUT, EPOLL_CTL_MOD);
      return;
    }
  }
}

int main(int argc, char **argv) {
  int port = argc > 1 ? atoi(argv[1]) : 0;
  /* The idle scenario holds up to 10000 connections: raise the soft descriptor limit to the
   * hard one, as node does at start-up. */
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  int l = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  int one = 1;
  setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  if (bind(l, (struct sockaddr *)&a, sizeof a) || listen(l, 4096)) {
    perror("echo-server");
    return 2;
  }
  socklen_t len = sizeof a;
  getsockname(l, (struct sockaddr *)&a, &len);
  printf("%d\n", ntohs(a.sin_port));
  fflush(stdout);
  ep = epoll_create1(0);
  struct epoll_event lev = {.events = EPOLLIN, .data.ptr = NULL};
  epoll_ctl(ep, EPOLL_CTL_ADD, l, &lev);
  uint8_t *buf = malloc(BUF);
  struct epoll_event evs[256];
  for (;;) {
    int n = epoll_wait(ep, evs, 256, -1);
    for (int i = 0; i < n; i++) {
      struct conn *c = evs[i].data.ptr;
      if (c == NULL) {
        int fd;
        while ((fd = accept4(l, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
          setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          struct conn *nc = calloc(1, sizeof *nc);
          nc->fd = fd;
          watch(nc, EPOLLIN, EPOLL_CTL_ADD);
        }
        continue;
      }
      if (evs[i].events & EPOLLOUT) {
        int r = flush(c);
        if (r < 0) {
          drop(c);
          continue;
        }
        if (r == 1) watch(c, EPOLLIN, EPOLL_CTL_MOD);
        continue;
      }
      if (evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) on_readable(c, buf);
    }
  }
}
