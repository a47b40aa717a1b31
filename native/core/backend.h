// The platform seam. Every backend (io_uring, epoll, IOCP) implements `Backend`; the addon
// (native/addon.cc) and the rest of core talk only to this interface. The seam is shaped around
// operations and their completions, the model of io_uring and IOCP: a readiness backend (epoll)
// implements it by doing the syscall when the fd is ready and reporting a completion.
//
// Rules every backend follows (they are what keeps JS simple and the process safe):
//  * Methods called from JS never emit events synchronously; completions are reported into the
//    EventSink from the backend's own loop callback, then the backend calls sink->Flush() once
//    per batch. A synchronous failure is the method's negative return value instead.
//  * Errors are negative, libuv-style codes (-errno on Unix, UV_E* values on Windows) so that
//    util.getSystemErrorName() names them in JS.
//  * A Write() that returns 0 is answered by exactly one kWrite event, and it comes before the
//    kClose event of that handle; kClose is the last event a handle id ever gets. A Write()
//    the kernel took whole at once returns 1 and gets no event.
//  * No byte is dropped: data that arrives after ReadStop() is still reported.
//
// This header is platform-neutral: no <windows.h>, no io_uring, no uv.h.
#ifndef OVERLAPPED_CORE_BACKEND_H_
#define OVERLAPPED_CORE_BACKEND_H_

#include <cstddef>
#include <cstdint>
#include <memory>

struct uv_loop_s;  // opaque here: only backends include uv.h

namespace ov {

// A TCP endpoint, platform neutral. Backends convert to and from sockaddr_in/sockaddr_in6.
struct SockAddr {
  int family = 0;          // 4 or 6
  uint8_t bytes[16] = {};  // network byte order; first 4 bytes for IPv4
  uint16_t port = 0;       // host byte order
  uint32_t scope_id = 0;   // IPv6 zone index
};

struct Slice {
  const uint8_t* data;
  size_t len;
};

// Events crossing to JS, four int32 each: kind, id, result, aux. The numbers are part of the
// binding's contract with lib/binding.ts (EventKind there); change both together.
enum EventKind : int32_t {
  kAccept = 1,     // id: listener; result: new socket id, or a negative error (informational)
  kConnect = 2,    // id: socket; result: 0 or negative error
  kData = 3,       // id: socket; result: byte count; aux: index into the batch's buffer array
  kEof = 4,        // id: socket; peer sent FIN
  kReadError = 5,  // id: socket; result: negative error
  kWrite = 6,      // id: socket; result: 0 or negative error (answers one Write())
  kClose = 7,      // id: socket or listener; the handle is gone, its id may be reused
  // From the relay (core/relay.h), not from backends:
  kRelayEnd = 8,         // id: a linked source; result: 0 (its FIN came and everything it
                         // sent before is forwarded) or a negative error; value: bytes it
                         // forwarded (EmitWide)
  kRelayWriteError = 9,  // id: a destination; result: the error its forwarded write got
};

// What backends report into. Implemented by the addon's per-environment state.
class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual void Emit(EventKind kind, int32_t id, int32_t result) = 0;
  // An event with a count too large for 32 bits.
  virtual void EmitWide(EventKind kind, int32_t id, int32_t result, uint64_t value) = 0;
  // Copies the bytes: the caller may reuse its buffer as soon as this returns. `more`: room
  // to keep right after them, for a read-ahead that DataRoom() will ask for next.
  virtual void EmitData(int32_t id, const uint8_t* data, size_t len, size_t more = 0) = 0;
  // Reading straight into the batch: room for up to len more bytes of socket id's data,
  // which CommitData(id, n) then adds (n <= len, 0 allowed), merged with the chunk before
  // when that was the same socket's. The pointer is good until the next call on the sink.
  virtual uint8_t* DataRoom(int32_t id, size_t len) = 0;
  virtual void CommitData(int32_t id, size_t len) = 0;
  // Hands the batch gathered so far to JS (one JS call). Backends call it once per batch.
  virtual void Flush() = 0;
};

// Sizes fixed when a backend starts. Issue #3 adds budgets; these are the pool's shape.
struct Config {
  uint32_t recv_buffer_size = 16 * 1024;  // bytes per pool buffer
  uint32_t recv_buffer_count = 256;       // pool buffers (power of two for io_uring)
  // The receive mode (docs/api.md, "Receive modes"), which every backend honours in its own
  // way: off ('metered'), JS sees each read before the next is made; on ('multishot'), a
  // socket keeps reading before JS can say stop, so the write budgets are only loosely held.
  // io_uring: one multishot recv per socket (the kernel may fill up to 32 buffers); IOCP: up
  // to 32 reads per completion, like libuv.
  bool recv_multishot = false;
};

// The most bytes one read hands to JS, as node:net's reads of 64 KiB: a pool buffer, and on
// backends that can, what follows it read at once (a socket's queue may thus pass its high
// water mark by this much before its reads stop). Bulk data arrives in chunks this large.
constexpr uint32_t kMaxRead = 64 * 1024;
// The most one read takes with pool buffers of buffer_size: kMaxRead, or a buffer if larger.
inline uint32_t MaxRead(uint32_t buffer_size) {
  return kMaxRead > buffer_size ? kMaxRead : buffer_size;
}

