// The Windows backend: overlapped sockets on one I/O completion port per Node environment.
//
// A poller thread waits in GetQueuedCompletionStatusEx (up to 128 entries at a time, as
// libuv) and hands the entries to the loop thread through a uv_async; the loop thread
// processes a whole batch and calls sink->Flush() once, so JS sees one call per batch.
//
//  * Accept: AcceptEx with several accepts pre-posted per listener (configure().acceptsPosted),
//    then SO_UPDATE_ACCEPT_CONTEXT. A failure (WSAENOBUFS, WSAEMFILE...) backs off and re-posts:
//    the listener never stops accepting for good (libuv's Windows path stops listening).
//  * Connect: bind, then ConnectEx, then SO_UPDATE_CONNECT_CONTEXT.
//  * Receive: a zero-byte WSARecv is the idle state, so an idle socket locks no buffer. When
//    it completes, the bytes are read with a non-blocking WSARecv straight into the batch
//    handed to JS (no pool buffer, one copy). Metered mode reads once per completion, up to
//    64 KiB (JS sees it before more is read); 'multishot' mode reads up to 32 times, like
//    libuv. The pool's figures stay at zero here.
//  * Send: a WSASend that completes at once, in full, finishes the write with no event.
//  * Send: one WSASend in flight per socket, gathering the queued chunks into a WSABUF array;
//    the bytes it locks are counted in bytes_in_flight.
//  * Close: CancelIoEx + closesocket() abort the socket's pending operations; the Conn, which
//    holds their OVERLAPPED structures, lives until the last aborted completion has come back,
//    so no completion can touch freed memory.
//
//  * Synchronous successes: where the base provider is an IFS one (as libuv checks; a
//    non-IFS LSP may not honour it), sockets are set to FILE_SKIP_COMPLETION_PORT_ON_SUCCESS,
//    so an operation that succeeds at once queues no packet. It is completed inline instead,
//    but never inside the call that started it (a call from JS, or the processing of another
//    completion): it joins a local queue that the next loop iteration processes (a uv_idle
//    keeps the loop from blocking meanwhile), the way libuv defers its own synchronous
//    completions. So JS still sees each batch before more is read for it.
#include <winsock2.h>
#include <mswsock.h>
#include <ws2tcpip.h>
#include <mstcpip.h>
#include <windows.h>
#include <uv.h>

#include <cstring>
#include <deque>
#include <mutex>
#include <vector>

#include "../core/backend_base.h"
#include "../core/trace.h"
#include "../net/sockaddr.h"
#include "error.h"

namespace ov {
namespace {

using iocp::TranslateError;

constexpr ULONG kDequeueBatch = 128;
constexpr ULONG_PTR kStopKey = 1;
constexpr int kAddrLen = sizeof(sockaddr_in6) + 16;

enum OpKind { kOpAccept, kOpConnect, kOpRead, kOpSend };

struct Conn;

struct Op {
  OVERLAPPED ov;  // first: an OVERLAPPED* from the port is an Op*
  OpKind kind;
  Conn* conn = nullptr;
  bool active = false;
  SOCKET accept_socket = INVALID_SOCKET;
  char addrbuf[2 * kAddrLen];
};

// pending (ConnBase) counts overlapped operations not yet completed, inline ones included.
struct Conn : ConnBase {
  SOCKET s = INVALID_SOCKET;
  int family = 4;
  bool skip = false;  // FILE_SKIP_COMPLETION_PORT_ON_SUCCESS is set: complete successes inline
  Op read_op;
  Op send_op;
  Op connect_op;
  std::vector<WSABUF> bufs;
  // listener
  std::vector<Op*> accepts;
  ~Conn() {
    // An accept socket still here was never handed over (teardown): it may even hold a
    // connection the kernel completed.
    for (Op* op : accepts) {
      if (op->accept_socket != INVALID_SOCKET) closesocket(op->accept_socket);
      delete op;
    }
  }
};

int LastError() { return TranslateError(WSAGetLastError()); }

using net::FromSockaddr;
using net::ToSockaddr;

class IocpBackend final : public BackendBase {
 public:
  IocpBackend(uv_loop_t* loop, EventSink* sink, const Config& cfg)
      : BackendBase(loop, sink, cfg) {}
  ~IocpBackend() override;

