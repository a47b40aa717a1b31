// The one error space of the native side: negative, libuv-style codes, so that JS can name any
// of them with util.getSystemErrorName() and build node-shaped errors (code, errno, syscall).
// On Unix they are -errno, exactly as libuv's. On Windows libuv uses its own numbers (UV_E*,
// from uv/errno.h); the IOCP backend translates WSAE* codes into those (native/iocp/error.cc),
// and the few codes core itself produces are spelled here for both.
#ifndef OVERLAPPED_CORE_ERRORS_H_
#define OVERLAPPED_CORE_ERRORS_H_

#if !defined(_WIN32)
#include <cerrno>
#endif

namespace ov {

#if defined(_WIN32)
// Values of uv/errno.h's UV__E* on Windows (libuv keeps them stable across versions).
constexpr int kErrBadF = -4083;      // UV_EBADF
constexpr int kErrBusy = -4082;      // UV_EBUSY
constexpr int kErrCanceled = -4081;  // UV_ECANCELED
constexpr int kErrInval = -4071;     // UV_EINVAL
constexpr int kErrNoMem = -4057;     // UV_ENOMEM
constexpr int kErrNotConn = -4053;   // UV_ENOTCONN
constexpr int kErrMFile = -4066;     // UV_EMFILE
#else
constexpr int kErrBadF = -EBADF;
constexpr int kErrBusy = -EBUSY;
constexpr int kErrCanceled = -ECANCELED;
constexpr int kErrInval = -EINVAL;
constexpr int kErrNoMem = -ENOMEM;
constexpr int kErrNotConn = -ENOTCONN;
constexpr int kErrMFile = -EMFILE;
#endif

}  // namespace ov

#endif  // OVERLAPPED_CORE_ERRORS_H_
