// The Linux readiness backend, for kernels or sandboxes where io_uring cannot run (older than
// 6.0, blocked by seccomp or kernel.io_uring_disabled). It implements the same seam
// (core/backend.h) of operations and completions: an operation waits until its socket is
// ready, then the backend does the system call and reports the result as a completion.
//
// One epoll instance per Node environment, watched by a uv_poll on Node's own loop, as the
// io_uring backend watches its ring fd: the epoll fd polls readable while its ready list is
// not empty (epoll(7), "the epoll file descriptor itself ... can be monitored"), and Drain()
// then takes events with epoll_wait(timeout 0).
//
// Edge-triggered. Every socket is registered once, when adopted, for EPOLLIN | EPOLLOUT |
// EPOLLRDHUP | EPOLLET, and never modified: ReadStop(), ReadStart() and a write left waiting
// for room cost no epoll_ctl(2). With level triggering, a socket JS stopped reading (the write
// budgets stop and resume reads constantly) would have to drop EPOLLIN with an epoll_ctl each
// time, or wake the loop over and over; and EPOLLOUT would have to be added and removed around
// every write the kernel could not take whole. The price of edges is that the backend itself
// must remember what the kernel said: a socket stays `readable` until a read returns EAGAIN
// or less than it asked for (epoll(7): for stream sockets a short read means the receive
// queue is exhausted), except when the edge carried EPOLLRDHUP/EPOLLHUP/EPOLLERR, which stay
// true until the read that reports them. Readable sockets wait in a queue of our own; one with
// more to read than one read takes is served again on the next loop turn (see rearm_).
//
// Reads: only while a socket is readable and ReadStart()ed, so an idle socket holds nothing
// of the pool (as IOCP's zero-byte read). A read goes straight into the batch JS will get
// (EventSink::DataRoom/CommitData): no copy out of a pool buffer. The receive pool still
// bounds it: its buffers are credits, one per buffer's worth of bytes a read took, held from
// the read until its batch has reached JS (the same span in which an io_uring buffer is
// "in use"). When the credits run out, readable sockets wait in FIFO order for the next turn
// (sockets_waiting, buffer_waits), exactly as io_uring's starved sockets do; so one batch
// never holds more received bytes than the pool's size, and the budgets of lib/budget.ts see
// the same bounds per read (one pool buffer with large reads off, MaxRead() with them on).
// The pool's slab itself is allocated (BufferPool owns the shape) but never touched here:
// untouched pages cost no resident memory.
//
// Writes: sendmsg(MSG_DONTWAIT | MSG_NOSIGNAL) at once; what the kernel leaves waits for the
// next EPOLLOUT edge (the kernel sets SOCK_NOSPACE on the short send, so space freed later
// wakes us), and one kWrite answers the Write() when the last byte has gone.
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>
#include <uv.h>

#include <cerrno>
#include <deque>
#include <memory>
#include <vector>

#include "../net/sockaddr.h"
#include "../unix/send_cursor.h"
#include "../unix/socket.h"
#include "../unix/unix_backend.h"

namespace ov {
namespace {

constexpr int kMaxEvents = 256;  // epoll events taken per round (one JS call per round)
constexpr unsigned kMaxRoundsPerWake = 64;
// Connections accepted from one listener per round; a listener with more waiting is served
// again next round, after the batch has reached JS (so maxConnections can pause it).
constexpr int kAcceptsPerRound = 64;

// ConnBase (core/backend_base.h) holds what core reads and writes: the id, closing, want_read,
// eof, connecting, accept_paused, the accept retry, write_active and the bytes lent for the
// send. Its `pending` stays 0: nothing runs in the kernel on a socket's behalf here.
struct Conn : ConnBase {
  int fd = -1;
  // Edge state (see the top of the file): what the kernel last told us and we have not yet
  // consumed. readable: a read (or, for a listener, an accept) may find something.
  bool readable = false;
  bool hup = false;  // the edge carried EPOLLRDHUP/EPOLLHUP/EPOLLERR: read until it is reported
  bool connect_done = false;   // connect() finished synchronously: kConnect from the loop
  int connect_result = 0;
  bool queued = false;          // in ready_ or rearm_
  bool waiting_buffer = false;  // in starving_
  bool shutdown_pending = false;  // Shutdown() waits for the write in flight
  SendCursor send;  // where the one Write() waiting for room stands
};

class EpollBackend final : public UnixBackend<Conn> {
 public:
  EpollBackend(uv_loop_t* loop, EventSink* sink, const Config& cfg)
      : UnixBackend(loop, sink, cfg) {}
  ~EpollBackend() override;

