// Socket plumbing shared by the two Linux backends (io_uring and epoll): creating, binding and
// listening, socket options, and converting between ov::SockAddr and sockaddr. Everything here
// is synchronous and non-blocking; the backends own the I/O.
#ifndef OVERLAPPED_UNIX_SOCKET_H_
#define OVERLAPPED_UNIX_SOCKET_H_

#include <sys/socket.h>

#include "../core/backend.h"

namespace ov {
namespace unix_socket {

socklen_t ToSockaddr(const SockAddr& in, sockaddr_storage* out);
bool FromSockaddr(const sockaddr_storage& in, SockAddr* out);

// A non-blocking, close-on-exec TCP socket of the address's family, or -errno.
int Open(int family);
// socket + SO_REUSEADDR (+ SO_REUSEPORT, IPV6_V6ONLY) + bind + listen. Returns fd or -errno.
int OpenListener(const SockAddr& addr, const ListenOptions& opts);
// Opens a socket for connecting, bound first when local is given. Returns fd or -errno.
int OpenForConnect(const SockAddr& addr, const SockAddr* local);

int SetNoDelay(int fd, bool on);
int SetKeepAlive(int fd, bool on, unsigned delay_secs);
int GetAddress(int fd, bool peer, SockAddr* out);
int ShutdownWrite(int fd);

}  // namespace unix_socket
}  // namespace ov

#endif  // OVERLAPPED_UNIX_SOCKET_H_