struct Stats {
  uint64_t pool_bytes = 0;            // recv_buffer_size * recv_buffer_count
  uint32_t pool_buffers = 0;          // buffers in the pool
  uint32_t buffers_in_use = 0;        // buffers holding received bytes not yet copied out
  uint32_t buffers_in_use_peak = 0;
  uint32_t sockets_waiting = 0;       // sockets whose reads wait for a pool buffer
  uint64_t buffer_waits = 0;          // times a socket had to wait for a buffer
  uint32_t sockets_open = 0;          // connected or connecting sockets
  uint32_t listeners_open = 0;
  uint64_t accept_errors = 0;         // accept failures that were retried
  uint64_t accepts_paused = 0;        // times a listener backed off before retrying
  uint64_t bytes_in_flight = 0;       // bytes lent to the kernel for sends right now
  uint64_t bytes_in_flight_peak = 0;
  uint32_t max_read_bytes = 0;        // the most one read hands to JS (kMaxRead or a buffer)
  // Figures only one backend has; on the others they stay 0 (JS still reports them, so that
  // stats() has one shape everywhere).
  struct Iocp {
    uint64_t completions_inline = 0;  // successes that skipped the completion port
  } iocp;
  struct Uring {
    uint64_t completions_dropped = 0;  // CQEs the kernel dropped (should stay 0)
  } uring;
  // Forwarding between sockets (core/relay.h), the same on every backend.
  struct Relay {
    uint32_t links = 0;              // sources whose bytes go straight to another socket
    uint64_t bytes_queued = 0;       // forwarded bytes (and JS writes behind them) not yet sent
    uint64_t bytes_queued_peak = 0;
    uint64_t bytes_forwarded = 0;    // since start
    // Reads whose bytes went to a link, and sends of forwarded bytes, since start: with
    // bytes_forwarded they say how many bytes each system call moved (how well a relay
    // batches), which is most of what relaying costs.
    uint64_t reads = 0;
    uint64_t sends = 0;
  } relay;
};

struct ListenOptions {
  int backlog = 511;
  bool ipv6_only = false;
  bool reuse_port = false;
  // Options only one backend reads; the others ignore them.
  struct Iocp {
    int accepts_posted = 32;  // AcceptEx operations kept posted (a listener's accept depth)
  } iocp;
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual const char* Name() const = 0;

  // Each returns 0 (or a new id > 0) on success, a negative error otherwise.
  virtual int32_t Listen(const SockAddr& addr, const ListenOptions& opts) = 0;
  virtual int32_t Connect(const SockAddr& addr, const SockAddr* local) = 0;
  // Stops or resumes accepting on a listener (maxConnections). Connections the kernel had
  // already completed may still be reported after a pause; none is lost.
  virtual int AcceptPause(int32_t id, bool pause) = 0;
  virtual int ReadStart(int32_t id) = 0;
  virtual int ReadStop(int32_t id) = 0;
  // Returns 1 when the kernel took every byte at once (done: no kWrite follows, the slices
  // may be released), 0 when the rest is sent in the background (the slices stay valid until
  // the kWrite event for this id: the caller keeps them alive), or a negative error. At most
  // one Write() per socket is outstanding.
  virtual int Write(int32_t id, const Slice* slices, size_t count) = 0;
  virtual int Shutdown(int32_t id) = 0;  // half-close (FIN) after queued writes
  // Cancels I/O; kClose follows. reset: abortive close (SO_LINGER 0): the peer gets an RST
  // and unsent data is dropped (node's socket.resetAndDestroy()).
  virtual int Close(int32_t id, bool reset) = 0;
  virtual int SetNoDelay(int32_t id, bool on) = 0;
  virtual int SetKeepAlive(int32_t id, bool on, unsigned delay_secs) = 0;
  virtual int GetAddress(int32_t id, bool peer, SockAddr* out) = 0;
  // Whether id is an open socket (connected or connecting; not a listener, not closing).
  virtual bool IsSocket(int32_t id) const = 0;
  // A referenced handle keeps the event loop alive (node's ref()/unref()).
  virtual int SetRef(int32_t id, bool ref) = 0;
  // Whether reads may take more than one pool buffer (up to kMaxRead). JS turns it off while
  // the write budget is under pressure, so that the budget's overshoot stays one pool buffer
  // per read however large reads are otherwise (lib/budget.ts).
  virtual void SetLargeReads(bool on) = 0;
  virtual void GetStats(Stats* out) const = 0;

  // Starts teardown at environment exit: cancels everything, closes every fd, releases the
  // loop's handles, and calls done(arg) once nothing of the backend is left on the loop.
  // No event is emitted after this is called.
  virtual void Teardown(void (*done)(void* arg), void* arg) = 0;
};

// Factories, one per backend; each returns nullptr and sets *err when the backend cannot run
// here (io_uring blocked by seccomp, too old a kernel, ...). Defined in the backend folders.
std::unique_ptr<Backend> CreateUringBackend(uv_loop_s* loop, EventSink* sink, const Config& cfg,
                                            int* err);
// Whether the backend could start here, without starting it (0 or a negative error).
int ProbeUring();
std::unique_ptr<Backend> CreateEpollBackend(uv_loop_s* loop, EventSink* sink, const Config& cfg,
                                            int* err);
int ProbeEpoll();
std::unique_ptr<Backend> CreateIocpBackend(uv_loop_s* loop, EventSink* sink, const Config& cfg,
                                           int* err);
int ProbeIocp();

}  // namespace ov

#endif  // OVERLAPPED_CORE_BACKEND_H_