  int Init();
  const char* Name() const override { return "epoll"; }
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
  Conn* Adopt(int fd, bool listener, int* err);
  // The run queue.
  void Kick(Conn* c);
  void Requeue(Conn* c);
  void WakeSoon();
  unsigned ServeQueued();
  void NextTurn();
  void Serve(Conn* c);
  void OnEvent(Conn* c, uint32_t events);
  // Accepting.
  void AcceptSome(Conn* c);
  void RetryAccept(ConnBase* l) override;
  void AcceptRetriesDone() override {}  // RetryAccept() has queued each listener (Kick)
  // Connecting.
  // maybe_readable: whether bytes may have arrived unseen (a connect done at once: the edge
  // that said so was taken while connecting). The epoll edge that reports a connect says
  // itself whether the socket is readable.
  void FinishConnect(Conn* c, int result, bool maybe_readable);
  // Reading.
  void ReadOnce(Conn* c);
  bool TakeCredits(Conn* c, size_t* len);
  void ReturnCredits();
  // Writing.
  int SendSome(Conn* c);
  void ContinueWrite(Conn* c);
  void EndWrite(Conn* c, int result);
  // Closing.
  void FinishClose(Conn* c);

  void Drain();
  static void OnPoll(uv_poll_t* h, int status, int events);
  static void OnIdle(uv_idle_t* h);

  int epfd_ = -1;
  uv_poll_t poll_{};
  uv_idle_t idle_{};  // runs Drain() each loop turn while the run queue holds work
  bool idle_active_ = false;
  bool in_drain_ = false;

  uint32_t credits_taken_ = 0;  // pool buffers' worth read into the batch being gathered

