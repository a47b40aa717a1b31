// Forwarding between sockets inside the addon (issue #12): bytes read from a linked source go
// to its destination without entering JS, and without a JS call per chunk.
//
// Relay is a decorator on both sides of the seam. The addon talks to it as its Backend, and
// the real backend reports into it as its EventSink; for a socket with no link both pass
// straight through (one empty-map test), so no backend knows relaying exists and every
// backend (io_uring, epoll, IOCP) gets it alike.
//
// For each destination with a link, or with forwarded bytes still unsent, an `Out` holds one
// ordered queue of what goes to that socket: forwarded bytes, read straight into its chunks
// (DataRoom) or copied out of a pool buffer (EmitData), and a JS write made while the queue is
// not empty (referenced, not copied: the addon keeps a write's buffers alive until its kWrite).
// The relay makes the destination's one Write() itself, and JS's shutdown waits for the
// queue to drain. A source's reads stop while its destination's queue holds `cap` bytes or
// more, so one slow destination holds at most cap + one read (kMaxRead) of memory, whatever
// the source sends: the same back-pressure node's pipe() gets from write() returning false.
//
// The relay acts on the backend only from Flush() (the end of a batch, where JS may call the
// backend too) and from calls JS makes, never in the middle of a backend's event handling.
// Events it adds for JS: kRelayEnd (a link ended: how, and the bytes it forwarded) and
// kRelayWriteError (a forwarded write failed: the destination's error).
#ifndef OVERLAPPED_CORE_RELAY_H_
#define OVERLAPPED_CORE_RELAY_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "backend.h"
#include "errors.h"
#include "handle_table.h"

namespace ov {

class Relay final : public Backend, public EventSink {
 public:
  explicit Relay(EventSink* out) : out_(out) {}
  ~Relay() override;
  void SetBackend(std::unique_ptr<Backend> inner) { inner_ = std::move(inner); }
  Backend* inner() const { return inner_.get(); }

  // Bytes read from src now go to dst. cap: the bytes queued for dst at which src's reads
  // stop. src reads while JS wants it to (ReadStart/ReadStop, as before the link; `reading`
  // is what JS last asked) and dst's queue is below cap. Fails with kErrBusy if src is
  // linked already, kErrInval for src == dst, kErrBadF if either is not an open socket.
  int Link(int32_t src, int32_t dst, uint32_t cap, bool reading);
  // Ends src's link without an event; bytes already queued for its destination are still
  // sent. src's reads are left as JS last asked. Returns the bytes it forwarded, or
  // kErrInval when src has no link.
  int64_t Unlink(int32_t src);
  // The bytes src's link has forwarded so far, or kErrInval when src has no link.
  int64_t Forwarded(int32_t src) {
    Route* l = FindLink(src);
    return l == nullptr ? kErrInval : static_cast<int64_t>(l->bytes);
  }

  // ---- Backend ----
  const char* Name() const override { return inner_->Name(); }
  int32_t Listen(const SockAddr& addr, const ListenOptions& opts) override {
    return inner_->Listen(addr, opts);
  }
  int32_t Connect(const SockAddr& addr, const SockAddr* local) override {
    return inner_->Connect(addr, local);
  }
  int AcceptPause(int32_t id, bool pause) override { return inner_->AcceptPause(id, pause); }
  int ReadStart(int32_t id) override;
  int ReadStop(int32_t id) override;
  int Write(int32_t id, const Slice* slices, size_t count) override;
  int Shutdown(int32_t id) override;
  int Close(int32_t id, bool reset) override { return inner_->Close(id, reset); }
  int SetNoDelay(int32_t id, bool on) override { return inner_->SetNoDelay(id, on); }
  int SetKeepAlive(int32_t id, bool on, unsigned delay_secs) override {
    return inner_->SetKeepAlive(id, on, delay_secs);
  }
  int GetAddress(int32_t id, bool peer, SockAddr* out) override {
    return inner_->GetAddress(id, peer, out);
  }
  bool IsSocket(int32_t id) const override { return inner_->IsSocket(id); }
  int SetRef(int32_t id, bool ref) override { return inner_->SetRef(id, ref); }
  void SetLargeReads(bool on) override { inner_->SetLargeReads(on); }
  void GetStats(Stats* out) const override;
  void Teardown(void (*done)(void* arg), void* arg) override;

  // ---- EventSink ----
  void Emit(EventKind kind, int32_t id, int32_t result) override;
  void EmitWide(EventKind kind, int32_t id, int32_t result, uint64_t value) override {
    out_->EmitWide(kind, id, result, value);
  }
  void EmitData(int32_t id, const uint8_t* data, size_t len, size_t more = 0) override;
  uint8_t* DataRoom(int32_t id, size_t len) override;
  void CommitData(int32_t id, size_t len) override;
  void Flush() override;

 private:
  // Part of a destination's queue. Forwarded bytes fill chunks the relay owns; a JS write's
  // bytes stay in JS's buffers (`js`). Chunks never move, so a write in flight may point
  // into one while bytes are added behind it.
  struct Chunk {
    uint8_t* data;
    size_t len;  // bytes in it
    size_t cap;  // 0 for a JS write's slice (not owned)
    bool js_last;  // the last slice of a JS write: its kWrite is due once it is sent
  };

