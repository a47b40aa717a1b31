// See ring.h. The memory-ordering rules follow io_uring(7): read the CQ tail and write the SQ
// tail with acquire/release, since the kernel updates them concurrently.
#include "ring.h"

#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace ov {
namespace uring {

namespace {
int SysSetup(unsigned entries, io_uring_params* p) {
  return static_cast<int>(syscall(__NR_io_uring_setup, entries, p));
}
int SysEnter(int fd, unsigned to_submit, unsigned min_complete, unsigned flags) {
  return static_cast<int>(
      syscall(__NR_io_uring_enter, fd, to_submit, min_complete, flags, nullptr, 0));
}
}  // namespace

Ring::~Ring() { Destroy(); }

int Ring::Init(unsigned sq_entries, unsigned cq_entries) {
  io_uring_params p;
  memset(&p, 0, sizeof p);
  // CQSIZE (5.5): completions outnumber submissions with multishot ops, so the CQ is larger.
  // CLAMP (5.6): accept the kernel's limits rather than fail.
  // SUBMIT_ALL (5.18): a bad SQE must not stop the rest of the batch from being submitted.
  p.flags = IORING_SETUP_CQSIZE | IORING_SETUP_CLAMP | IORING_SETUP_SUBMIT_ALL;
  p.cq_entries = cq_entries;
  int fd = SysSetup(sq_entries, &p);
  if (fd < 0) return -errno;
  fd_ = fd;
  features_ = p.features;
  // NODROP (5.5): completions are never lost on CQ overflow; we rely on that.
  if (!(p.features & IORING_FEAT_NODROP) || !(p.features & IORING_FEAT_SINGLE_MMAP)) {
    Destroy();
    return -ENOSYS;
  }

  sq_ring_size_ = p.sq_off.array + p.sq_entries * sizeof(unsigned);
  cq_ring_size_ = p.cq_off.cqes + p.cq_entries * sizeof(io_uring_cqe);
  size_t ring_size = sq_ring_size_ > cq_ring_size_ ? sq_ring_size_ : cq_ring_size_;
  sq_ring_size_ = ring_size;
  void* ring = mmap(nullptr, ring_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd,
                    IORING_OFF_SQ_RING);
  if (ring == MAP_FAILED) {
    int err = -errno;
    Destroy();
    return err;
  }
  sq_ring_ = ring;
  cq_ring_ = ring;  // single mmap
  cq_ring_size_ = 0;

  sqes_size_ = p.sq_entries * sizeof(io_uring_sqe);
  void* sqes = mmap(nullptr, sqes_size_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd,
                    IORING_OFF_SQES);
  if (sqes == MAP_FAILED) {
    int err = -errno;
    Destroy();
    return err;
  }
  sqes_ = static_cast<io_uring_sqe*>(sqes);

  auto* base = static_cast<uint8_t*>(ring);
  sq_head_ = reinterpret_cast<unsigned*>(base + p.sq_off.head);
  sq_tail_ = reinterpret_cast<unsigned*>(base + p.sq_off.tail);
  sq_flags_ = reinterpret_cast<unsigned*>(base + p.sq_off.flags);
  sq_array_ = reinterpret_cast<unsigned*>(base + p.sq_off.array);
  sq_mask_ = *reinterpret_cast<unsigned*>(base + p.sq_off.ring_mask);
  sq_entries_ = p.sq_entries;
  cq_head_ = reinterpret_cast<unsigned*>(base + p.cq_off.head);
  cq_tail_ = reinterpret_cast<unsigned*>(base + p.cq_off.tail);
  cq_mask_ = *reinterpret_cast<unsigned*>(base + p.cq_off.ring_mask);
  cq_overflow_ = reinterpret_cast<unsigned*>(base + p.cq_off.overflow);
  cqes_ = reinterpret_cast<io_uring_cqe*>(base + p.cq_off.cqes);
  sqe_tail_ = *sq_tail_;
  return 0;
}

void Ring::Destroy() {
  if (sqes_ != nullptr) munmap(sqes_, sqes_size_);
  if (sq_ring_ != nullptr) munmap(sq_ring_, sq_ring_size_);
  if (cq_ring_ != nullptr && cq_ring_ != sq_ring_) munmap(cq_ring_, cq_ring_size_);
  sqes_ = nullptr;
  sq_ring_ = cq_ring_ = nullptr;
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
}

io_uring_sqe* Ring::GetSqe() {
  unsigned head = __atomic_load_n(sq_head_, __ATOMIC_ACQUIRE);
  if (sqe_tail_ - head >= sq_entries_) {
    Submit();
    head = __atomic_load_n(sq_head_, __ATOMIC_ACQUIRE);
    if (sqe_tail_ - head >= sq_entries_) return nullptr;
  }
  unsigned idx = sqe_tail_ & sq_mask_;
  io_uring_sqe* sqe = &sqes_[idx];
  memset(sqe, 0, sizeof *sqe);
  sq_array_[idx] = idx;
  ++sqe_tail_;
  return sqe;
}

int Ring::Submit() {
  __atomic_store_n(sq_tail_, sqe_tail_, __ATOMIC_RELEASE);
  unsigned n = sqe_tail_ - __atomic_load_n(sq_head_, __ATOMIC_ACQUIRE);
  if (n == 0) return 0;
  int r;
  do {
    r = SysEnter(fd_, n, 0, 0);
  } while (r < 0 && errno == EINTR);
  return r < 0 ? -errno : r;
}

int Ring::SubmitAndWait(int timeout_ms) {
  __atomic_store_n(sq_tail_, sqe_tail_, __ATOMIC_RELEASE);
  unsigned n = sqe_tail_ - __atomic_load_n(sq_head_, __ATOMIC_ACQUIRE);
  __kernel_timespec ts{timeout_ms / 1000, (timeout_ms % 1000) * 1000000LL};
  io_uring_getevents_arg arg{};
  arg.ts = reinterpret_cast<uint64_t>(&ts);
  int r = static_cast<int>(syscall(__NR_io_uring_enter, fd_, n, 1,
                                   IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG, &arg,
                                   sizeof arg));
  return r < 0 ? -errno : 0;
}

void Ring::FlushOverflow() {
  int r;
  do {
    r = SysEnter(fd_, 0, 0, IORING_ENTER_GETEVENTS);
  } while (r < 0 && errno == EINTR);
}

int Ring::Register(unsigned opcode, const void* arg, unsigned nr_args) {
  int r = static_cast<int>(syscall(__NR_io_uring_register, fd_, opcode, arg, nr_args));
  return r < 0 ? -errno : r;
}

}  // namespace uring
}  // namespace ov
