// The send position within one Write()'s slices, as iovecs for sendmsg(2): shared by the
// Linux backends, which both try a non-blocking send first and carry on from where the kernel
// stopped (io_uring through the ring, epoll when the socket is writable again). The bytes
// belong to JS Buffers that the addon keeps alive until the write is answered.
#ifndef OVERLAPPED_UNIX_SEND_CURSOR_H_
#define OVERLAPPED_UNIX_SEND_CURSOR_H_

#include <sys/uio.h>

#include <climits>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "../core/backend.h"

namespace ov {

class SendCursor {
 public:
  // Starts a new write over slices (none may be in flight).
  void Reset(const Slice* slices, size_t count) {
    iov_.resize(count);
    for (size_t i = 0; i < count; ++i) {
      iov_[i].iov_base = const_cast<uint8_t*>(slices[i].data);
      iov_[i].iov_len = slices[i].len;
    }
    index_ = 0;
  }

  // Moves past n bytes that the kernel took.
  void Advance(size_t n) {
    while (n > 0 && index_ < iov_.size()) {
      iovec& v = iov_[index_];
      if (n >= v.iov_len) {
        n -= v.iov_len;
        ++index_;
      } else {
        v.iov_base = static_cast<uint8_t*>(v.iov_base) + n;
        v.iov_len -= n;
        n = 0;
      }
    }
    SkipEmpty();
  }

  bool done() const { return index_ == iov_.size(); }

  // Every byte still to send, past the IOV_MAX that Next() gives at once.
  size_t Remaining() const {
    size_t total = 0;
    for (size_t i = index_; i < iov_.size(); ++i) total += iov_[i].iov_len;
    return total;
  }

  // The iovecs still to send, at most IOV_MAX of them (what one sendmsg takes): *count of
  // them, holding *bytes. Valid until the next Reset() or Advance().
  iovec* Next(size_t* count, size_t* bytes) {
    SkipEmpty();
    size_t n = iov_.size() - index_;
    if (n > IOV_MAX) n = IOV_MAX;
    size_t total = 0;
    for (size_t i = 0; i < n; ++i) total += iov_[index_ + i].iov_len;
    *count = n;
    *bytes = total;
    return iov_.data() + index_;
  }

 private:
  void SkipEmpty() {
    while (index_ < iov_.size() && iov_[index_].iov_len == 0) ++index_;
  }

  std::vector<iovec> iov_;
  size_t index_ = 0;
};

}  // namespace ov

#endif  // OVERLAPPED_UNIX_SEND_CURSOR_H_