  // Work for the loop: sockets to read, listeners to accept on, closes and synchronous
  // connects to report. ready_ is served in the round that finds it. rearm_ holds the
  // handles served that still have more, and starving_ the readable sockets that found no
  // pool credit left (FIFO); both join ready_ on the next loop turn (NextTurn), as io_uring
  // re-arms a receive once per turn: a socket gets one read per turn however much it has, so
  // a flooding peer cannot keep the loop from timers and other I/O, and JS has seen each
  // batch (and could ReadStop()) before that socket's next read.
  std::deque<int32_t> ready_;
  std::vector<int32_t> rearm_;
  // (starving_, the FIFO of readable sockets that found no pool credit left: UnixBackend.)
};

EpollBackend::~EpollBackend() {
  // Teardown() normally ran; this is the path for a failed Init().
  if (epfd_ >= 0) close(epfd_);
  FreeAll();
}

int EpollBackend::Init() {
  if (cfg_.recv_buffer_count == 0 || cfg_.recv_buffer_size == 0) return -EINVAL;
  int r = pool_.Init(cfg_.recv_buffer_size, cfg_.recv_buffer_count);
  if (r < 0) return r;
  epfd_ = epoll_create1(EPOLL_CLOEXEC);
  if (epfd_ < 0) return -errno;

  uv_poll_init(loop_, &poll_, epfd_);
  uv_idle_init(loop_, &idle_);
  poll_.data = idle_.data = this;
  StartLoopHandles();
  uv_poll_start(&poll_, UV_READABLE, OnPoll);
  // Only open, referenced sockets keep the loop alive: they hold the poll's reference.
  uv_unref(reinterpret_cast<uv_handle_t*>(&poll_));
  uv_unref(reinterpret_cast<uv_handle_t*>(&idle_));
  SetRefAnchor(reinterpret_cast<uv_handle_t*>(&poll_));
  return 0;
}

// ---- handles ---------------------------------------------------------------------------------

// Takes ownership of fd: a registered, referenced Conn, or nullptr (fd closed, *err set) when
// the handle table is full or epoll refuses the fd (ENOMEM, or ENOSPC past
// /proc/sys/fs/epoll/max_user_watches).
Conn* EpollBackend::Adopt(int fd, bool listener, int* err) {
  Conn* c = new Conn;
  c->fd = fd;
  if (!Register(c, listener)) {
    Free(c);
    *err = -ENFILE;
    return nullptr;
  }
  epoll_event ev{};
  // A listener only ever becomes readable; EPOLLRDHUP means nothing for it.
  ev.events = listener ? (EPOLLIN | EPOLLET) : (EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET);
  // The id, not the fd: an event taken before a close cannot reach the handle that reuses
  // the fd number, and a stale id resolves to nothing (handle_table.h).
  ev.data.u64 = static_cast<uint32_t>(c->id);
  if (epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
    *err = -errno;
    Unregister(c);
    Free(c);
    return nullptr;
  }
  return c;
}

// ---- the run queue ---------------------------------------------------------------------------

// Queues a handle for the loop. Called from JS's methods too: the work (and every event it
// makes) happens in Drain(), never synchronously.
void EpollBackend::Kick(Conn* c) {
  if (c->queued || c->waiting_buffer) return;
  c->queued = true;
  ready_.push_back(c->id);
  WakeSoon();
}

// A handle served this round that has more to do: served again on the next loop turn.
void EpollBackend::Requeue(Conn* c) {
  if (c->queued || c->waiting_buffer) return;
  c->queued = true;
  rearm_.push_back(c->id);
}

// Makes the loop run Drain() on its next turn without blocking (nothing on the epoll fd may
// signal queued work). Inside Drain() the end of the pass decides.
void EpollBackend::WakeSoon() {
  if (in_drain_ || idle_active_ || !handles_started_ || torn_down_) return;
  idle_active_ = true;
  uv_idle_start(&idle_, OnIdle);
}

// A new loop turn (OnIdle, which runs while any of this is pending): the sockets that waited
// for credits go first, in the order they began waiting, then those with more to read, then
// what was queued since the last turn.
void EpollBackend::NextTurn() {
  std::deque<int32_t> turn;
  for (int32_t id : starving_) {
    Conn* c = Get(id);
    if (c == nullptr || !c->waiting_buffer) continue;
    c->waiting_buffer = false;
    c->queued = true;
    turn.push_back(id);
  }
  starving_.clear();
  turn.insert(turn.end(), rearm_.begin(), rearm_.end());
  rearm_.clear();
  turn.insert(turn.end(), ready_.begin(), ready_.end());
  ready_.swap(turn);
}

// One round's work: what was queued before the round started. Returns how many handles
// were served.
unsigned EpollBackend::ServeQueued() {
  unsigned served = 0;
  for (size_t n = ready_.size(); n > 0 && !ready_.empty(); --n) {
    int32_t id = ready_.front();
    ready_.pop_front();
    Conn* c = Get(id);
    if (c == nullptr) continue;
    c->queued = false;
    ++served;
    Serve(c);
  }
  return served;
}

void EpollBackend::Serve(Conn* c) {
  if (c->closing) {
    FinishClose(c);
    return;
  }
  if (c->connect_done) {
    c->connect_done = false;
    FinishConnect(c, c->connect_result, /*maybe_readable=*/true);
    return;
  }
  if (c->listener) {
    if (c->readable && !c->accept_paused && !c->retry.waiting) AcceptSome(c);
    return;
  }
  if (c->want_read && c->readable && !c->eof && !c->connecting) ReadOnce(c);
}

void EpollBackend::OnEvent(Conn* c, uint32_t events) {
  if (c->closing) {
    Kick(c);
    return;
  }
  if (c->listener) {
    c->readable = true;
    Kick(c);
    return;
  }
  if (c->connecting && c->connect_done) {
    // Finished synchronously: Serve() reports it. Keep what the edge said about reading
    // (FinishConnect() marks the socket readable), since this edge is spent.
    if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) c->hup = true;
    return;
  }
  if (c->connecting) {
    // A non-blocking connect has finished when the socket turns writable, or failed with
    // EPOLLERR/EPOLLHUP (connect(2), EINPROGRESS). A failed TCP connect always polls
    // EPOLLERR, with the error in SO_ERROR (tcp_poll: sk_err); writable without it is a
    // connect that succeeded, which needs no getsockopt (a system call per connection,
    // which a relay makes for every client).
    if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) return;
    int so_error = 0;
    if (events & (EPOLLERR | EPOLLHUP)) {
      socklen_t len = sizeof so_error;
      if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &so_error, &len) != 0) so_error = errno;
    }
    // What arrived before this edge is in it: the socket is readable only if it says so,
    // so a fresh connection's first ReadStart() waits for data instead of a read that finds
    // nothing (EAGAIN).
    FinishConnect(c, -so_error, /*maybe_readable=*/false);
    if (so_error != 0) return;
  }
  if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
    c->readable = true;
    if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) c->hup = true;
    if (c->want_read && !c->eof) Kick(c);
  }
  // A write waiting for room: try the rest now. An error (EPOLLERR) surfaces from sendmsg.
  if ((events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) && c->write_active) ContinueWrite(c);
}

