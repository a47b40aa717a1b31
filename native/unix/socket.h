// Socket plumbing shared by the two Linux backends (io_uring and epoll): creating, binding and
// listening, socket options, and converting between ov::SockAddr and sockaddr. Everything here
// is synchronous and non-blocking; the backends own the I/O.
#ifndef OVERLAPPED_UNIX_SOCKET_H_
#define OVERLAPPED_UNIX_SOCKET_H_

#include <sys/socket.h>

#include "../core/backend.h"

namespace ov {
namespace unix_socket {

// (Address conversions: native/net/sockaddr.h.)

// A close-on-exec TCP socket of the address's family, or -errno. Non-blocking for readiness
// backends (epoll). io_uring wants blocking sockets: on an O_NONBLOCK socket it hands -EAGAIN
// back to us instead of waiting for readiness itself.
int Open(int family, bool nonblocking);
// socket + SO_REUSEADDR (+ SO_REUSEPORT, IPV6_V6ONLY) + bind + listen. Returns fd or -errno.
int OpenListener(const SockAddr& addr, const ListenOptions& opts, bool nonblocking);
// Opens a socket for connecting, bound first when local is given. Returns fd or -errno.
int OpenForConnect(const SockAddr& addr, const SockAddr* local, bool nonblocking);

int SetNoDelay(int fd, bool on);
int SetKeepAlive(int fd, bool on, unsigned delay_secs);
int GetAddress(int fd, bool peer, SockAddr* out);
int ShutdownWrite(int fd);

}  // namespace unix_socket
}  // namespace ov

#endif  // OVERLAPPED_UNIX_SOCKET_H_
