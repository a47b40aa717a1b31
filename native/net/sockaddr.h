// Conversions between ov::SockAddr and the OS's sockaddr, shared by every backend (the
// structures are the same on Linux and Windows; only their headers differ).
#ifndef OVERLAPPED_NET_SOCKADDR_H_
#define OVERLAPPED_NET_SOCKADDR_H_

#if defined(_WIN32)
#include <winsock2.h>
#include <ws2tcpip.h>
#else
#include <netinet/in.h>
#include <sys/socket.h>
#endif

#include <cstring>

#include "../core/backend.h"

namespace ov {
namespace net {

inline int ToSockaddr(const SockAddr& in, sockaddr_storage* out) {
  memset(out, 0, sizeof *out);
  if (in.family == 6) {
    auto* s6 = reinterpret_cast<sockaddr_in6*>(out);
    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons(in.port);
    s6->sin6_scope_id = in.scope_id;
    memcpy(&s6->sin6_addr, in.bytes, 16);
    return sizeof(sockaddr_in6);
  }
  auto* s4 = reinterpret_cast<sockaddr_in*>(out);
  s4->sin_family = AF_INET;
  s4->sin_port = htons(in.port);
  memcpy(&s4->sin_addr, in.bytes, 4);
  return sizeof(sockaddr_in);
}

inline bool FromSockaddr(const sockaddr_storage& in, SockAddr* out) {
  *out = SockAddr{};
  if (in.ss_family == AF_INET6) {
    const auto& s6 = reinterpret_cast<const sockaddr_in6&>(in);
    out->family = 6;
    out->port = ntohs(s6.sin6_port);
    out->scope_id = s6.sin6_scope_id;
    memcpy(out->bytes, &s6.sin6_addr, 16);
    return true;
  }
  if (in.ss_family == AF_INET) {
    const auto& s4 = reinterpret_cast<const sockaddr_in&>(in);
    out->family = 4;
    out->port = ntohs(s4.sin_port);
    memcpy(out->bytes, &s4.sin_addr, 4);
    return true;
  }
  return false;
}

}  // namespace net
}  // namespace ov

#endif  // OVERLAPPED_NET_SOCKADDR_H_