// ---- listen / accept -------------------------------------------------------------------------

int32_t EpollBackend::Listen(const SockAddr& addr, const ListenOptions& opts) {
  int fd = unix_socket::OpenListener(addr, opts, /*nonblocking=*/true);
  if (fd < 0) return fd;
  int err = 0;
  Conn* c = Adopt(fd, /*listener=*/true, &err);
  if (c == nullptr) return err;
  // Connections already in the backlog were reported by EPOLL_CTL_ADD itself (it polls the
  // fd once and queues an event when ready), so nothing to do here.
  return c->id;
}

void EpollBackend::AcceptSome(Conn* c) {
  for (int i = 0; i < kAcceptsPerRound; ++i) {
    int fd = accept4(c->fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd >= 0) {
      c->retry.backoff_ms = 0;
      int err = 0;
      Conn* s = Adopt(fd, /*listener=*/false, &err);
      sink_->Emit(kAccept, c->id, s != nullptr ? s->id : err);
      continue;
    }
    int err = -errno;
    if (err == -EINTR) continue;
    if (err == -EAGAIN || err == -EWOULDBLOCK) {
      c->readable = false;  // the backlog is empty: the next connection is a new edge
      return;
    }
    // Still `readable`: the connection that failed (or the ones behind it) is still in the
    // backlog, and with edges nothing would tell us again; the retry timer does.
    NoteAcceptError();
    sink_->Emit(kAccept, c->id, err);
    QueueAcceptRetry(c, !AcceptFailureIsPerConnection(err));
    return;
  }
  Requeue(c);  // more may be waiting: next round, after JS has seen these
}

// The retry timer's turn for a listener (core/backend_base.h): try again whatever the edge
// state, since the failed connection may still be in the backlog.
void EpollBackend::RetryAccept(ConnBase* l) {
  Conn* c = static_cast<Conn*>(l);
  c->readable = true;
  if (!c->accept_paused) Kick(c);
}

