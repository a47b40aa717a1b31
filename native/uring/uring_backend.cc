// The Linux io_uring backend. One ring per Node environment; its completions wake Node's own
// loop through the ring's fd itself, watched by a uv_poll: it polls readable while the CQ
// holds completions, so a wake costs no extra syscall (an eventfd would need a read(2) to
// reset it, every wake), and completions reaped inline signal nothing. Submissions are flushed
// once per loop turn, from a uv_prepare just before the loop polls (and, for what JS decided
// about a batch, before that batch's buffers go back): one io_uring_enter covers them all.
// Writes try a non-blocking sendmsg first and use the ring only for what the kernel left.
//
// Operations: multishot accept (5.19), connect, recv into one shared provided-buffer ring
// (pbuf ring 5.19; one receive at a time in metered mode, multishot recv 6.0 in the other;
// buffers filled incrementally where the kernel can, 6.12), a readiness poll and a direct
// recv for sockets moving bulk data, sendmsg for what a write's non-blocking try left,
// cancel by fd (5.19) on close. Kernel 6.0 is therefore the floor in practice, but it is
// found by trying (ProbeUring): older kernels, or io_uring blocked in part or whole by
// seccomp or kernel.io_uring_disabled, fail the probe, and lib/binding.ts falls back to epoll.
//
// Pool discipline: a buffer the kernel filled is copied out to JS and handed back to the ring
// in the same reap pass, so pool memory is never held by JS. When the ring runs dry the kernel
// ends a multishot recv with -ENOBUFS; that socket waits in a FIFO and is re-armed once the
// pass has returned buffers. It is never surfaced as an error and no byte is lost.
#include <linux/io_uring.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>
#include <uv.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <deque>
#include <memory>
#include <vector>

#include "../net/sockaddr.h"
#include "../unix/send_cursor.h"
#include "../unix/socket.h"
#include "../unix/unix_backend.h"
#include "ring.h"

namespace ov {
namespace {

// One entry of a provided-buffer ring (struct io_uring_buf in 5.19+ headers, spelled out here
// because the header's flexible-array union is awkward in C++). The ring's tail lives in the
// `resv` field of entry 0.
struct BufDesc {
  uint64_t addr;
  uint32_t len;
  uint16_t bid;
  uint16_t resv;
};
static_assert(sizeof(BufDesc) == 16, "io_uring_buf layout");

// io_uring_buf_reg's flags (6.12) are the 16 bits after bgid, which the 6.1 headers of the
// build machines call `pad`: set them by position, whatever the header names them.
void SetBufRegFlags(io_uring_buf_reg* reg, uint16_t flags) {
  static_assert(sizeof(io_uring_buf_reg) == 40, "io_uring_buf_reg layout");
  memcpy(reinterpret_cast<uint8_t*>(reg) + offsetof(io_uring_buf_reg, bgid) + sizeof(uint16_t),
         &flags, sizeof flags);
}

constexpr uint16_t kBufGroup = 1;
constexpr unsigned kSqEntries = 2048;
constexpr unsigned kCqEntries = 16384;
constexpr unsigned kReapBatch = 256;  // CQEs per JS call
constexpr unsigned kMaxRoundsPerWake = 64;

enum Op : uint8_t { kOpAccept = 1, kOpRecv, kOpSend, kOpConnect, kOpCancel, kOpCloseNop };

inline uint64_t UserData(Op op, int32_t id) {
  return (static_cast<uint64_t>(op) << 32) | static_cast<uint32_t>(id);
}

struct Conn : ConnBase {
  int fd = -1;
  bool recv_armed = false;
  bool recv_cancel_sent = false;
  bool armed_poll = false;  // the armed receive is a readiness poll (bulk; see ArmRecv)
  bool bulk = false;        // the last read filled a pool buffer
  bool waiting_buffer = false;  // queued in starving_
  bool rearm_queued = false;    // queued in rearm_
  bool accept_armed = false;   // no accept is armed while accept_paused (ConnBase)
  SendCursor send;  // where the one Write() in flight stands
  // Made when first needed, so that an idle connection holds neither (memory per idle
  // connection is one of the figures npm run bench reports): the sendmsg header, kept once
  // the socket has sent through the ring; the connect target, until the connect completes.
  // Each must outlive its SQE.
  std::unique_ptr<msghdr> msg;
  std::unique_ptr<sockaddr_storage> peer;
};

class UringBackend final : public UnixBackend<Conn> {
 public:
  UringBackend(uv_loop_t* loop, EventSink* sink, const Config& cfg)
      : UnixBackend(loop, sink, cfg) {}
  ~UringBackend() override;

  int Init();
  const char* Name() const override { return "io_uring"; }
  int32_t Listen(const SockAddr& addr, const ListenOptions& opts) override;
  int32_t Connect(const SockAddr& addr, const SockAddr* local) override;
  int AcceptPause(int32_t id, bool pause) override;
  int ReadStart(int32_t id) override;
  int ReadStop(int32_t id) override;
  int Write(int32_t id, const Slice* slices, size_t count) override;
  int Shutdown(int32_t id) override;
  int Close(int32_t id, bool reset) override;
  void GetStats(Stats* out) const override;
  void Teardown(void (*done)(void*), void* arg) override;

