// What every backend does the same way, written once (as libuv's uv-common.c beside src/unix
// and src/win): the handle table and its ids, the loop reference that open handles hold,
// the sockets_open/listeners_open counts, the close preamble, the accept-retry queue and its
// timer, the accounting of bytes lent to the kernel for sends, the common part of GetStats,
// and the countdown of loop handles at teardown. A backend derives from BackendBase, its
// per-handle struct from ConnBase, and keeps only what its system calls make different.
//
// Only backends include this header (it needs uv.h); the addon sees the Backend seam alone.
// Nothing here is specific to completions: a readiness backend (epoll) uses it as it is.
#ifndef OVERLAPPED_CORE_BACKEND_BASE_H_
#define OVERLAPPED_CORE_BACKEND_BASE_H_

#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <vector>

#include "accept_retry.h"
#include "backend.h"
#include "buffer_pool.h"
#include "handle_table.h"

namespace ov {

// The state of a handle that core reads and writes. A backend's Conn derives from it and adds
// its descriptor and operations. No virtual destructor, so no vtable pointer in every
// connection (memory per idle connection is a benchmarked figure): BackendBase::Free() deletes
// a handle as the backend's own type.
struct ConnBase {
  int32_t id = 0;
  int pending = 0;  // operations started and not yet completed; a closing handle waits for 0
  bool listener = false;
  bool refed = true;
  bool closing = false;
  bool want_read = false;
  bool eof = false;
  bool connecting = false;
  bool accept_paused = false;  // listener: AcceptPause()
  bool write_active = false;   // the one Write() allowed is in flight
  AcceptRetry retry;           // listener: waiting means queued for the retry timer
  size_t send_bytes = 0;       // bytes of the send in flight, counted in bytes_in_flight
};

class BackendBase : public Backend {
 public:
  BackendBase(uv_loop_t* loop, EventSink* sink, const Config& cfg)
      : loop_(loop), sink_(sink), cfg_(cfg) {}

  int SetRef(int32_t id, bool ref) final;
  void SetLargeReads(bool on) final { large_reads_ = on; }
  bool IsSocket(int32_t id) const final { return FindSocket(id) != nullptr; }

 protected:
  // ---- handles ----
  // A handle JS may still use: registered and not closing.
  ConnBase* FindOpen(int32_t id) const {
    ConnBase* c = conns_.Get(id);
    return (c != nullptr && !c->closing) ? c : nullptr;
  }
  // An open connected (or connecting) socket, or an open listener: what the socket calls
  // (ReadStart, Shutdown, ...) and AcceptPause() take; nullptr means kErrBadF.
  ConnBase* FindSocket(int32_t id) const {
    ConnBase* c = FindOpen(id);
    return (c != nullptr && !c->listener) ? c : nullptr;
  }
  ConnBase* FindListener(int32_t id) const {
    ConnBase* c = FindOpen(id);
    return (c != nullptr && c->listener) ? c : nullptr;
  }
  // Registers a new handle, counts it open and references the loop for it. False when the
  // handle table is full: the caller frees the handle and its descriptor.
  bool Register(ConnBase* c, bool listener);
  // Undoes Register(): forgets the handle without any event; stale ids now find nothing.
  // The caller frees the handle.
  void Unregister(ConnBase* c);
  // The backend deletes a handle as its own type, closing what descriptor it still holds.
  virtual void Free(ConnBase* c) = 0;
  // The end of a closing handle: forgotten, freed, and its kClose, the last event it gets.
  void Finalize(ConnBase* c);
  // Finalize() once a closing handle's last operation has completed (c is then gone).
  void FinalizeIfDone(ConnBase* c) {
    if (c->closing && c->pending == 0) Finalize(c);
  }
  // Frees every handle without an event (teardown) and empties the table.
  void FreeAll();
  // Whether c keeps the loop alive (node's ref()/unref()).
  void Ref(ConnBase* c, bool on);
  // The loop handle whose reference stands for every referenced socket; set once the
  // backend's loop handles exist (before that, references are only counted).
  void SetRefAnchor(uv_handle_t* h) { ref_anchor_ = h; }

  // The close preamble every backend runs: finds the open handle, marks it closing, stops
  // its reads and references the loop until its kClose. Returns nullptr when there is no
  // such handle; the backend then cancels its operations (and applies `reset`).
  ConnBase* BeginClose(int32_t id);

  // ---- accept retries ----
  // Schedules a listener's next accept (core/accept_retry.h) on the shared timer. The timer
  // calls RetryAccept() for each listener that is due, then AcceptRetriesDone() once.
  void QueueAcceptRetry(ConnBase* l, bool backoff);
  virtual void RetryAccept(ConnBase* l) = 0;
  virtual void AcceptRetriesDone() = 0;
  void NoteAcceptError() { ++accept_errors_; }

  // ---- writes ----
  // The checks every Write() makes before touching the socket, in this order: a connected
  // socket, no other write in flight, some bytes. 0, or the error Write() returns.
  int CheckWrite(const ConnBase* c, const Slice* slices, size_t count) const;
  // Bytes lent to the kernel for c's send, and given back when it completes.
  void LendBytes(ConnBase* c, size_t n);
  void ReturnBytes(ConnBase* c);

  // ---- reads ----
  uint32_t ReadSize() const { return MaxRead(pool_.buffer_size()); }

  // ---- the loop ----
  // Creates core's own loop handle (the accept-retry timer), unreferenced. The backend calls
  // it once, with its own handles, when Init() can no longer fail.
  void StartLoopHandles();
  // Fills the fields of Stats that every backend keeps; the backend adds its own.
  void FillStats(Stats* out) const;
  // Teardown's last step: closes the backend's loop handles and core's, then calls
  // done(arg) once all are closed (at once when none was started).
  void CloseLoopHandles(std::initializer_list<uv_handle_t*> handles, void (*done)(void*),
                        void* arg);

  uv_loop_t* loop_;
  EventSink* sink_;
  Config cfg_;
  BufferPool pool_;
  HandleTable<ConnBase> conns_;
  bool large_reads_ = true;  // SetLargeReads()
  bool torn_down_ = false;   // Teardown() ran: no event may follow
  bool handles_started_ = false;

 private:
  void ArmAcceptTimer();
  static void OnAcceptTimer(uv_timer_t* h);
  static void OnHandleClosed(uv_handle_t* h);

  uv_handle_t* ref_anchor_ = nullptr;
  unsigned refs_ = 0;
  uv_timer_t accept_timer_{};
  std::vector<int32_t> accept_retry_;
  int handles_open_ = 0;
  void (*teardown_done_)(void*) = nullptr;
  void* teardown_arg_ = nullptr;

  uint32_t sockets_open_ = 0;
  uint32_t listeners_open_ = 0;
  uint64_t accept_errors_ = 0;
  uint64_t accepts_paused_ = 0;
  uint64_t bytes_in_flight_ = 0;
  uint64_t bytes_in_flight_peak_ = 0;
};

}  // namespace ov

#endif  // OVERLAPPED_CORE_BACKEND_BASE_H_