int EpollBackend::AcceptPause(int32_t id, bool pause) {
  Conn* c = static_cast<Conn*>(FindListener(id));
  if (c == nullptr) return -EBADF;
  c->accept_paused = pause;
  // Resuming: connections that came while paused made their edge then; serve them now.
  if (!pause && c->readable && !c->retry.waiting) Kick(c);
  return 0;
}

// ---- connect ---------------------------------------------------------------------------------

int32_t EpollBackend::Connect(const SockAddr& addr, const SockAddr* local) {
  int fd = unix_socket::OpenForConnect(addr, local, /*nonblocking=*/true);
  if (fd < 0) return fd;
  sockaddr_storage ss;
  socklen_t len = net::ToSockaddr(addr, &ss);
  int r;
  do {
    r = connect(fd, reinterpret_cast<sockaddr*>(&ss), len) == 0 ? 0 : -errno;
  } while (r == -EINTR);
  // Registered after connect(): an unconnected TCP socket polls as EPOLLHUP (tcp_poll on
  // TCP_CLOSE), which would look like a failed connect.
  int err = 0;
  Conn* c = Adopt(fd, /*listener=*/false, &err);
  if (c == nullptr) return err;
  if (r == -EINPROGRESS) {
    c->connecting = true;
    return c->id;
  }
  // Done at once (connected, or refused: EADDRNOTAVAIL when the ports are used up, ...):
  // reported from the loop like every completion, as io_uring reports its connect.
  c->connecting = true;  // until kConnect: no reads, no edge taken as a connect result
  c->connect_done = true;
  c->connect_result = r;
  Kick(c);
  return c->id;
}

void EpollBackend::FinishConnect(Conn* c, int result, bool maybe_readable) {
  c->connecting = false;
  sink_->Emit(kConnect, c->id, result);
  if (result == 0 && maybe_readable) {
    // Whatever arrived before the connect was reported: the edge may already be spent.
    c->readable = true;
    if (c->want_read) Requeue(c);
  }
}

// ---- reading ---------------------------------------------------------------------------------

int EpollBackend::ReadStart(int32_t id) {
  Conn* c = static_cast<Conn*>(FindSocket(id));
  if (c == nullptr) return -EBADF;
  c->want_read = true;
  if (c->readable && !c->eof && !c->connecting) Kick(c);
  return 0;
}

int EpollBackend::ReadStop(int32_t id) {
  Conn* c = static_cast<Conn*>(FindSocket(id));
  if (c == nullptr) return -EBADF;
  // Nothing to cancel: reads happen only in Drain(), and each one's bytes are reported. The
  // socket keeps its edge state (readable) for the next ReadStart().
  c->want_read = false;
  return 0;
}

// How much the next read may take, in pool credits: one buffer's worth with large reads off
// (or while this socket's replies back up: its reads are about to stop, lib/budget.ts), up to
// MaxRead() with them on, never more than the credits left. False when none is left.
bool EpollBackend::TakeCredits(Conn* c, size_t* len) {
  uint32_t left = pool_.count() - credits_taken_;
  if (left == 0) return false;
  size_t want = pool_.buffer_size();
  if (large_reads_ && !c->write_active) {
    want = ReadSize();
    size_t cap = static_cast<size_t>(left) * pool_.buffer_size();
    if (want > cap) want = cap;
  }
  *len = want;
  return true;
}