 private:
  Conn* Adopt(int fd, bool listener);
  void RetryAccept(ConnBase* l) override;
  void AcceptRetriesDone() override { ring_.Submit(); }
  io_uring_sqe* NewSqe(Conn* c, Op op);
  bool ArmAccept(Conn* c);
  bool ArmRecv(Conn* c);
  void MaybeArmRecv(Conn* c);
  int SubmitSend(Conn* c);
  bool SubmitClose(Conn* c);
  bool SubmitAcceptCancel(Conn* c);

  void Drain();
  void OnCqe(const io_uring_cqe& cqe);
  void OnAccept(Conn* c, int32_t res, bool more);
  void OnRecv(Conn* c, int32_t res, uint32_t flags, bool more);
  void OnSend(Conn* c, int32_t res);
  ssize_t ReadAhead(Conn* c, size_t len);
  void ReleaseBuffer(uint16_t bid, int32_t res, uint32_t flags);
  void RecycleBuffer(uint16_t bid);  // a filled buffer goes back to the kernel
  void PublishBuffer(uint16_t bid);
  void CommitBuffers();
  void ServeStarving();
  void RearmReaders();

  static void OnPoll(uv_poll_t* h, int status, int events);
  static void OnIdle(uv_idle_t* h);
  static void OnPrepare(uv_prepare_t* h);

  uring::Ring ring_;
  uv_poll_t poll_{};
  uv_idle_t idle_{};  // runs Drain() each loop turn while work is left over (see Drain)
  uv_prepare_t prepare_{};
  bool idle_active_ = false;

  BufDesc* br_ = nullptr;
  size_t br_size_ = 0;
  uint16_t br_tail_ = 0;  // local tail, published by CommitBuffers
  uint16_t br_published_ = 0;
  bool br_registered_ = false;
  bool inc_ = false;               // IOU_PBUF_RING_INC: buffers consumed incrementally
  std::vector<uint32_t> buf_off_;  // inc_: bytes of each buffer already filled
  uint32_t unpublished_filled_ = 0;

