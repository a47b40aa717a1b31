// See socket.h.
#include "socket.h"

#include "../net/sockaddr.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace ov {
namespace unix_socket {

using net::FromSockaddr;
using net::ToSockaddr;


int Open(int family, bool nonblocking) {
  int fd = socket(family == 6 ? AF_INET6 : AF_INET,
                  SOCK_STREAM | SOCK_CLOEXEC | (nonblocking ? SOCK_NONBLOCK : 0), IPPROTO_TCP);
  return fd < 0 ? -errno : fd;
}

namespace {
int SetInt(int fd, int level, int name, int value) {
  return setsockopt(fd, level, name, &value, sizeof value) == 0 ? 0 : -errno;
}
int Fail(int fd) {
  int err = -errno;
  close(fd);
  return err;
}
}  // namespace

int OpenListener(const SockAddr& addr, const ListenOptions& opts, bool nonblocking) {
  int fd = Open(addr.family, nonblocking);
  if (fd < 0) return fd;
  // As libuv does for every TCP listener: a restarted server must not wait out TIME_WAIT.
  if (SetInt(fd, SOL_SOCKET, SO_REUSEADDR, 1) != 0) return Fail(fd);
  if (opts.reuse_port && SetInt(fd, SOL_SOCKET, SO_REUSEPORT, 1) != 0) return Fail(fd);
  // Linux's default may be changed by sysctl (net.ipv6.bindv6only); node:net states the
  // default explicitly (dual stack unless ipv6Only), so do we.
  if (addr.family == 6 && SetInt(fd, IPPROTO_IPV6, IPV6_V6ONLY, opts.ipv6_only ? 1 : 0) != 0)
    return Fail(fd);
  sockaddr_storage ss;
  socklen_t len = ToSockaddr(addr, &ss);
  if (bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) return Fail(fd);
  if (listen(fd, opts.backlog) != 0) return Fail(fd);
  return fd;
}

int OpenForConnect(const SockAddr& addr, const SockAddr* local, bool nonblocking) {
  int fd = Open(addr.family, nonblocking);
  if (fd < 0) return fd;
  if (local != nullptr) {
    sockaddr_storage ss;
    socklen_t len = ToSockaddr(*local, &ss);
#if defined(IP_BIND_ADDRESS_NO_PORT)
    // An address without a port: the port is chosen at connect(), per 4-tuple, not at
    // bind() (which needs one free for every destination): a relay spreading its connects
    // over several source addresses gets ~28000 per target and address, not per address
    // (Linux 4.2; ip(7)). Failing to set it only loses that.
    if (local->port == 0) SetInt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, 1);
#endif
    if (bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) return Fail(fd);
  }
  return fd;
}

int SetNoDelay(int fd, bool on) { return SetInt(fd, IPPROTO_TCP, TCP_NODELAY, on ? 1 : 0); }

int SetKeepAlive(int fd, bool on, unsigned delay_secs) {
  int r = SetInt(fd, SOL_SOCKET, SO_KEEPALIVE, on ? 1 : 0);
  if (r != 0 || !on || delay_secs == 0) return r;
  // Same knobs as libuv's uv_tcp_keepalive: idle time before the first probe.
  return SetInt(fd, IPPROTO_TCP, TCP_KEEPIDLE, static_cast<int>(delay_secs));
}

int GetAddress(int fd, bool peer, SockAddr* out) {
  sockaddr_storage ss;
  socklen_t len = sizeof ss;
  int r = peer ? getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len)
               : getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
  if (r != 0) return -errno;
  return FromSockaddr(ss, out) ? 0 : -EAFNOSUPPORT;
}

int ShutdownWrite(int fd) { return shutdown(fd, SHUT_WR) == 0 ? 0 : -errno; }

}  // namespace unix_socket
}  // namespace ov