void EpollBackend::ReadOnce(Conn* c) {
  size_t len = 0;
  if (!TakeCredits(c, &len)) {
    // The pool's worth has been read into this batch: wait, in line, for the next turn's.
    ++buffer_waits_;
    c->waiting_buffer = true;
    starving_.push_back(c->id);
    return;
  }
  uint8_t* room = sink_->DataRoom(c->id, len);
  ssize_t n;
  do {
    n = recv(c->fd, room, len, 0);  // non-blocking socket (accept4/socket SOCK_NONBLOCK)
  } while (n < 0 && errno == EINTR);
  if (n > 0) {
    sink_->CommitData(c->id, static_cast<size_t>(n));
    // Occupancy as io_uring counts it: each buffer's worth is "in use" until the batch holding
    // it has been handed to JS (ReturnCredits after Flush).
    uint32_t bufs = static_cast<uint32_t>((static_cast<size_t>(n) + pool_.buffer_size() - 1) /
                                          pool_.buffer_size());
    credits_taken_ += bufs;
    for (uint32_t i = 0; i < bufs; ++i) pool_.NoteFilled();
    // A short read drained the receive queue (epoll(7)); the next bytes make a new edge. Not
    // when the edge said FIN or an error: that is still to be read, and no new edge comes.
    if (static_cast<size_t>(n) < len && !c->hup)
      c->readable = false;
    else
      Requeue(c);
    return;
  }
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
    c->readable = false;
    return;
  }
  c->readable = false;
  c->eof = true;
  if (n == 0)
    sink_->Emit(kEof, c->id, 0);
  else
    sink_->Emit(kReadError, c->id, -errno);
}

void EpollBackend::ReturnCredits() {
  for (; credits_taken_ > 0; --credits_taken_) pool_.NoteRecycled();
}

// ---- writing ---------------------------------------------------------------------------------

int EpollBackend::Write(int32_t id, const Slice* slices, size_t count) {
  Conn* c = Find(id);
  int err = CheckWrite(c, slices, count);
  if (err != 0) return err;
  c->send.Reset(slices, count);
  // Try the send now, as libuv's uv_write does: a socket with room in its send buffer (the
  // common case) takes every byte and the write is done, with no event.
  int r = SendSome(c);
  if (r < 0) return r;
  if (c->send.done()) return 1;
  // The kernel is full: the rest waits for the EPOLLOUT edge (always registered, see top).
  c->write_active = true;
  LendBytes(c, c->send.Remaining());
  return 0;
}