  std::vector<int32_t> rearm_;  // sockets whose recv completed with data this pass
  // Close() or AcceptPause() found the SQ full: a closing handle's close, or a paused
  // listener's accept cancel, is submitted again from OnPrepare.
  std::vector<int32_t> submit_retry_;
};

UringBackend::~UringBackend() {
  // Teardown() normally ran; this is the path for a failed Init().
  if (br_registered_) {
    io_uring_buf_reg reg;
    memset(&reg, 0, sizeof reg);
    reg.bgid = kBufGroup;
    ring_.Register(IORING_UNREGISTER_PBUF_RING, &reg, 1);
  }
  ring_.Destroy();
  if (br_ != nullptr) munmap(br_, br_size_);
  FreeAll();
}

int UringBackend::Init() {
  // What this needs of the kernel (up to multishot receives, 6.0) is ProbeUring()'s to find
  // out: binding.ts probes before it starts a backend, and falls back to epoll when it fails.
  unsigned count = cfg_.recv_buffer_count;
  if (count == 0 || count > 32768 || (count & (count - 1)) != 0) return -EINVAL;
  int r = ring_.Init(kSqEntries, kCqEntries);
  if (r < 0) return r;
  r = pool_.Init(cfg_.recv_buffer_size, count);
  if (r < 0) return r;

  br_size_ = count * sizeof(BufDesc);
  void* mem = mmap(nullptr, br_size_, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
  if (mem == MAP_FAILED) return -errno;
  br_ = static_cast<BufDesc*>(mem);
  io_uring_buf_reg reg;
  memset(&reg, 0, sizeof reg);
  reg.ring_addr = reinterpret_cast<uint64_t>(br_);
  reg.ring_entries = count;
  reg.bgid = kBufGroup;
  // Incremental consumption (IOU_PBUF_RING_INC, 6.12): a buffer takes the bytes of several
  // receives, one after another, instead of one receive each. Small messages from many
  // sockets then share buffers: with 1000 busy sockets on 256 buffers, one buffer per
  // receive ran the ring dry over and over (a million -ENOBUFS in 4 s, each a re-arm).
  // Metered mode only: it relies on seeing a buffer's completions in the order the kernel
  // filled it, which single-shot receives give.
  if (!cfg_.recv_multishot) {
    SetBufRegFlags(&reg, IOU_PBUF_RING_INC);
    r = ring_.Register(IORING_REGISTER_PBUF_RING, &reg, 1);
    if (r == 0) {
      inc_ = true;
      buf_off_.assign(count, 0);
    }
  }
  if (!inc_) {
    SetBufRegFlags(&reg, 0);  // an older kernel: one buffer per receive
    r = ring_.Register(IORING_REGISTER_PBUF_RING, &reg, 1);
  }
  if (r < 0) return r;
  br_registered_ = true;
  for (uint32_t i = 0; i < count; ++i) PublishBuffer(static_cast<uint16_t>(i));
  CommitBuffers();

  uv_poll_init(loop_, &poll_, ring_.fd());
  uv_idle_init(loop_, &idle_);
  uv_prepare_init(loop_, &prepare_);
  poll_.data = prepare_.data = idle_.data = this;
  StartLoopHandles();
  uv_poll_start(&poll_, UV_READABLE, OnPoll);
  uv_prepare_start(&prepare_, OnPrepare);
  // Only open, referenced sockets keep the loop alive: they hold the poll's reference.
  uv_unref(reinterpret_cast<uv_handle_t*>(&poll_));
  uv_unref(reinterpret_cast<uv_handle_t*>(&prepare_));
  uv_unref(reinterpret_cast<uv_handle_t*>(&idle_));
  SetRefAnchor(reinterpret_cast<uv_handle_t*>(&poll_));
  return 0;
}

// ---- buffers ---------------------------------------------------------------------------------

// A receive's bytes have been copied out of buffer bid. The buffer goes back to the kernel
// unless, with incremental consumption, the kernel keeps filling it (F_BUF_MORE): then the
// next receive into it starts where this one ended.
void UringBackend::ReleaseBuffer(uint16_t bid, int32_t res, uint32_t flags) {
  if (inc_ && (flags & IORING_CQE_F_BUF_MORE)) {
    if (res > 0) buf_off_[bid] += static_cast<uint32_t>(res);
    return;
  }
  if (inc_) buf_off_[bid] = 0;
  pool_.NoteFilled();
  RecycleBuffer(bid);
}

void UringBackend::RecycleBuffer(uint16_t bid) {
  PublishBuffer(bid);
  ++unpublished_filled_;  // still ours until CommitBuffers() hands it to the kernel
}

void UringBackend::PublishBuffer(uint16_t bid) {
  BufDesc& d = br_[br_tail_ & (pool_.count() - 1)];
  d.addr = reinterpret_cast<uint64_t>(pool_.Data(bid));
  d.len = pool_.buffer_size();
  d.bid = bid;
  ++br_tail_;
}

void UringBackend::CommitBuffers() {
  for (; unpublished_filled_ > 0; --unpublished_filled_) pool_.NoteRecycled();
  if (br_tail_ == br_published_) return;
  // The tail shares entry 0 with a descriptor's resv field; the kernel reads it with acquire.
  __atomic_store_n(&br_[0].resv, br_tail_, __ATOMIC_RELEASE);
  br_published_ = br_tail_;
}

// ---- handles ---------------------------------------------------------------------------------

// Takes ownership of fd: a registered, referenced Conn, or nullptr (fd closed) when the
// handle table is full.
Conn* UringBackend::Adopt(int fd, bool listener) {
  Conn* c = new Conn;
  c->fd = fd;
  if (!Register(c, listener)) {
    Free(c);
    return nullptr;
  }
  return c;
}

io_uring_sqe* UringBackend::NewSqe(Conn* c, Op op) {
  io_uring_sqe* sqe = ring_.GetSqe();
  if (sqe == nullptr) return nullptr;
  sqe->user_data = UserData(op, c->id);
  ++c->pending;
  return sqe;
}

// ---- listen / accept -------------------------------------------------------------------------

int32_t UringBackend::Listen(const SockAddr& addr, const ListenOptions& opts) {
  int fd = unix_socket::OpenListener(addr, opts, /*nonblocking=*/false);
  if (fd < 0) return fd;
  Conn* c = Adopt(fd, /*listener=*/true);
  if (c == nullptr) return -ENFILE;
  if (!ArmAccept(c)) QueueAcceptRetry(c, false);
  return c->id;
}

bool UringBackend::ArmAccept(Conn* c) {
  io_uring_sqe* sqe = NewSqe(c, kOpAccept);
  if (sqe == nullptr) return false;
  sqe->opcode = IORING_OP_ACCEPT;
  sqe->fd = c->fd;
  sqe->ioprio = IORING_ACCEPT_MULTISHOT;
  sqe->accept_flags = SOCK_CLOEXEC;  // blocking, as every socket io_uring drives (socket.h)
  c->accept_armed = true;
  return true;
}

void UringBackend::RetryAccept(ConnBase* l) {
  Conn* c = static_cast<Conn*>(l);
  if (!c->accept_armed && !c->accept_paused && !ArmAccept(c)) QueueAcceptRetry(c, false);
}

void UringBackend::OnAccept(Conn* c, int32_t res, bool more) {
  if (!more) c->accept_armed = false;
  if (res >= 0) {
    c->retry.backoff_ms = 0;
    if (c->closing) {
      close(res);
    } else {
      Conn* s = Adopt(res, /*listener=*/false);
      sink_->Emit(kAccept, c->id, s != nullptr ? s->id : -ENFILE);
    }
  } else if (res != -ECANCELED) {
    NoteAcceptError();
    if (!c->closing) sink_->Emit(kAccept, c->id, res);
    if (!more && !c->closing) {
      QueueAcceptRetry(c, !AcceptFailureIsPerConnection(res));
      return;
    }
  }
  if (!more && !c->closing && !c->retry.waiting && !c->accept_paused && !ArmAccept(c))
    QueueAcceptRetry(c, false);
}

int UringBackend::AcceptPause(int32_t id, bool pause) {
  Conn* c = static_cast<Conn*>(FindListener(id));
  if (c == nullptr) return -EBADF;
  c->accept_paused = pause;
  if (pause) {
    // The SQ full (io_uring_enter itself failing): the cancel is retried before the loop
    // next blocks, as closes are; the pause must not be lost (maxConnections relies on it).
    if (c->accept_armed && !SubmitAcceptCancel(c)) submit_retry_.push_back(c->id);
    return 0;
  }
  if (!c->accept_armed && !c->retry.waiting && !ArmAccept(c)) QueueAcceptRetry(c, false);
  return 0;
}

// ---- connect ---------------------------------------------------------------------------------

int32_t UringBackend::Connect(const SockAddr& addr, const SockAddr* local) {
  int fd = unix_socket::OpenForConnect(addr, local, /*nonblocking=*/false);
  if (fd < 0) return fd;
  Conn* c = Adopt(fd, /*listener=*/false);
  if (c == nullptr) return -ENFILE;
  c->connecting = true;
  c->peer.reset(new sockaddr_storage());
  socklen_t peer_len = net::ToSockaddr(addr, c->peer.get());
  io_uring_sqe* sqe = NewSqe(c, kOpConnect);
  if (sqe == nullptr) {
    Unregister(c);
    Free(c);
    return -EBUSY;
  }
  sqe->opcode = IORING_OP_CONNECT;
  sqe->fd = fd;
  sqe->addr = reinterpret_cast<uint64_t>(c->peer.get());
  sqe->off = peer_len;
  return c->id;
}

// ---- reading ---------------------------------------------------------------------------------

bool UringBackend::ArmRecv(Conn* c) {
  io_uring_sqe* sqe = NewSqe(c, kOpRecv);
  if (sqe == nullptr) return false;
  c->recv_armed = true;
  c->recv_cancel_sent = false;
  c->armed_poll = c->bulk && large_reads_ && !cfg_.recv_multishot && !c->write_active;
  if (c->armed_poll) {
    // A socket whose last read filled a pool buffer is moving bulk data: wait for it to be
    // readable and read one whole read's worth straight into the batch (ReadAhead), rather
    // than a pool buffer and then the rest: one recv and no copy out of the pool.
    sqe->opcode = IORING_OP_POLL_ADD;
    sqe->fd = c->fd;
    sqe->poll32_events = POLLIN | POLLRDHUP;
    return true;
  }
  sqe->opcode = IORING_OP_RECV;
  sqe->fd = c->fd;
  sqe->flags = IOSQE_BUFFER_SELECT;
  sqe->buf_group = kBufGroup;
  if (cfg_.recv_multishot) sqe->ioprio = IORING_RECV_MULTISHOT;
  return true;
}

void UringBackend::MaybeArmRecv(Conn* c) {
  if (!c->want_read || c->recv_armed || c->eof || c->closing || c->connecting ||
      c->waiting_buffer || c->listener)
    return;
  if (!ArmRecv(c)) {
    // The SQ is full: wait with the starving sockets, served after the next reap pass.
    c->waiting_buffer = true;
    starving_.push_back(c->id);
  }
}

int UringBackend::ReadStart(int32_t id) {
  Conn* c = static_cast<Conn*>(FindSocket(id));
  if (c == nullptr) return -EBADF;
  c->want_read = true;
  MaybeArmRecv(c);
  return 0;
}

int UringBackend::ReadStop(int32_t id) {
  Conn* c = static_cast<Conn*>(FindSocket(id));
  if (c == nullptr) return -EBADF;
  c->want_read = false;
  if (c->recv_armed && !c->recv_cancel_sent) {
    io_uring_sqe* sqe = NewSqe(c, kOpCancel);
    // Without an SQE the recv stays armed: JS buffers what arrives, nothing is lost.
    if (sqe == nullptr) return 0;
    sqe->opcode = IORING_OP_ASYNC_CANCEL;
    sqe->addr = UserData(kOpRecv, c->id);
    c->recv_cancel_sent = true;
  }
  return 0;
}

void UringBackend::OnRecv(Conn* c, int32_t res, uint32_t flags, bool more) {
  if (!more) c->recv_armed = false;
  if (c->armed_poll && res != -ECANCELED) {
    // Readable (or the poll failed: the receive armed next reports why). The direct read
    // stands in for the receive: from here on, end of stream (0) and re-arming (> 0) are
    // handled as a receive's. A cancelled poll is handled as a cancelled receive.
    ssize_t n = -1;
    if (res > 0 && c->want_read && !c->closing) n = ReadAhead(c, ReadSize());
    c->bulk = n >= static_cast<ssize_t>(pool_.buffer_size());
    res = n == 0 ? 0 : 1;
  }
  c->armed_poll = false;
  if (flags & IORING_CQE_F_BUFFER) {
    uint16_t bid = static_cast<uint16_t>(flags >> IORING_CQE_BUFFER_SHIFT);
    uint32_t off = inc_ ? buf_off_[bid] : 0;  // where this receive's bytes start
    // A closing socket's late bytes have nobody to go to: JS destroyed it.
    size_t ahead = 0;
    if (res > 0 && !c->closing) {
      // A receive that used up its buffer says more is probably waiting: read the rest of
      // one read's worth now, straight into the batch, so that a large message reaches JS as
      // one chunk, as a 64 KiB read of node:net delivers it (see ReadAhead). Not while a
      // write is in flight: that socket's replies are backing up, and its reads are about to
      // stop (budgets).
      if (static_cast<uint32_t>(res) == pool_.buffer_size() - off && !more && c->want_read &&
          !c->write_active && large_reads_ && ReadSize() > static_cast<uint32_t>(res))
        ahead = ReadSize() - static_cast<uint32_t>(res);
      sink_->EmitData(c->id, pool_.Data(bid) + off, static_cast<size_t>(res), ahead);
    }
    ReleaseBuffer(bid, res, flags);
    c->bulk = ahead > 0;
    if (ahead > 0 && ReadAhead(c, ahead) == 0) res = 0;  // the peer's FIN came with it
  }
  if (res > 0) {
    // Re-arm only after JS has seen these bytes (Drain), so it can say stop first.
    if (!more && !c->rearm_queued) {
      c->rearm_queued = true;
      rearm_.push_back(c->id);
    }
    return;
  }
  if (res == 0) {
    c->eof = true;
    if (!c->closing) sink_->Emit(kEof, c->id, 0);
    return;
  }
  if (res == -ENOBUFS) {
    // The pool ran dry. Not an error: wait for buffers in FIFO order (ServeStarving).
    ++buffer_waits_;
    if (!c->closing && !c->waiting_buffer) {
      c->waiting_buffer = true;
      starving_.push_back(c->id);
    }
    return;
  }
  if (res == -ECANCELED) {
    MaybeArmRecv(c);  // ReadStop() cancelled it; ReadStart() may have come since
    return;
  }
  c->eof = true;
  if (!c->closing) sink_->Emit(kReadError, c->id, res);
}

// One non-blocking recv(2) into the batch after a receive filled its pool buffer. Why: a
// 64 KiB message would otherwise reach JS as four 16 KiB chunks, one batch each (the next
// receive is armed only after JS has seen the last one), and an echo would send it back in
// four writes: with Nagle on (node's default) the second waits for the peer's delayed ACK,
// 40 ms a message. Returns the bytes read, 0 at end of stream, or -1 (nothing now, or an
// error that the next receive will report).
ssize_t UringBackend::ReadAhead(Conn* c, size_t len) {
  uint8_t* room = sink_->DataRoom(c->id, len);
  ssize_t n;
  do {
    n = recv(c->fd, room, len, MSG_DONTWAIT);
  } while (n < 0 && errno == EINTR);
  if (n > 0) sink_->CommitData(c->id, static_cast<size_t>(n));
  return n < 0 ? -1 : n;
}

void UringBackend::RearmReaders() {
  for (int32_t id : rearm_) {
    Conn* c = Get(id);
    if (c == nullptr) continue;
    c->rearm_queued = false;
    MaybeArmRecv(c);
  }
  rearm_.clear();
}

void UringBackend::ServeStarving() {
  // Re-arm waiting sockets, oldest first, at most one per buffer the ring holds now, so that
  // a socket which waited is served before one that starts waiting after it.
  size_t budget = pool_.count() - pool_.in_use();
  while (!starving_.empty() && budget > 0) {
    int32_t id = starving_.front();
    starving_.pop_front();
    Conn* c = Get(id);
    if (c == nullptr) continue;
    c->waiting_buffer = false;
    size_t before = c->pending;
    MaybeArmRecv(c);
    if (static_cast<size_t>(c->pending) != before) --budget;
    if (c->waiting_buffer) {  // SQ full: back in line, at the front where it was
      starving_.pop_back();
      starving_.push_front(id);
      break;
    }
  }
}

// ---- writing ---------------------------------------------------------------------------------

int UringBackend::Write(int32_t id, const Slice* slices, size_t count) {
  Conn* c = Find(id);
  int err = CheckWrite(c, slices, count);
  if (err != 0) return err;
  c->send.Reset(slices, count);
  // Try the send now, as libuv's uv_write does. A socket with room in its send buffer (the
  // common case) takes every byte, and the write is done: no SQE, no completion, no event,
  // and the caller may release the slices at once. Only what the kernel leaves is sent
  // through the ring, answered by a kWrite.
  for (;;) {
    msghdr msg{};
    size_t bytes;
    msg.msg_iov = c->send.Next(&msg.msg_iovlen, &bytes);
    ssize_t n = sendmsg(c->fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno != EAGAIN) return -errno;
    if (n > 0) c->send.Advance(static_cast<size_t>(n));
    break;
  }
  if (c->send.done()) return 1;
  int r = SubmitSend(c);
  if (r == 0) c->write_active = true;
  return r;
}

int UringBackend::SubmitSend(Conn* c) {
  io_uring_sqe* sqe = NewSqe(c, kOpSend);
  if (sqe == nullptr) return -EBUSY;
  if (!c->msg) c->msg.reset(new msghdr());
  memset(c->msg.get(), 0, sizeof *c->msg);
  size_t bytes;
  c->msg->msg_iov = c->send.Next(&c->msg->msg_iovlen, &bytes);
  sqe->opcode = IORING_OP_SENDMSG;
  sqe->fd = c->fd;
  sqe->addr = reinterpret_cast<uint64_t>(c->msg.get());
  sqe->len = 1;
  sqe->msg_flags = MSG_NOSIGNAL;
  LendBytes(c, bytes);
  return 0;
}

void UringBackend::OnSend(Conn* c, int32_t res) {
  ReturnBytes(c);
  // A stream send of a non-empty buffer that moves nothing would be resubmitted forever;
  // TCP never does it, but a send loop must not depend on that.
  if (res == 0) res = -EIO;
  if (res < 0) {
    c->write_active = false;
    sink_->Emit(kWrite, c->id, res);
    return;
  }
  // A short send (the socket buffer filled): advance past what went and send the rest.
  c->send.Advance(static_cast<size_t>(res));
  if (!c->send.done()) {
    int r = c->closing ? -ECANCELED : SubmitSend(c);
    if (r == 0) return;
    c->write_active = false;
    sink_->Emit(kWrite, c->id, r);
    return;
  }
  c->write_active = false;
  sink_->Emit(kWrite, c->id, 0);
}

int UringBackend::Shutdown(int32_t id) {
  Conn* c = static_cast<Conn*>(FindSocket(id));
  if (c == nullptr) return -EBADF;
  return unix_socket::ShutdownWrite(c->fd);
}

// ---- close -----------------------------------------------------------------------------------

int UringBackend::Close(int32_t id, bool reset) {
  Conn* c = BeginCloseSocket(id, reset);
  if (c == nullptr) return -EBADF;
  if (!SubmitClose(c)) submit_retry_.push_back(id);
  return 0;
}

bool UringBackend::SubmitAcceptCancel(Conn* c) {
  io_uring_sqe* sqe = NewSqe(c, kOpCancel);
  if (sqe == nullptr) return false;
  sqe->opcode = IORING_OP_ASYNC_CANCEL;
  sqe->addr = UserData(kOpAccept, c->id);
  return true;
}

bool UringBackend::SubmitClose(Conn* c) {
  // Cancel everything on the fd (IORING_ASYNC_CANCEL_FD|ALL, 5.19); each op answers with
  // -ECANCELED, and Finalize() runs when the last one has. With nothing pending, a NOP gives
  // the close its completion, so that kClose, like every event, arrives from the loop.
  bool busy = c->pending > 0;
  io_uring_sqe* sqe = NewSqe(c, busy ? kOpCancel : kOpCloseNop);
  if (sqe == nullptr) return false;  // SQ full: OnPrepare tries again after submitting
  if (busy) {
    sqe->opcode = IORING_OP_ASYNC_CANCEL;
    sqe->fd = c->fd;
    sqe->cancel_flags = IORING_ASYNC_CANCEL_FD | IORING_ASYNC_CANCEL_ALL;
  } else {
    sqe->opcode = IORING_OP_NOP;
  }
  return true;
}

// ---- queries ---------------------------------------------------------------------------------

void UringBackend::GetStats(Stats* out) const {
  FillStats(out);
  FillWaitStats(out);
  out->uring.completions_dropped = ring_.fd() >= 0 ? ring_.CqDropped() : 0;
}

// ---- the loop --------------------------------------------------------------------------------

void UringBackend::OnCqe(const io_uring_cqe& cqe) {
  Op op = static_cast<Op>(cqe.user_data >> 32);
  int32_t id = static_cast<int32_t>(static_cast<uint32_t>(cqe.user_data));
  bool more = (cqe.flags & IORING_CQE_F_MORE) != 0;
  Conn* c = Get(id);
  if (c == nullptr) {
    // Cannot happen while pending counts are right; if it does, keep the pool whole.
    if (cqe.flags & IORING_CQE_F_BUFFER)
      ReleaseBuffer(static_cast<uint16_t>(cqe.flags >> IORING_CQE_BUFFER_SHIFT), cqe.res,
                    cqe.flags);
    return;
  }
  if (!more) --c->pending;
  switch (op) {
    case kOpAccept:
      OnAccept(c, cqe.res, more);
      break;
    case kOpRecv:
      OnRecv(c, cqe.res, cqe.flags, more);
      break;
    case kOpSend:
      OnSend(c, cqe.res);
      break;
    case kOpConnect:
      c->connecting = false;
      c->peer.reset();
      if (!c->closing) {
        sink_->Emit(kConnect, c->id, cqe.res);
        if (cqe.res == 0) MaybeArmRecv(c);
      }
      break;
    case kOpCancel:
    case kOpCloseNop:
      break;
  }
  FinalizeIfDone(c);
}

void UringBackend::Drain() {
  for (unsigned round = 0; round < kMaxRoundsPerWake; ++round) {
    if (ring_.CqOverflowed()) ring_.FlushOverflow();
    unsigned n = ring_.Reap(kReapBatch, [this](const io_uring_cqe& cqe) { OnCqe(cqe); });
    if (n == 0) break;
    sink_->Flush();  // JS runs here and may call back into us
    if (torn_down_) return;
    // Order matters for the write budget: first submit what JS decided (a ReadStop's cancel
    // for a socket whose replies backed up), only then give the kernel this round's buffers
    // back. Returned first, they could be filled at once from that socket's receive queue
    // (megabytes on a flooded socket) before the cancel lands, and those bytes would reach a
    // program that has just been told to stop reading them.
    ring_.Submit();
    CommitBuffers();
    RearmReaders();
    ServeStarving();
    // The re-arms are not submitted here: OnPrepare submits everything once per loop turn,
    // just before the loop polls, so one io_uring_enter covers every socket this turn
    // served (measured: fewer, fuller batches than a submit per round).
  }
  // Sockets still waiting for buffers: serve the next ones in line now. A re-armed socket
  // with nothing to read takes no buffer but does take its turn, so without this pass the
  // line could stall with buffers free and no completion left to drive it.
  if (!starving_.empty()) ServeStarving();
  // Work left after the bound, or sockets still in line: come back on the next loop turn, so
  // one flooding peer cannot keep the loop from timers and other I/O. Completions left in
  // the CQ keep the ring fd readable by themselves; the idle handle covers the rest (an
  // overflow list, the line of sockets waiting for buffers) and keeps the loop from blocking.
  bool again = ring_.CqOverflowed() || !starving_.empty();
  if (again != idle_active_) {
    idle_active_ = again;
    if (again)
      uv_idle_start(&idle_, OnIdle);
    else
      uv_idle_stop(&idle_);
  }
}

void UringBackend::OnPoll(uv_poll_t* h, int, int) { static_cast<UringBackend*>(h->data)->Drain(); }
void UringBackend::OnIdle(uv_idle_t* h) { static_cast<UringBackend*>(h->data)->Drain(); }

void UringBackend::OnPrepare(uv_prepare_t* h) {
  auto* self = static_cast<UringBackend*>(h->data);
  if (self->ring_.Unsubmitted() > 0) self->ring_.Submit();
  if (!self->submit_retry_.empty()) {
    std::vector<int32_t> ids;
    ids.swap(self->submit_retry_);
    for (int32_t id : ids) {
      Conn* c = self->Get(id);
      if (c == nullptr) continue;
      bool ok = true;
      if (c->closing)
        ok = self->SubmitClose(c);
      else if (c->accept_paused && c->accept_armed)
        ok = self->SubmitAcceptCancel(c);
      if (!ok) self->submit_retry_.push_back(id);
    }
    self->ring_.Submit();
  }
}

// ---- teardown --------------------------------------------------------------------------------

void UringBackend::Teardown(void (*done)(void*), void* arg) {
  torn_down_ = true;
  // The poll watches the ring's fd: stop it before the ring (and that fd) goes.
  if (handles_started_) {
    uv_poll_stop(&poll_);
    uv_idle_stop(&idle_);
  }
  // Cancel every request and wait for the answers before the ring goes (up to 2 s). Closing
  // the ring alone cancels asynchronously, in the kernel's exit work: a multishot accept may
  // complete meanwhile, and the socket it made would be open with nobody to close it (a
  // worker terminated under a connect flood left peers in CLOSE-WAIT), and a send could
  // still read JS memory about to be freed.
  if (ring_.fd() >= 0) {
    size_t outstanding = 0;
    conns_.ForEach([&](ConnBase* b) {
      Conn* c = static_cast<Conn*>(b);
      if (c->listener) shutdown(c->fd, SHUT_RDWR);  // ends the multishot accept
      if (c->pending > 0 && !c->closing) {
        c->closing = true;
        while (!SubmitClose(c) && ring_.Submit() >= 0) {
        }
      }
      outstanding += c->pending;
    });
    for (int i = 0; outstanding > 0 && i < 200; ++i) {
      if (ring_.CqOverflowed()) ring_.FlushOverflow();
      if (!ring_.CqReady()) {
        int r = ring_.SubmitAndWait(10);
        if (r < 0 && r != -ETIME && r != -EINTR && r != -EBUSY) break;
      }
      ring_.Reap(kReapBatch, [&](const io_uring_cqe& cqe) {
        Op op = static_cast<Op>(cqe.user_data >> 32);
        Conn* c = Get(static_cast<int32_t>(static_cast<uint32_t>(cqe.user_data)));
        if (op == kOpAccept && cqe.res >= 0) close(cqe.res);  // never handed to JS
        if (c != nullptr && !(cqe.flags & IORING_CQE_F_MORE) && c->pending > 0) {
          --c->pending;
          --outstanding;
        }
      });
    }
  }
  if (br_registered_) {
    io_uring_buf_reg reg;
    memset(&reg, 0, sizeof reg);
    reg.bgid = kBufGroup;
    ring_.Register(IORING_UNREGISTER_PBUF_RING, &reg, 1);
    br_registered_ = false;
  }
  ring_.Destroy();
  FreeAll();  // closes every fd
  CloseLoopHandles({reinterpret_cast<uv_handle_t*>(&poll_), reinterpret_cast<uv_handle_t*>(&idle_),
                    reinterpret_cast<uv_handle_t*>(&prepare_)},
                   done, arg);
}

}  // namespace

// IORING_RECV_MULTISHOT (6.0) is a flag inside an SQE, which IORING_REGISTER_PROBE cannot
// report: one real receive on a socket pair, into the probe's one provided buffer, says
// whether the kernel takes it (before 6.0 the receive fails with -EINVAL). Nothing can reach
// the buffer afterwards: both ends are closed before the caller unmaps it.
int ProbeMultishotRecv(uring::Ring& ring, io_uring_buf* br, uint8_t* buf, uint32_t len) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) return -errno;
  br[0].addr = reinterpret_cast<uint64_t>(buf);
  br[0].len = len;
  br[0].bid = 0;
  // The ring's tail shares entry 0 with a descriptor's resv field (see CommitBuffers()).
  __atomic_store_n(&br[0].resv, static_cast<uint16_t>(1), __ATOMIC_RELEASE);
  int r = -EIO;
  const uint8_t byte = 1;
  io_uring_sqe* sqe = ring.GetSqe();
  if (sqe != nullptr && write(sv[1], &byte, 1) == 1) {
    sqe->opcode = IORING_OP_RECV;
    sqe->fd = sv[0];
    sqe->flags = IOSQE_BUFFER_SELECT;
    sqe->buf_group = kBufGroup;
    sqe->ioprio = IORING_RECV_MULTISHOT;
    r = ring.SubmitAndWait(1000);
    if (r == 0) {
      int res = -EIO;
      ring.Reap(1, [&res](const io_uring_cqe& cqe) { res = cqe.res; });
      r = res == 1 ? 0 : (res < 0 ? res : -EIO);
    }
  }
  close(sv[0]);
  close(sv[1]);
  return r;
}

