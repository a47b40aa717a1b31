// Which accept failures are the connection's and which the listener's, on every backend.
// uv.h spells the error codes of both error spaces (-errno on Unix, UV_E* on Windows).
#include "accept_retry.h"

#include <uv.h>

#if !defined(_WIN32)
#include <cerrno>
#endif

namespace ov {

// Per connection: the peer reset or abandoned the connection, or there is no route back to
// it. Everything else backs off: descriptors, handles, memory or non-paged pool running out
// (EMFILE, ENFILE, ENOBUFS, ENOMEM), and any error that would only recur, so that a listener
// never spins.
bool AcceptFailureIsPerConnection(int err) {
  if (err == UV_ECONNABORTED || err == UV_ECONNRESET || err == UV_ENETUNREACH ||
      err == UV_EHOSTUNREACH)
    return true;
#if defined(_WIN32)
  // AcceptEx reports a handshake the peer abandoned as a timeout of the accept itself.
  return err == UV_ETIMEDOUT;
#else
  // accept(2) passes the new socket's pending network errors and says to treat them like
  // EAGAIN (man 2 accept, "Error handling"); EPERM is a firewall refusing the connection.
  switch (-err) {
    case EPROTO: case EPERM: case ENETDOWN: case ENOPROTOOPT: case EHOSTDOWN: case ENONET:
    case EOPNOTSUPP:
      return true;
    default:
      return false;
  }
#endif
}

}  // namespace ov