// sendmsg until the kernel is full or every byte is gone. 0 or -errno.
int EpollBackend::SendSome(Conn* c) {
  while (!c->send.done()) {
    msghdr msg{};
    size_t asked;
    msg.msg_iov = c->send.Next(&msg.msg_iovlen, &asked);
    ssize_t sent = sendmsg(c->fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (sent < 0 && errno == EINTR) continue;
    if (sent < 0) return (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : -errno;
    c->send.Advance(static_cast<size_t>(sent));
    // Short: the send buffer is full (only IOV_MAX limited a full one; then go on).
    if (static_cast<size_t>(sent) < asked) return 0;
  }
  return 0;
}

void EpollBackend::ContinueWrite(Conn* c) {
  int r = SendSome(c);
  if (r < 0) {
    EndWrite(c, r);
    return;
  }
  if (c->send.done()) {
    EndWrite(c, 0);
    return;
  }
  // Only what is left stays lent (less than before, so the peak stands).
  ReturnBytes(c);
  LendBytes(c, c->send.Remaining());
}

// Answers the Write() in flight with its one kWrite, then runs a Shutdown() that waited for it.
void EpollBackend::EndWrite(Conn* c, int result) {
  ReturnBytes(c);
  c->write_active = false;
  sink_->Emit(kWrite, c->id, result);
  if (c->shutdown_pending) {
    c->shutdown_pending = false;
    if (result == 0) unix_socket::ShutdownWrite(c->fd);
  }
}

int EpollBackend::Shutdown(int32_t id) {
  Conn* c = static_cast<Conn*>(FindSocket(id));
  if (c == nullptr) return -EBADF;
  // After the queued write: a FIN now would cut it off.
  if (c->write_active) {
    c->shutdown_pending = true;
    return 0;
  }
  return unix_socket::ShutdownWrite(c->fd);
}

// ---- close -----------------------------------------------------------------------------------

int EpollBackend::Close(int32_t id, bool reset) {
  Conn* c = BeginCloseSocket(id, reset);
  if (c == nullptr) return -EBADF;
  // kClose comes from the loop, as every event does. A socket waiting for pool credits is
  // served from starving_ instead (Kick skips it), on the next turn.
  Kick(c);
  if (c->waiting_buffer) WakeSoon();
  return 0;
}

// The loop's half of Close(): the write in flight gets its kWrite first, then kClose. No
// operation waits in the kernel (pending stays 0), so the handle is finalized at once.
void EpollBackend::FinishClose(Conn* c) {
  if (c->write_active) EndWrite(c, -ECANCELED);
  Finalize(c);
}

// ---- queries ---------------------------------------------------------------------------------

void EpollBackend::GetStats(Stats* out) const {
  FillStats(out);
  FillWaitStats(out);
}

// ---- the loop --------------------------------------------------------------------------------

void EpollBackend::Drain() {
  in_drain_ = true;
  epoll_event events[kMaxEvents];
  for (unsigned round = 0; round < kMaxRoundsPerWake; ++round) {
    int n;
    do {
      n = epoll_wait(epfd_, events, kMaxEvents, 0);
    } while (n < 0 && errno == EINTR);
    for (int i = 0; i < n; ++i) {
      Conn* c = Get(static_cast<int32_t>(static_cast<uint32_t>(events[i].data.u64)));
      if (c != nullptr) OnEvent(c, events[i].events);
    }
    unsigned served = ServeQueued();
    if (n <= 0 && served == 0) break;
    sink_->Flush();  // JS runs here and may call back into us
    if (torn_down_) return;
    // The batch is JS's now: its credits come back. The sockets that had more wait for the
    // next turn (NextTurn); later rounds of this wake serve only new events and what JS
    // asked for (a ReadStart, a Close).
    ReturnCredits();
  }
  in_drain_ = false;
  // Work for the next turn, or left after the bound, with nothing on the epoll fd to say so
  // (edges are spent once taken): the idle handle runs Drain() on the next loop turn and
  // keeps the loop from blocking meanwhile. Events still in the epoll set keep its fd
  // readable by themselves.
  bool again = !ready_.empty() || !rearm_.empty() || !starving_.empty();
  if (again != idle_active_) {
    idle_active_ = again;
    if (again)
      uv_idle_start(&idle_, OnIdle);
    else
      uv_idle_stop(&idle_);
  }
}

void EpollBackend::OnPoll(uv_poll_t* h, int, int) { static_cast<EpollBackend*>(h->data)->Drain(); }
void EpollBackend::OnIdle(uv_idle_t* h) {
  auto* self = static_cast<EpollBackend*>(h->data);
  self->NextTurn();
  self->Drain();
}

// ---- teardown --------------------------------------------------------------------------------

void EpollBackend::Teardown(void (*done)(void*), void* arg) {
  torn_down_ = true;
  // The poll watches the epoll fd: stop it before that fd goes. Nothing of ours runs in the
  // kernel on a socket's behalf (unlike io_uring), so closing the fds is all it takes;
  // writes waiting for room simply never touch JS memory again.
  if (handles_started_) {
    uv_poll_stop(&poll_);
    uv_idle_stop(&idle_);
  }
  FreeAll();  // closes every fd
  if (epfd_ >= 0) close(epfd_);
  epfd_ = -1;
  CloseLoopHandles({reinterpret_cast<uv_handle_t*>(&poll_), reinterpret_cast<uv_handle_t*>(&idle_)},
                   done, arg);
}

}  // namespace

int ProbeEpoll() {
  int fd = epoll_create1(EPOLL_CLOEXEC);
  if (fd < 0) return -errno;
  close(fd);
  return 0;
}

std::unique_ptr<Backend> CreateEpollBackend(uv_loop_s* loop, EventSink* sink, const Config& cfg,
                                            int* err) {
  std::unique_ptr<EpollBackend> b(new EpollBackend(loop, sink, cfg));
  *err = b->Init();
  if (*err != 0) return nullptr;
  return b;
}

}  // namespace ov
