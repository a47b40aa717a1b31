// Winsock and Win32 errors to the native side's error space: libuv's UV_E* numbers on
// Windows, so that util.getSystemErrorName() in node.exe names them (ECONNRESET, ENOBUFS...).
// The table follows libuv's src/win/error.c for the socket errors TCP can meet.
#include "error.h"

#include <uv.h>

namespace ov {
namespace iocp {

int TranslateError(int err) {
  switch (err) {
    case 0: return 0;
    case WSAECONNREFUSED: case ERROR_CONNECTION_REFUSED: return UV_ECONNREFUSED;
    case WSAECONNRESET: case ERROR_NETNAME_DELETED: return UV_ECONNRESET;
    case WSAECONNABORTED: case ERROR_CONNECTION_ABORTED: return UV_ECONNABORTED;
    case WSAEADDRINUSE: case ERROR_ADDRESS_ALREADY_ASSOCIATED: return UV_EADDRINUSE;
    case WSAEADDRNOTAVAIL: return UV_EADDRNOTAVAIL;
    case WSAENOBUFS: case ERROR_NOT_ENOUGH_MEMORY: case ERROR_OUTOFMEMORY: return UV_ENOBUFS;
    case WSAEMFILE: case ERROR_TOO_MANY_OPEN_FILES: return UV_EMFILE;
    case WSAETIMEDOUT: case ERROR_SEM_TIMEOUT: return UV_ETIMEDOUT;
    case WSAENETUNREACH: case ERROR_NETWORK_UNREACHABLE: return UV_ENETUNREACH;
    case WSAEHOSTUNREACH: case ERROR_HOST_UNREACHABLE: return UV_EHOSTUNREACH;
    case WSAENETDOWN: return UV_ENETDOWN;
    case WSAEAFNOSUPPORT: return UV_EAFNOSUPPORT;
    case WSAEACCES: case ERROR_ACCESS_DENIED: return UV_EACCES;
    case WSAEINVAL: case ERROR_INVALID_PARAMETER: return UV_EINVAL;
    case WSAENOTCONN: return UV_ENOTCONN;
    case WSAEISCONN: return UV_EISCONN;
    case WSAEALREADY: return UV_EALREADY;
    case WSAESHUTDOWN: return UV_EPIPE;
    case WSAEWOULDBLOCK: return UV_EAGAIN;
    case WSAENOTSOCK: case ERROR_INVALID_HANDLE: return UV_EBADF;
    case WSAEMSGSIZE: return UV_EMSGSIZE;
    case ERROR_OPERATION_ABORTED: return UV_ECANCELED;  // == WSA_OPERATION_ABORTED
    case ERROR_BROKEN_PIPE: return UV_EOF;
    default: return UV_EIO;
  }
}

}  // namespace iocp
}  // namespace ov