  int Init();
  const char* Name() const override { return "iocp"; }
  int32_t Listen(const SockAddr& addr, const ListenOptions& opts) override;
  int32_t Connect(const SockAddr& addr, const SockAddr* local) override;
  int AcceptPause(int32_t id, bool pause) override;
  int ReadStart(int32_t id) override;
  int ReadStop(int32_t id) override;
  int Write(int32_t id, const Slice* slices, size_t count) override;
  int Shutdown(int32_t id) override;
  int Close(int32_t id, bool reset) override;
  int SetNoDelay(int32_t id, bool on) override;
  int SetKeepAlive(int32_t id, bool on, unsigned delay) override;
  int GetAddress(int32_t id, bool peer, SockAddr* out) override;
  void GetStats(Stats* out) const override;
  void Teardown(void (*done)(void*), void* arg) override;

 private:
  Conn* Find(int32_t id) const { return static_cast<Conn*>(FindOpen(id)); }
  Conn* Get(int32_t id) const { return static_cast<Conn*>(conns_.Get(id)); }
  void Free(ConnBase* c) override { delete static_cast<Conn*>(c); }
  void RetryAccept(ConnBase* l) override { PostAccepts(static_cast<Conn*>(l)); }
  void AcceptRetriesDone() override { sink_->Flush(); }
  SOCKET NewSocket(int family, int* err);
  int Associate(SOCKET s, int family, bool* skip);
  void CompleteInline(Op* op, DWORD bytes);
  Conn* Adopt(SOCKET s, int family, bool listener, int* err);
  bool LoadExtensions(SOCKET s, int* err);

  int PostAccept(Conn* l, Op* op);
  void PostAccepts(Conn* l);
  void OnAccept(Op* op, int err);
  void OnConnect(Conn* c, int err);
  void PostZeroRead(Conn* c);
  void OnZeroRead(Conn* c, int err);
  void OnSend(Conn* c, int err, DWORD bytes);
  void Process();  // on the loop thread: the batch the poller handed over

  static DWORD WINAPI PollThread(void* arg);
  static void OnAsync(uv_async_t* h);
  static void OnIdle(uv_idle_t* h);

  HANDLE port_ = nullptr;
  HANDLE thread_ = nullptr;
  uv_async_t async_{};
  uv_idle_t idle_{};  // runs while inline_ holds completions, so the loop does not block
  bool wsa_started_ = false;

  std::mutex mu_;
  std::vector<OVERLAPPED_ENTRY> queue_;  // filled by the poller, taken by Process()
  std::vector<OVERLAPPED_ENTRY> batch_;
  std::vector<OVERLAPPED_ENTRY> inline_;  // synchronous successes, loop thread only
  bool skip_ok_[2] = {false, false};      // IPv4, IPv6: the base provider is IFS

  LPFN_ACCEPTEX accept_ex_ = nullptr;
  LPFN_CONNECTEX connect_ex_ = nullptr;

  std::vector<int32_t> deferred_;       // reads to retry, closes to finish, errors to report
  // Failures found inside a call from JS, reported from the loop like any completion.
  struct Deferred {
    EventKind kind;
    int32_t id;
    int err;
  };
  std::vector<Deferred> deferred_events_;

