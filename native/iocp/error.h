// Win32/Winsock error codes to libuv's UV_E* numbers (see error.cc).
#ifndef OVERLAPPED_IOCP_ERROR_H_
#define OVERLAPPED_IOCP_ERROR_H_

#include <winsock2.h>

namespace ov {
namespace iocp {

int TranslateError(int win32_or_wsa_error);

}  // namespace iocp
}  // namespace ov

#endif  // OVERLAPPED_IOCP_ERROR_H_
