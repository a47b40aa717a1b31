// The receive pool: one fixed slab of equal buffers, allocated once and never grown. Backends
// lend buffers to the kernel for receives (io_uring's provided-buffer ring, IOCP's posted
// WSARecv buffers) and take them back as soon as the bytes are copied out to JS, so a Buffer
// handed to JS never pins pool memory. The pool only hands out ids and counts; which buffers
// the kernel holds is the backend's business.
#ifndef OVERLAPPED_CORE_BUFFER_POOL_H_
#define OVERLAPPED_CORE_BUFFER_POOL_H_

#include <cstddef>
#include <cstdint>
#include <vector>

namespace ov {

class BufferPool {
 public:
  BufferPool() = default;
  ~BufferPool();
  BufferPool(const BufferPool&) = delete;
  BufferPool& operator=(const BufferPool&) = delete;

  // Allocates count buffers of size bytes each (page aligned). Returns 0 or kErrNoMem.
  int Init(uint32_t size, uint32_t count);

  uint8_t* Data(uint32_t id) const { return slab_ + static_cast<size_t>(id) * size_; }
  uint32_t buffer_size() const { return size_; }
  uint32_t count() const { return count_; }
  size_t bytes() const { return static_cast<size_t>(size_) * count_; }

  // Free-list use (IOCP lends buffers one by one). Acquire returns false when none is free.
  bool Acquire(uint32_t* id);
  void Release(uint32_t id);
  uint32_t free_count() const { return static_cast<uint32_t>(free_.size()); }

  // Occupancy accounting shared by every backend: a buffer is "in use" from the moment the
  // kernel has filled it until its bytes are copied out and it is lent again.
  void NoteFilled() {
    if (++in_use_ > peak_) peak_ = in_use_;
  }
  void NoteRecycled() { --in_use_; }
  uint32_t in_use() const { return in_use_; }
  uint32_t peak() const { return peak_; }

 private:
  uint8_t* slab_ = nullptr;
  uint32_t size_ = 0;
  uint32_t count_ = 0;
  std::vector<uint32_t> free_;
  uint32_t in_use_ = 0;
  uint32_t peak_ = 0;
};

}  // namespace ov

#endif  // OVERLAPPED_CORE_BUFFER_POOL_H_