  uint64_t completions_inline_ = 0;
};

IocpBackend::~IocpBackend() {
  if (port_ != nullptr) CloseHandle(port_);
  FreeAll();
  if (wsa_started_) WSACleanup();
}

int IocpBackend::Init() {
  WSADATA wsa;
  if (WSAStartup(MAKEWORD(2, 2), &wsa) != 0) return LastError();
  wsa_started_ = true;
  int r = pool_.Init(cfg_.recv_buffer_size, cfg_.recv_buffer_count);
  if (r < 0) return r;
  port_ = CreateIoCompletionPort(INVALID_HANDLE_VALUE, nullptr, 0, 1);
  if (port_ == nullptr) return TranslateError(GetLastError());
  int err = 0;
  SOCKET probe = NewSocket(4, &err);
  if (probe == INVALID_SOCKET) return err;
  bool ok = LoadExtensions(probe, &err);
  closesocket(probe);
  if (!ok) return err;
  for (int family : {4, 6}) {
    SOCKET p = NewSocket(family, &err);
    if (p == INVALID_SOCKET) continue;  // no IPv6: nothing to decide
    WSAPROTOCOL_INFOW info;
    int len = sizeof info;
    if (getsockopt(p, SOL_SOCKET, SO_PROTOCOL_INFOW, reinterpret_cast<char*>(&info), &len) == 0)
      skip_ok_[family == 6] = (info.dwServiceFlags1 & XP1_IFS_HANDLES) != 0;
    closesocket(p);
  }
  err = 0;
  OV_TRACE("iocp: skip completion port on success: ipv4=%d ipv6=%d", skip_ok_[0], skip_ok_[1]);

  // The poller first: it is the last step that can fail, and a failed Init must leave no
  // handle on the loop (the backend is deleted at once). It touches async_ only once a
  // completion arrives, which needs a socket, which needs Init to have returned.
  thread_ = CreateThread(nullptr, 0, PollThread, this, 0, nullptr);
  if (thread_ == nullptr) return TranslateError(GetLastError());
  uv_async_init(loop_, &async_, OnAsync);
  uv_idle_init(loop_, &idle_);
  async_.data = idle_.data = this;
  StartLoopHandles();
  // Only open, referenced sockets keep the loop alive: they hold the async's reference.
  uv_unref(reinterpret_cast<uv_handle_t*>(&async_));
  uv_unref(reinterpret_cast<uv_handle_t*>(&idle_));
  SetRefAnchor(reinterpret_cast<uv_handle_t*>(&async_));
  return 0;
}

bool IocpBackend::LoadExtensions(SOCKET s, int* err) {
  GUID accept_guid = WSAID_ACCEPTEX;
  GUID connect_guid = WSAID_CONNECTEX;
  DWORD bytes = 0;
  if (WSAIoctl(s, SIO_GET_EXTENSION_FUNCTION_POINTER, &accept_guid, sizeof accept_guid,
               &accept_ex_, sizeof accept_ex_, &bytes, nullptr, nullptr) != 0 ||
      WSAIoctl(s, SIO_GET_EXTENSION_FUNCTION_POINTER, &connect_guid, sizeof connect_guid,
               &connect_ex_, sizeof connect_ex_, &bytes, nullptr, nullptr) != 0) {
    *err = LastError();
    return false;
  }
  return true;
}

SOCKET IocpBackend::NewSocket(int family, int* err) {
  SOCKET s = WSASocketW(family == 6 ? AF_INET6 : AF_INET, SOCK_STREAM, IPPROTO_TCP, nullptr, 0,
                        WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT);
  if (s == INVALID_SOCKET) *err = LastError();
  return s;
}

int IocpBackend::Associate(SOCKET s, int family, bool* skip) {
  if (CreateIoCompletionPort(reinterpret_cast<HANDLE>(s), port_, 0, 0) == nullptr)
    return TranslateError(GetLastError());
  *skip = skip_ok_[family == 6] &&
          SetFileCompletionNotificationModes(
              reinterpret_cast<HANDLE>(s),
              FILE_SKIP_COMPLETION_PORT_ON_SUCCESS | FILE_SKIP_SET_EVENT_ON_HANDLE);
  // Non-blocking for the synchronous reads that follow a zero-byte read (as libuv does);
  // overlapped operations are unaffected.
  u_long yes = 1;
  if (ioctlsocket(s, FIONBIO, &yes) != 0) return LastError();
  return 0;
}

// Takes ownership of s: associates it with the port and returns a registered, referenced
// Conn, or nullptr with *err set (socket closed) when that fails or the handle table is full.
Conn* IocpBackend::Adopt(SOCKET s, int family, bool listener, int* err) {
  bool skip = false;
  *err = Associate(s, family, &skip);
  if (*err != 0) {
    closesocket(s);
    return nullptr;
  }
  Conn* c = new Conn;
  c->s = s;
  c->family = family;
  c->skip = skip;
  if (!Register(c, listener)) {
    delete c;
    closesocket(s);
    *err = UV_ENFILE;
    return nullptr;
  }
  c->read_op.kind = kOpRead;
  c->read_op.conn = c;
  c->send_op.kind = kOpSend;
  c->send_op.conn = c;
  c->connect_op.kind = kOpConnect;
  c->connect_op.conn = c;
  return c;
}

// ---- listen / accept -------------------------------------------------------------------------

int32_t IocpBackend::Listen(const SockAddr& addr, const ListenOptions& opts) {
  int err = 0;
  SOCKET s = NewSocket(addr.family, &err);
  if (s == INVALID_SOCKET) return err;
  // Windows' SO_REUSEADDR lets another socket steal a bound port; SO_EXCLUSIVEADDRUSE is the
  // safe default libuv also relies on (a restarted server still binds: TIME_WAIT does not
  // block it on Windows).
  BOOL yes = TRUE;
  setsockopt(s, SOL_SOCKET, SO_EXCLUSIVEADDRUSE, reinterpret_cast<char*>(&yes), sizeof yes);
  if (addr.family == 6) {
    DWORD v6only = opts.ipv6_only ? 1 : 0;
    setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, reinterpret_cast<char*>(&v6only), sizeof v6only);
  }
  sockaddr_storage ss;
  int len = ToSockaddr(addr, &ss);
  if (bind(s, reinterpret_cast<sockaddr*>(&ss), len) != 0 || listen(s, opts.backlog) != 0) {
    err = LastError();
    closesocket(s);
    return err;
  }
  Conn* c = Adopt(s, addr.family, /*listener=*/true, &err);
  if (c == nullptr) return err;
  for (int i = 0; i < opts.iocp.accepts_posted; ++i) {
    Op* op = new Op;
    op->kind = kOpAccept;
    op->conn = c;
    c->accepts.push_back(op);
  }
  if (TraceOn()) {
    SockAddr bound;
    int port = GetAddress(c->id, false, &bound) == 0 ? bound.port : -1;
    OV_TRACE("listen id=%d port=%d", c->id, port);
  }
  PostAccepts(c);
  return c->id;
}

int IocpBackend::PostAccept(Conn* l, Op* op) {
  int err = 0;
  SOCKET as = NewSocket(l->family, &err);
  if (as == INVALID_SOCKET) return err;
  memset(&op->ov, 0, sizeof op->ov);
  op->accept_socket = as;
  DWORD bytes = 0;
  bool done_now = accept_ex_(l->s, as, op->addrbuf, 0, kAddrLen, kAddrLen, &bytes, &op->ov);
  if (!done_now) {
    int e = WSAGetLastError();
    if (e != ERROR_IO_PENDING) {
      closesocket(as);
      op->accept_socket = INVALID_SOCKET;
      return TranslateError(e);
    }
  }
  op->active = true;
  ++l->pending;
  if (done_now && l->skip) CompleteInline(op, bytes);
  return 0;
}

void IocpBackend::PostAccepts(Conn* l) {
  if (l->closing || l->accept_paused) return;
  for (Op* op : l->accepts) {
    if (op->active) continue;
    int err = PostAccept(l, op);
    if (err != 0) {
      NoteAcceptError();
      QueueAcceptRetry(l, !AcceptFailureIsPerConnection(err));
      return;
    }
  }
}

void IocpBackend::OnAccept(Op* op, int err) {
  Conn* l = op->conn;
  op->active = false;
  SOCKET as = op->accept_socket;
  op->accept_socket = INVALID_SOCKET;
  if (l->closing || err == UV_ECANCELED) {
    closesocket(as);
    if (!l->closing) PostAccepts(l);  // cancelled by a pause: re-posted on resume
    return;
  }
  if (err != 0) {
    closesocket(as);
    NoteAcceptError();
    sink_->Emit(kAccept, l->id, err);
    if (AcceptFailureIsPerConnection(err))
      PostAccepts(l);
    else
      QueueAcceptRetry(l, true);
    return;
  }
  int r = setsockopt(as, SOL_SOCKET, SO_UPDATE_ACCEPT_CONTEXT, reinterpret_cast<char*>(&l->s),
                     sizeof l->s);
  Conn* c = nullptr;
  if (r != 0) {
    r = LastError();
    closesocket(as);
  } else {
    l->retry.backoff_ms = 0;  // accepting again: the next failure starts the back-off afresh
    c = Adopt(as, l->family, /*listener=*/false, &r);
  }
  OV_TRACE("accept listener=%d id=%d", l->id, c != nullptr ? c->id : 0);
  sink_->Emit(kAccept, l->id, c != nullptr ? c->id : r);
  PostAccepts(l);
}

int IocpBackend::AcceptPause(int32_t id, bool pause) {
  Conn* l = static_cast<Conn*>(FindListener(id));
  if (l == nullptr) return UV_EBADF;
  l->accept_paused = pause;
  if (pause) {
    for (Op* op : l->accepts)
      if (op->active) CancelIoEx(reinterpret_cast<HANDLE>(l->s), &op->ov);
  } else {
    PostAccepts(l);
  }
  return 0;
}

// ---- connect ---------------------------------------------------------------------------------

// ws2def.h's SO_REUSE_UNICASTPORT, which older mingw-w64 headers lack.
constexpr int kSoReuseUnicastPort = 0x3007;

int32_t IocpBackend::Connect(const SockAddr& addr, const SockAddr* local) {
  int err = 0;
  SOCKET s = NewSocket(addr.family, &err);
  if (s == INVALID_SOCKET) return err;
  sockaddr_storage ls;
  int llen;
  if (local != nullptr) {
    llen = ToSockaddr(*local, &ls);
    // The Windows counterpart of IP_BIND_ADDRESS_NO_PORT: the port is chosen at connect, per
    // 4-tuple (SO_REUSE_UNICASTPORT, Windows 10; the seeds' WSAENOBUFS on connect was ports
    // running out). Older systems refuse it: nothing lost but that.
    if (local->port == 0) {
      DWORD on = 1;
      setsockopt(s, SOL_SOCKET, kSoReuseUnicastPort, reinterpret_cast<const char*>(&on), sizeof on);
    }
  } else {
    SockAddr any;
    any.family = addr.family;
    llen = ToSockaddr(any, &ls);  // ConnectEx needs a bound socket
  }
  if (bind(s, reinterpret_cast<sockaddr*>(&ls), llen) != 0) {
    err = LastError();
    closesocket(s);
    return err;
  }
  Conn* c = Adopt(s, addr.family, /*listener=*/false, &err);
  if (c == nullptr) return err;
  c->connecting = true;
  int32_t id = c->id;
  OV_TRACE("connect id=%d port=%d", id, addr.port);
  sockaddr_storage ss;
  int len = ToSockaddr(addr, &ss);
  memset(&c->connect_op.ov, 0, sizeof c->connect_op.ov);
  bool done_now = connect_ex_(s, reinterpret_cast<sockaddr*>(&ss), len, nullptr, 0, nullptr,
                              &c->connect_op.ov);
  if (!done_now) {
    int e = WSAGetLastError();
    if (e != ERROR_IO_PENDING) {
      // Reported like an asynchronous failure, from the loop, so JS has one path.
      c->connecting = false;
      deferred_events_.push_back({kConnect, id, TranslateError(e)});
      uv_async_send(&async_);
      return id;
    }
  }
  ++c->pending;
  c->connect_op.active = true;
  if (done_now && c->skip) CompleteInline(&c->connect_op, 0);
  return id;
}

void IocpBackend::OnConnect(Conn* c, int err) {
  c->connect_op.active = false;
  c->connecting = false;
  if (c->closing) return;
  if (err == 0 && setsockopt(c->s, SOL_SOCKET, SO_UPDATE_CONNECT_CONTEXT, nullptr, 0) != 0)
    err = LastError();
  sink_->Emit(kConnect, c->id, err);
  if (err == 0) PostZeroRead(c);
}

// ---- reading ---------------------------------------------------------------------------------

void IocpBackend::PostZeroRead(Conn* c) {
  if (!c->want_read || c->read_op.active || c->eof || c->closing || c->connecting || c->listener)
    return;
  WSABUF b{0, nullptr};
  DWORD bytes = 0, flags = 0;
  memset(&c->read_op.ov, 0, sizeof c->read_op.ov);
  bool done_now = WSARecv(c->s, &b, 1, &bytes, &flags, &c->read_op.ov, nullptr) == 0;
  if (!done_now) {
    int e = WSAGetLastError();
    if (e != WSA_IO_PENDING) {
      c->eof = true;
      deferred_events_.push_back({kReadError, c->id, TranslateError(e)});
      uv_async_send(&async_);
      return;
    }
  }
  c->read_op.active = true;
  ++c->pending;
  if (done_now && c->skip) CompleteInline(&c->read_op, 0);
}

void IocpBackend::OnZeroRead(Conn* c, int err) {
  c->read_op.active = false;
  if (c->closing) return;
  if (err != 0 && err != UV_ECANCELED) {
    c->eof = true;
    sink_->Emit(err == UV_EOF ? kEof : kReadError, c->id, err);
    return;
  }
  if (!c->want_read) return;  // ReadStart() posts again
  // The socket is readable: read what is there, a bounded number of reads per completion so
  // one flooding peer cannot hold the loop (libuv: 32). A synchronous recv copies from the
  // socket straight into the batch JS gets, so nothing is locked and no pool buffer is held:
  // one copy per byte. A read takes up to kMaxRead, as node:net's 64 KiB reads, so large
  // messages arrive whole (see the io_uring backend's ReadAhead); one pool buffer's worth
  // while a send is pending, since that socket's replies are backing up (budgets).
  unsigned max_reads = cfg_.recv_multishot ? 32 : 1;
  for (unsigned i = 0; i < max_reads; ++i) {
    uint32_t len = c->write_active || !large_reads_ ? pool_.buffer_size() : ReadSize();
    WSABUF b{len, reinterpret_cast<CHAR*>(sink_->DataRoom(c->id, len))};
    DWORD n = 0, flags = 0;
    int r = WSARecv(c->s, &b, 1, &n, &flags, nullptr, nullptr);
    int e = r == 0 ? 0 : WSAGetLastError();
    OV_TRACE("read id=%d r=%d n=%lu e=%d", c->id, r, static_cast<unsigned long>(n), e);
    if (r == 0 && n > 0) {
      sink_->CommitData(c->id, n);
      continue;
    }
    if (r == 0) {  // n == 0: orderly shutdown by the peer
      c->eof = true;
      sink_->Emit(kEof, c->id, 0);
      return;
    }
    if (e == WSAEWOULDBLOCK) break;
    c->eof = true;
    sink_->Emit(kReadError, c->id, TranslateError(e));
    return;
  }
  PostZeroRead(c);
}

int IocpBackend::ReadStart(int32_t id) {
  Conn* c = static_cast<Conn*>(FindSocket(id));
  if (c == nullptr) return UV_EBADF;
  c->want_read = true;
  PostZeroRead(c);
  return 0;
}

int IocpBackend::ReadStop(int32_t id) {
  Conn* c = static_cast<Conn*>(FindSocket(id));
  if (c == nullptr) return UV_EBADF;
  // A pending zero-byte read holds no buffer: leave it; its completion reads nothing while
  // want_read is off.
  c->want_read = false;
  return 0;
}

// ---- writing ---------------------------------------------------------------------------------

int IocpBackend::Write(int32_t id, const Slice* slices, size_t count) {
  Conn* c = Find(id);
  int err = CheckWrite(c, slices, count);
  if (err != 0) return err;
  // WSABUF lengths are 32-bit: a slice over 1 GiB (a Buffer may be 4 GiB) takes several.
  constexpr size_t kMaxBuf = size_t{1} << 30;
  c->bufs.clear();
  size_t total = 0;
  for (size_t i = 0; i < count; ++i) {
    const uint8_t* p = slices[i].data;
    for (size_t left = slices[i].len; left > 0;) {
      size_t n = left < kMaxBuf ? left : kMaxBuf;
      CHAR* data = reinterpret_cast<CHAR*>(const_cast<uint8_t*>(p));
      c->bufs.push_back(WSABUF{static_cast<ULONG>(n), data});
      p += n;
      left -= n;
    }
    total += slices[i].len;
  }
  memset(&c->send_op.ov, 0, sizeof c->send_op.ov);
  DWORD bytes = 0;
  bool done_now = WSASend(c->s, c->bufs.data(), static_cast<DWORD>(c->bufs.size()), &bytes, 0,
                          &c->send_op.ov, nullptr) == 0;
  if (!done_now) {
    int e = WSAGetLastError();
    if (e != WSA_IO_PENDING) return TranslateError(e);
  }
  OV_TRACE("send id=%d bytes=%zu now=%d", id, total, done_now ? 1 : 0);
  if (done_now && c->skip && bytes == static_cast<DWORD>(total)) {
    // Taken whole at once, and no packet will come: the write is done (see backend.h), with
    // no completion to wait an iteration for.
    ++completions_inline_;
    return 1;
  }
  c->write_active = true;
  c->send_op.active = true;
  ++c->pending;
  LendBytes(c, total);
  if (done_now && c->skip) CompleteInline(&c->send_op, bytes);
  return 0;
}

void IocpBackend::OnSend(Conn* c, int err, DWORD bytes) {
  c->send_op.active = false;
  c->write_active = false;
  // Overlapped stream sends complete whole; the count is a DWORD, so compare modulo 2^32.
  if (err == 0 && bytes != static_cast<DWORD>(c->send_bytes)) err = UV_EIO;
  ReturnBytes(c);
  sink_->Emit(kWrite, c->id, err);
}

int IocpBackend::Shutdown(int32_t id) {
  Conn* c = static_cast<Conn*>(FindSocket(id));
  if (c == nullptr) return UV_EBADF;
  OV_TRACE("shutdown id=%d", id);
  return shutdown(c->s, SD_SEND) == 0 ? 0 : LastError();
}

// ---- close -----------------------------------------------------------------------------------

int IocpBackend::Close(int32_t id, bool reset) {
  Conn* c = static_cast<Conn*>(BeginClose(id));
  if (c == nullptr) return UV_EBADF;
  if (reset && !c->listener) {
    linger l{1, 0};  // closesocket() below is then abortive: an RST
    setsockopt(c->s, SOL_SOCKET, SO_LINGER, reinterpret_cast<char*>(&l), sizeof l);
  }
  OV_TRACE("close id=%d pending=%d", id, c->pending);
  // Every pending operation is cancelled and still completes through the port (aborted); the
  // Conn that owns their OVERLAPPEDs is freed only after the last one (Finalize).
  // closesocket() alone aborts them on Windows, but not everywhere: under Wine a WSASend
  // blocked on a peer that does not read, and the zero-byte read beside it, never complete
  // after closesocket(), and the Conn would wait forever. CancelIoEx first is explicit.
  CancelIoEx(reinterpret_cast<HANDLE>(c->s), nullptr);
  closesocket(c->s);
  c->s = INVALID_SOCKET;
  if (c->pending == 0) {
    deferred_.push_back(id);
    uv_async_send(&async_);
  }
  return 0;
}

// ---- options and queries ---------------------------------------------------------------------

int IocpBackend::SetNoDelay(int32_t id, bool on) {
  Conn* c = Find(id);
  if (c == nullptr) return UV_EBADF;
  BOOL v = on ? TRUE : FALSE;
  return setsockopt(c->s, IPPROTO_TCP, TCP_NODELAY, reinterpret_cast<char*>(&v), sizeof v) == 0
             ? 0
             : LastError();
}

int IocpBackend::SetKeepAlive(int32_t id, bool on, unsigned delay) {
  Conn* c = Find(id);
  if (c == nullptr) return UV_EBADF;
  BOOL v = on ? TRUE : FALSE;
  if (setsockopt(c->s, SOL_SOCKET, SO_KEEPALIVE, reinterpret_cast<char*>(&v), sizeof v) != 0)
    return LastError();
  if (!on || delay == 0) return 0;
  tcp_keepalive ka{1, delay * 1000, 1000};
  DWORD bytes = 0;
  return WSAIoctl(c->s, SIO_KEEPALIVE_VALS, &ka, sizeof ka, nullptr, 0, &bytes, nullptr,
                  nullptr) == 0
             ? 0
             : LastError();
}

int IocpBackend::GetAddress(int32_t id, bool peer, SockAddr* out) {
  Conn* c = Find(id);
  if (c == nullptr) return UV_EBADF;
  sockaddr_storage ss;
  int len = sizeof ss;
  int r = peer ? getpeername(c->s, reinterpret_cast<sockaddr*>(&ss), &len)
               : getsockname(c->s, reinterpret_cast<sockaddr*>(&ss), &len);
  if (r != 0) return LastError();
  return FromSockaddr(ss, out) ? 0 : UV_EAFNOSUPPORT;
}

void IocpBackend::GetStats(Stats* out) const {
  FillStats(out);
  out->sockets_waiting = 0;  // buffers are held only while a synchronous read copies out
  out->buffer_waits = 0;
  out->iocp.completions_inline = completions_inline_;
}

// ---- the loop --------------------------------------------------------------------------------

DWORD WINAPI IocpBackend::PollThread(void* arg) {
  auto* self = static_cast<IocpBackend*>(arg);
  OVERLAPPED_ENTRY entries[kDequeueBatch];
  for (;;) {
    ULONG n = 0;
    if (!GetQueuedCompletionStatusEx(self->port_, entries, kDequeueBatch, &n, INFINITE, FALSE))
      continue;
    bool stop = false;
    {
      std::lock_guard<std::mutex> lock(self->mu_);
      for (ULONG i = 0; i < n; ++i) {
        if (entries[i].lpCompletionKey == kStopKey)
          stop = true;
        else
          self->queue_.push_back(entries[i]);
      }
    }
    if (stop) return 0;
    uv_async_send(&self->async_);
  }
}

void IocpBackend::CompleteInline(Op* op, DWORD bytes) {
  OVERLAPPED_ENTRY e{};
  e.lpOverlapped = &op->ov;
  e.dwNumberOfBytesTransferred = bytes;
  if (inline_.empty()) uv_idle_start(&idle_, OnIdle);
  inline_.push_back(e);
  ++completions_inline_;
}

void IocpBackend::OnIdle(uv_idle_t* h) {
  auto* self = static_cast<IocpBackend*>(h->data);
  if (!self->torn_down_) self->Process();
}

void IocpBackend::Process() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    batch_.swap(queue_);
  }
  // Synchronous successes queued before this call; any queued while it runs wait for the
  // next iteration.
  batch_.insert(batch_.end(), inline_.begin(), inline_.end());
  inline_.clear();
  uv_idle_stop(&idle_);
  for (const OVERLAPPED_ENTRY& e : batch_) {
    Op* op = reinterpret_cast<Op*>(e.lpOverlapped);
    Conn* c = op->conn;
    --c->pending;
    OV_TRACE("completion id=%d op=%d status=0x%lx bytes=%lu pending=%d closing=%d", c->id,
             static_cast<int>(op->kind), static_cast<unsigned long>(e.Internal),
             static_cast<unsigned long>(e.dwNumberOfBytesTransferred), c->pending, c->closing);
    // The operation's own status, as Winsock reports it for this OVERLAPPED.
    DWORD bytes = 0, flags = 0;
    int err = 0;
    if (c->s == INVALID_SOCKET) {
      err = UV_ECANCELED;  // closed by us: every pending operation was aborted
    } else if (!WSAGetOverlappedResult(c->s, &op->ov, &bytes, FALSE, &flags)) {
      err = LastError();
    }
    bytes = e.dwNumberOfBytesTransferred;
    switch (op->kind) {
      case kOpAccept:
        OnAccept(op, err);
        break;
      case kOpConnect:
        OnConnect(c, err);
        break;
      case kOpRead:
        OnZeroRead(c, err);
        break;
      case kOpSend:
        OnSend(c, err, bytes);
        break;
    }
    FinalizeIfDone(c);
  }
  batch_.clear();
  if (!deferred_events_.empty()) {
    std::vector<Deferred> events;
    events.swap(deferred_events_);
    for (const Deferred& d : events)
      if (Find(d.id) != nullptr) sink_->Emit(d.kind, d.id, d.err);
  }
  if (!deferred_.empty()) {
    std::vector<int32_t> ids;
    ids.swap(deferred_);
    for (int32_t id : ids) {
      Conn* c = Get(id);
      if (c != nullptr) FinalizeIfDone(c);
    }
  }
  sink_->Flush();
}

