// What the two Linux backends (io_uring and epoll) do the same way because each handle is one
// socket descriptor: the socket options and addresses, freeing a handle (closing its fd), the
// socket's part of Close(), and the line of sockets waiting for a receive buffer that both
// keep and report in GetStats(). Core (backend_base.h) holds what IOCP shares too; this layer
// holds only what a descriptor makes common.
#ifndef OVERLAPPED_UNIX_UNIX_BACKEND_H_
#define OVERLAPPED_UNIX_UNIX_BACKEND_H_

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <deque>

#include "../core/backend_base.h"
#include "socket.h"

namespace ov {

// Conn derives from ConnBase and has `int fd` and `bool waiting_buffer` (queued in starving_).
template <typename Conn>
class UnixBackend : public BackendBase {
 public:
  using BackendBase::BackendBase;

  int SetNoDelay(int32_t id, bool on) final {
    Conn* c = Find(id);
    return c == nullptr ? -EBADF : unix_socket::SetNoDelay(c->fd, on);
  }
  int SetKeepAlive(int32_t id, bool on, unsigned delay) final {
    Conn* c = Find(id);
    return c == nullptr ? -EBADF : unix_socket::SetKeepAlive(c->fd, on, delay);
  }
  int GetAddress(int32_t id, bool peer, SockAddr* out) final {
    Conn* c = Find(id);
    return c == nullptr ? -EBADF : unix_socket::GetAddress(c->fd, peer, out);
  }

 protected:
  Conn* Find(int32_t id) const { return static_cast<Conn*>(FindOpen(id)); }
  Conn* Get(int32_t id) const { return static_cast<Conn*>(conns_.Get(id)); }

  // Closing the fd also ends the handle's place in an epoll set (no other descriptor refers
  // to its open file description, epoll(7) Q6).
  void Free(ConnBase* b) override {
    Conn* c = static_cast<Conn*>(b);
    close(c->fd);
    delete c;
  }

  // BeginClose() and the socket's part of Close(), before the backend ends its operations.
  // nullptr means kErrBadF.
  Conn* BeginCloseSocket(int32_t id, bool reset) {
    Conn* c = static_cast<Conn*>(BeginClose(id));
    if (c == nullptr) return nullptr;
    if (reset && !c->listener) {
      // The fd is closed in Finalize(); with a zero linger that close sends an RST (socket(7)).
      linger l{1, 0};
      setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    }
    // A listener must refuse new connections from now on, as a synchronous close() would make
    // it (node:net's server.close()); otherwise the kernel keeps completing handshakes into
    // the backlog until the fd is really closed, and those peers see a reset instead of a
    // refusal. shutdown() on a listening socket stops it listening (Linux) and fails a
    // pending accept.
    if (c->listener) shutdown(c->fd, SHUT_RDWR);
    return c;
  }

  // The figures of the line of sockets waiting for a receive buffer.
  void FillWaitStats(Stats* out) const {
    uint32_t waiting = 0;  // the line may hold ids of sockets closed since; count live ones
    for (int32_t id : starving_) {
      const Conn* c = Get(id);
      if (c != nullptr && c->waiting_buffer) ++waiting;
    }
    out->sockets_waiting = waiting;
    out->buffer_waits = buffer_waits_;
  }

  std::deque<int32_t> starving_;  // sockets waiting for a receive buffer, in FIFO order
  uint64_t buffer_waits_ = 0;     // times a socket had to join starving_
};

}  // namespace ov

#endif  // OVERLAPPED_UNIX_UNIX_BACKEND_H_