// Whether the backend can run here, tried rather than read from the kernel version (a sandbox
// may allow io_uring_setup and refuse the rest; a distribution kernel may lack an opcode or
// have a feature backported): a ring with the set-up flags Init() uses, every opcode the
// backend submits (IORING_REGISTER_PROBE, 5.6), a provided-buffer ring (5.19: multishot
// accept and cancel by fd came with it), and a multishot receive (6.0), the newest thing the
// backend needs.
int ProbeUring() {
  uring::Ring ring;
  int r = ring.Init(4, 8);
  if (r < 0) return r;

  constexpr unsigned kOps = 256;
  std::vector<uint8_t> mem(sizeof(io_uring_probe) + kOps * sizeof(io_uring_probe_op), 0);
  auto* probe = reinterpret_cast<io_uring_probe*>(mem.data());
  r = ring.Register(IORING_REGISTER_PROBE, probe, kOps);
  if (r < 0) return r;
  for (unsigned op : {IORING_OP_NOP, IORING_OP_ACCEPT, IORING_OP_CONNECT, IORING_OP_RECV,
                      IORING_OP_SENDMSG, IORING_OP_POLL_ADD, IORING_OP_ASYNC_CANCEL}) {
    if (op > probe->last_op || !(probe->ops[op].flags & IO_URING_OP_SUPPORTED)) return -ENOSYS;
  }

  // The smallest provided-buffer ring (one entry, one page), registered and dropped.
  long page = sysconf(_SC_PAGESIZE);
  void* ring_mem = mmap(nullptr, static_cast<size_t>(page), PROT_READ | PROT_WRITE,
                        MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
  if (ring_mem == MAP_FAILED) return -errno;
  io_uring_buf_reg reg;
  memset(&reg, 0, sizeof reg);
  reg.ring_addr = reinterpret_cast<uint64_t>(ring_mem);
  reg.ring_entries = 1;
  reg.bgid = kBufGroup;
  r = ring.Register(IORING_REGISTER_PBUF_RING, &reg, 1);
  if (r == 0) {
    // The buffer itself: the second half of the same page.
    auto* half = static_cast<uint8_t*>(ring_mem) + page / 2;
    r = ProbeMultishotRecv(ring, static_cast<io_uring_buf*>(ring_mem), half,
                           static_cast<uint32_t>(page / 2));
    ring.Destroy();  // cancels the receive still armed, before its memory goes
  }
  munmap(ring_mem, static_cast<size_t>(page));
  return r < 0 ? r : 0;
}

std::unique_ptr<Backend> CreateUringBackend(uv_loop_s* loop, EventSink* sink, const Config& cfg,
                                            int* err) {
  std::unique_ptr<UringBackend> b(new UringBackend(loop, sink, cfg));
  *err = b->Init();
  if (*err != 0) return nullptr;
  return b;
}

}  // namespace ov