void IocpBackend::OnAsync(uv_async_t* h) {
  auto* self = static_cast<IocpBackend*>(h->data);
  if (!self->torn_down_) self->Process();
}

// ---- teardown --------------------------------------------------------------------------------

void IocpBackend::Teardown(void (*done)(void*), void* arg) {
  torn_down_ = true;
  // Close every socket, stop the poller, then wait here for the aborted operations to come
  // back through the port before any Conn (and the OVERLAPPEDs in it) is freed.
  size_t outstanding = 0;
  conns_.ForEach([&](ConnBase* b) {
    Conn* c = static_cast<Conn*>(b);
    if (c->s != INVALID_SOCKET) {
      CancelIoEx(reinterpret_cast<HANDLE>(c->s), nullptr);  // see Close()
      closesocket(c->s);
    }
    c->s = INVALID_SOCKET;
    outstanding += c->pending;
  });
  if (thread_ != nullptr) {
    PostQueuedCompletionStatus(port_, 0, kStopKey, nullptr);
    WaitForSingleObject(thread_, INFINITE);
    CloseHandle(thread_);
    thread_ = nullptr;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    size_t done = queue_.size() + inline_.size();  // these will not come through the port
    outstanding -= done <= outstanding ? done : outstanding;
    queue_.clear();
    inline_.clear();
  }
  OVERLAPPED_ENTRY entries[kDequeueBatch];
  for (int tries = 0; outstanding > 0 && tries < 50; ++tries) {
    ULONG n = 0;
    if (!GetQueuedCompletionStatusEx(port_, entries, kDequeueBatch, &n, 100, FALSE)) continue;
    outstanding -= n <= outstanding ? n : outstanding;
  }
  if (outstanding == 0) {
    FreeAll();
  } else {
    // Some aborted operation never came back (5 s): the kernel may still write into its
    // OVERLAPPED, so the handles' memory is left allocated rather than freed under it.
    OV_TRACE("iocp teardown: %zu operations never completed; their handles are leaked",
             outstanding);
  }
  conns_ = HandleTable<ConnBase>();
  CloseLoopHandles({reinterpret_cast<uv_handle_t*>(&async_), reinterpret_cast<uv_handle_t*>(&idle_)},
                   done, arg);
}

}  // namespace

int ProbeIocp() {
  WSADATA wsa;
  if (WSAStartup(MAKEWORD(2, 2), &wsa) != 0) return TranslateError(WSAGetLastError());
  WSACleanup();
  return 0;
}

std::unique_ptr<Backend> CreateIocpBackend(uv_loop_s* loop, EventSink* sink, const Config& cfg,
                                           int* err) {
  std::unique_ptr<IocpBackend> b(new IocpBackend(loop, sink, cfg));
  *err = b->Init();
  if (*err != 0) return nullptr;
  return b;
}

}  // namespace ov