  // A FIFO of chunks that costs nothing while empty (std::deque allocates at construction,
  // and an idle relayed connection has two of these: memory per connection counts).
  class ChunkQueue {
   public:
    bool empty() const { return first_ == v_.size(); }
    Chunk& front() { return v_[first_]; }
    Chunk& back() { return v_.back(); }
    void push_back(const Chunk& c) { v_.push_back(c); }
    void pop_front() {
      if (++first_ == v_.size()) {
        clear();
      } else if (first_ >= 32 && first_ * 2 >= v_.size()) {
        v_.erase(v_.begin(), v_.begin() + static_cast<std::ptrdiff_t>(first_));
        first_ = 0;
      }
    }
    void clear() {
      v_.clear();
      first_ = 0;
      if (v_.capacity() > 16) std::vector<Chunk>().swap(v_);
    }
    std::vector<Chunk>::const_iterator begin() const {
      return v_.begin() + static_cast<std::ptrdiff_t>(first_);
    }
    std::vector<Chunk>::const_iterator end() const { return v_.end(); }

   private:
    std::vector<Chunk> v_;
    size_t first_ = 0;
  };

  struct Out {
    int32_t id;
    ChunkQueue q;
    size_t head = 0;       // bytes of q.front() already sent
    size_t queued = 0;     // bytes not yet sent, those in flight included
    size_t inflight = 0;   // bytes of the relay's own Write() in flight
    bool direct = false;   // a JS write passed straight through is in flight
    bool js_queued = false;  // a JS write waits in q
    bool shutdown = false;   // JS asked for a FIN: made once q is empty
    int32_t error = 0;       // a write failed: nothing more is sent
    uint32_t cap = 0;
    bool dirty = false;
    std::vector<int32_t> srcs;  // linked sources
  };
  struct Route {  // one linked source
    Out* out;
    uint64_t bytes = 0;
    bool js_read = false;  // JS's last ReadStart()/ReadStop()
    bool reading = false;  // what the backend was last told
    bool eof = false;
  };

  // What the relay holds for one handle, in a table indexed as the backend's handle table
  // (ids are dense slot indices with a generation): a lookup per event is an index and a
  // compare, not a hash (the two hash maps this replaced were 3% of a relayed ping-pong).
  struct Slot {
    int32_t link_id = 0;  // the id whose link `route` is, 0 for none
    int32_t out_id = 0;   // the id whose queue `out` is, 0 for none
    Route route{};
    std::unique_ptr<Out> out;
  };
  Slot* SlotOf(int32_t id) {
    uint32_t i = HandleTable<void>::IndexOf(id);
    return id > 0 && i < slots_.size() ? &slots_[i] : nullptr;
  }
  Slot& GrowTo(int32_t id) {
    uint32_t i = HandleTable<void>::IndexOf(id);
    if (i >= slots_.size()) slots_.resize(i + 1);
    return slots_[i];
  }
  Out* FindOut(int32_t id) {
    if (outs_ == 0) return nullptr;
    Slot* s = SlotOf(id);
    return s != nullptr && s->out_id == id ? s->out.get() : nullptr;
  }
  Route* FindLink(int32_t id) {
    if (links_ == 0) return nullptr;
    Slot* s = SlotOf(id);
    return s != nullptr && s->link_id == id ? &s->route : nullptr;
  }
  void EraseOut(int32_t id);
  uint8_t* Room(Out* o, size_t len);
  Chunk NewChunk(size_t len);  // a chunk of len's size class, from the spares if one is free
  void Added(Route* l, size_t len);
  void MarkDirty(Out* o);
  // Sends what o's queue holds, as far as the kernel takes it at once (batch context only).
  void Service(Out* o);
  void Consume(Out* o, size_t n);
  void ReturnedOrFailed(Out* o, size_t n, int32_t result);
  void Fail(Out* o, int32_t err);
  // Ends src's link with an event for JS; its reads go back to what JS asked.
  void End(int32_t src, Route* l, int32_t status);
  void EndAll(Out* o, int32_t status);  // every link into o
  void SetReading(int32_t src, Route* l);
  void Detach(int32_t src, Route* l);  // removes the link from its Out and the map
  void MaybeFree(Out* o);
  void FreeChunk(const Chunk& c);

  EventSink* out_;
  std::unique_ptr<Backend> inner_;
  std::vector<Slot> slots_;  // by handle slot; grows to the highest slot ever linked
  size_t links_ = 0, outs_ = 0;  // slots with a link, with a queue
  std::vector<int32_t> dirty_;  // destinations to service at the end of the batch
  struct Restore {
    int32_t src;
    bool read;
  };
  std::vector<Restore> restore_;  // reads to give back to JS's ask at the end of the batch
  std::vector<uint8_t*> spare_;  // free chunks of kChunk bytes, kept for reuse
  std::vector<uint8_t*> spare_small_;  // and of kSmallChunk bytes
  // The fresh chunk Room() last offered, not yet in any queue (data null: none), and whether
  // the last Room() offered it (else the tail of the queue's last chunk).
  Chunk room_{nullptr, 0, 0, false};
  bool room_used_ = false;
  std::vector<Slice> slices_;
  uint64_t bytes_queued_ = 0, bytes_queued_peak_ = 0, bytes_forwarded_ = 0;
  uint64_t reads_ = 0, sends_ = 0;  // Stats::Relay
};

}  // namespace ov

#endif  // OVERLAPPED_CORE_RELAY_H_
