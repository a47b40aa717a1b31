// See buffer_pool.h. Plain aligned allocation: the slab is not pinned (io_uring's provided
// buffer ring does not pin the buffers themselves, only the small ring of descriptors).
#include "buffer_pool.h"

#include <cstdlib>

#include "errors.h"

namespace ov {

namespace {
constexpr size_t kAlign = 4096;
}

BufferPool::~BufferPool() {
#if defined(_WIN32)
  _aligned_free(slab_);
#else
  free(slab_);
#endif
}

int BufferPool::Init(uint32_t size, uint32_t count) {
  size_t total = static_cast<size_t>(size) * count;
  total = (total + kAlign - 1) / kAlign * kAlign;
#if defined(_WIN32)
  slab_ = static_cast<uint8_t*>(_aligned_malloc(total, kAlign));
#else
  void* p = nullptr;
  slab_ = posix_memalign(&p, kAlign, total) == 0 ? static_cast<uint8_t*>(p) : nullptr;
#endif
  if (slab_ == nullptr) return kErrNoMem;
  size_ = size;
  count_ = count;
  free_.reserve(count);
  for (uint32_t i = count; i > 0; --i) free_.push_back(i - 1);
  return 0;
}

bool BufferPool::Acquire(uint32_t* id) {
  if (free_.empty()) return false;
  *id = free_.back();
  free_.pop_back();
  return true;
}

void BufferPool::Release(uint32_t id) { free_.push_back(id); }

}  // namespace ov
