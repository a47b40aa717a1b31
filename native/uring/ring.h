// A minimal io_uring ring over raw syscalls (no liburing): setup, the mmapped queues, SQE
// allocation, submission, CQE reaping, and the register calls the backend needs. The kernel
// headers on the build machines are from Linux 6.1; anything newer is defined here, guarded.
#ifndef OVERLAPPED_URING_RING_H_
#define OVERLAPPED_URING_RING_H_

#include <linux/io_uring.h>

#include <atomic>
#include <cstddef>
#include <cstdint>

// Newer than the 6.1 headers of the build machines (values from Linux 6.12's uapi).
#ifndef IORING_CQE_F_BUF_MORE
#define IORING_CQE_F_BUF_MORE (1U << 4)
#endif
#ifndef IOU_PBUF_RING_INC
#define IOU_PBUF_RING_INC 2
#endif

namespace ov {
namespace uring {

class Ring {
 public:
  Ring() = default;
  ~Ring();
  Ring(const Ring&) = delete;
  Ring& operator=(const Ring&) = delete;

  // Returns 0 or -errno (ENOSYS/EPERM where io_uring is blocked by seccomp or sysctl).
  int Init(unsigned sq_entries, unsigned cq_entries);
  void Destroy();

  // Next free SQE, zeroed, or nullptr when the queue is full even after submitting.
  io_uring_sqe* GetSqe();
  // Submits every prepared SQE. Returns the count submitted or -errno; -EBUSY/-EAGAIN mean
  // "later" and leave the SQEs queued.
  int Submit();
  unsigned Unsubmitted() const {
    return sqe_tail_ - __atomic_load_n(sq_head_, __ATOMIC_ACQUIRE);
  }

  // Calls f(const io_uring_cqe&) for up to max ready CQEs, then marks them seen.
  template <typename F>
  unsigned Reap(unsigned max, F&& f) {
    unsigned head = *cq_head_;
    unsigned tail = __atomic_load_n(cq_tail_, __ATOMIC_ACQUIRE);
    unsigned n = 0;
    while (head != tail && n < max) {
      f(cqes_[head & cq_mask_]);
      ++head;
      ++n;
    }
    __atomic_store_n(cq_head_, head, __ATOMIC_RELEASE);
    return n;
  }
  bool CqReady() const {
    return *cq_head_ != __atomic_load_n(cq_tail_, __ATOMIC_ACQUIRE);
  }
  // True when the kernel holds completions that did not fit the CQ (IORING_FEAT_NODROP);
  // FlushOverflow() asks it to move them in.
  bool CqOverflowed() const {
    return (__atomic_load_n(sq_flags_, __ATOMIC_ACQUIRE) & IORING_SQ_CQ_OVERFLOW) != 0;
  }
  void FlushOverflow();
  // Completions the kernel had to drop (even NODROP drops one when it cannot allocate the
  // overflow entry): each leaves an operation that never completes. Should stay 0.
  unsigned CqDropped() const {
    return cq_overflow_ != nullptr ? __atomic_load_n(cq_overflow_, __ATOMIC_RELAXED) : 0;
  }
  // Submits what is prepared and waits up to timeout_ms for at least one CQE (EXT_ARG, 5.11).
  // Returns 0 or -errno (-ETIME on timeout).
  int SubmitAndWait(int timeout_ms);

  int Register(unsigned opcode, const void* arg, unsigned nr_args);
  int fd() const { return fd_; }
  unsigned features() const { return features_; }

 private:
  int fd_ = -1;
  unsigned features_ = 0;
  // SQ ring
  void* sq_ring_ = nullptr;
  size_t sq_ring_size_ = 0;
  unsigned* sq_head_ = nullptr;
  unsigned* sq_tail_ = nullptr;
  unsigned* sq_flags_ = nullptr;
  unsigned* sq_array_ = nullptr;
  unsigned sq_mask_ = 0;
  unsigned sq_entries_ = 0;
  io_uring_sqe* sqes_ = nullptr;
  size_t sqes_size_ = 0;
  unsigned sqe_tail_ = 0;  // next SQE to hand out; the kernel's sq_head says what it took
  // CQ ring (may share the SQ mapping: IORING_FEAT_SINGLE_MMAP, 5.4)
  void* cq_ring_ = nullptr;
  size_t cq_ring_size_ = 0;
  unsigned* cq_head_ = nullptr;
  unsigned* cq_tail_ = nullptr;
  unsigned cq_mask_ = 0;
  unsigned* cq_overflow_ = nullptr;
  io_uring_cqe* cqes_ = nullptr;
};

}  // namespace uring
}  // namespace ov

#endif  // OVERLAPPED_URING_RING_H_
