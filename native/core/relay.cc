// Forwarding between sockets inside the addon: see relay.h for the design.
#include "relay.h"

#include <cstdlib>
#include <cstring>

#include "errors.h"

namespace ov {
namespace {

// Forwarded bytes are held in chunks of one read: a source's read lands in one chunk, and a
// destination that keeps up holds at most one (a Write() the kernel takes at once frees it).
constexpr size_t kChunk = kMaxRead;
// Free chunks kept for reuse across all links, so that a busy relay does not call malloc per
// read; beyond this, freed memory goes back to the system (idle links hold none).
constexpr size_t kSpareChunks = 64;
// A read this small is moved out of its read-sized chunk into a chunk of its own size class,
// and the large one is offered to the next read. With many busy links (1000 relayed
// ping-pongs), a 64 KiB chunk per message in flight outran the spares, and malloc gave the
// heap back and took it again (brk, and fresh zeroed pages) about once per ten messages.
constexpr size_t kSmallChunk = 4096;
constexpr size_t kSpareSmall = 1024;  // 4 MiB at most
// Slices per Write(): as many chunks as a gathered send takes at once.
constexpr size_t kMaxSlices = 16;

}  // namespace

Relay::~Relay() {
  for (Slot& s : slots_)
    if (s.out != nullptr)
      for (const Chunk& c : s.out->q) FreeChunk(c);
  if (room_.data != nullptr) free(room_.data);
  for (uint8_t* p : spare_) free(p);
  for (uint8_t* p : spare_small_) free(p);
}

void Relay::FreeChunk(const Chunk& c) {
  if (c.cap == 0) return;  // a JS write's bytes: JS owns them
  if (c.cap == kSmallChunk && spare_small_.size() < kSpareSmall) {
    spare_small_.push_back(c.data);
  } else if (c.cap == kChunk && spare_.size() < kSpareChunks) {
    spare_.push_back(c.data);
  } else {
    free(c.data);
  }
}

// ---- links ------------------------------------------------------------------------------------

int Relay::Link(int32_t src, int32_t dst, uint32_t cap, bool reading) {
  if (src == dst) return kErrInval;
  if (FindLink(src) != nullptr) return kErrBusy;
  if (!inner_->IsSocket(src) || !inner_->IsSocket(dst)) return kErrBadF;
  Out* o = FindOut(dst);
  if (o == nullptr) {
    auto fresh = std::make_unique<Out>();
    fresh->id = dst;
    o = fresh.get();
    Slot& d = GrowTo(dst);
    d.out = std::move(fresh);
    d.out_id = dst;
    ++outs_;
  }
  o->cap = cap > 0 ? cap : 1;
  o->srcs.push_back(src);
  Slot& s = GrowTo(src);
  s.link_id = src;
  s.route = Route{};
  ++links_;
  Route& l = s.route;
  l.out = o;
  // The backend reads src as JS last asked; from now on what JS asks is combined with the
  // destination's room (SetReading).
  l.js_read = l.reading = reading;
  SetReading(src, &l);
  return 0;
}

int64_t Relay::Unlink(int32_t src) {
  Route* l = FindLink(src);
  if (l == nullptr) return kErrInval;
  bool js_read = l->js_read, reading = l->reading;
  int64_t bytes = static_cast<int64_t>(l->bytes);
  Out* o = l->out;
  Detach(src, l);
  // Back to what JS asked: JS's own read state never changed while the link lasted.
  if (js_read && !reading) inner_->ReadStart(src);
  if (!js_read && reading) inner_->ReadStop(src);
  MaybeFree(o);
  return bytes;
}

void Relay::Detach(int32_t src, Route* l) {
  Out* o = l->out;
  for (size_t i = 0; i < o->srcs.size(); ++i) {
    if (o->srcs[i] == src) {
      o->srcs[i] = o->srcs.back();
      o->srcs.pop_back();
      break;
    }
  }
  Slot* s = SlotOf(src);
  s->link_id = 0;
  --links_;
}

void Relay::End(int32_t src, Route* l, int32_t status) {
  out_->EmitWide(kRelayEnd, src, status, l->bytes);
  // A link that ends with its source still open (its destination closed) gives the source's
  // reads back to what JS asked, at the end of the batch (no backend call from inside one).
  if (status == kErrCanceled && l->js_read != l->reading) restore_.push_back({src, l->js_read});
  Detach(src, l);
}

void Relay::EndAll(Out* o, int32_t status) {
  while (!o->srcs.empty()) {
    int32_t src = o->srcs.back();
    End(src, FindLink(src), status);
  }
}

void Relay::SetReading(int32_t src, Route* l) {
  const Out* o = l->out;
  bool on = l->js_read && !l->eof && o->error == 0 && o->queued < o->cap;
  if (on == l->reading) return;
  l->reading = on;
  if (on) {
    inner_->ReadStart(src);
  } else {
    inner_->ReadStop(src);
  }
}

void Relay::MaybeFree(Out* o) {
  if (o->dirty || !o->srcs.empty() || !o->q.empty() || o->inflight != 0 || o->direct ||
      o->shutdown || o->error != 0)
    return;
  EraseOut(o->id);
}

void Relay::EraseOut(int32_t id) {
  Slot* s = SlotOf(id);
  s->out_id = 0;
  s->out.reset();
  --outs_;
}

// ---- reads (the backend's side) -----------------------------------------------------------------

uint8_t* Relay::Room(Out* o, size_t len) {
  room_used_ = false;
  if (!o->q.empty()) {
    Chunk& last = o->q.back();
    if (last.cap - last.len >= len && last.cap != 0) return last.data + last.len;
  }
  // A fresh chunk joins the queue only once bytes land in it (Added): a read that finds
  // nothing (a backend tries one as soon as a socket may be readable) leaves no empty chunk
  // behind, and an idle link holds no memory.
  room_used_ = true;
  if (room_.data != nullptr && room_.cap >= len) return room_.data;  // offered before, unused
  if (room_.data != nullptr) FreeChunk(room_);
  room_ = NewChunk(len);
  return room_.data;
}

Relay::Chunk Relay::NewChunk(size_t len) {
  size_t cap = len <= kSmallChunk ? kSmallChunk : len > kChunk ? len : kChunk;
  std::vector<uint8_t*>* spare = cap == kSmallChunk ? &spare_small_ : cap == kChunk ? &spare_ : nullptr;
  uint8_t* data;
  if (spare != nullptr && !spare->empty()) {
    data = spare->back();
    spare->pop_back();
  } else {
    data = static_cast<uint8_t*>(malloc(cap));
  }
  return Chunk{data, 0, cap, false};
}

void Relay::Added(Route* l, size_t len) {
  Out* o = l->out;
  if (room_used_) {  // the bytes are in the fresh chunk Room() offered
    room_used_ = false;
    if (len <= kSmallChunk && room_.cap > kSmallChunk) {
      // A small read in a large room: it moves to a small chunk, the room stays on offer.
      Chunk small = NewChunk(len);
      memcpy(small.data, room_.data, len);
      o->q.push_back(small);
    } else {
      o->q.push_back(room_);
      room_ = Chunk{nullptr, 0, 0, false};
    }
  }
  o->q.back().len += len;
  o->queued += len;
  l->bytes += len;
  bytes_forwarded_ += len;
  ++reads_;
  bytes_queued_ += len;
  if (bytes_queued_ > bytes_queued_peak_) bytes_queued_peak_ = bytes_queued_;
  MarkDirty(o);
}

void Relay::MarkDirty(Out* o) {
  if (o->dirty) return;
  o->dirty = true;
  dirty_.push_back(o->id);
}

void Relay::EmitData(int32_t id, const uint8_t* data, size_t len, size_t more) {
  Route* l = FindLink(id);
  if (l == nullptr) {
    out_->EmitData(id, data, len, more);
    return;
  }
  if (len == 0) return;
  memcpy(Room(l->out, len), data, len);
  Added(l, len);
}

uint8_t* Relay::DataRoom(int32_t id, size_t len) {
  Route* l = FindLink(id);
  if (l == nullptr) return out_->DataRoom(id, len);
  return Room(l->out, len);
}

void Relay::CommitData(int32_t id, size_t len) {
  Route* l = FindLink(id);
  if (l == nullptr) {
    out_->CommitData(id, len);
    return;
  }
  if (len > 0) Added(l, len);
}

void Relay::Emit(EventKind kind, int32_t id, int32_t result) {
  if (links_ == 0 && outs_ == 0) {
    out_->Emit(kind, id, result);
    return;
  }
  switch (kind) {
    case kWrite: {
      Out* o = FindOut(id);
      if (o == nullptr) break;
      if (o->inflight != 0) {  // the relay's own write: not JS's business
        size_t n = o->inflight;
        o->inflight = 0;
        ReturnedOrFailed(o, n, result);
        return;
      }
      if (o->direct) {  // JS's write passed straight through: JS gets its answer
        o->direct = false;
        out_->Emit(kind, id, result);
        if (result < 0) Fail(o, result);
        MarkDirty(o);
        return;
      }
      break;
    }
    case kEof: {
      Route* l = FindLink(id);
      if (l != nullptr) {
        l->eof = true;
        l->reading = false;
        MarkDirty(l->out);  // the link ends once what it forwarded is sent
      }
      break;
    }
    case kReadError: {
      Route* l = FindLink(id);
      if (l != nullptr) {
        l->reading = false;
        Out* o = l->out;
        End(id, l, result);
        MarkDirty(o);
      }
      break;
    }
    case kClose: {
      Route* l = FindLink(id);
      if (l != nullptr) {  // JS closed a source: what it forwarded is still sent
        Out* o = l->out;
        Detach(id, l);
        MarkDirty(o);
      }
      Out* o = FindOut(id);
      if (o != nullptr) {
        // The destination is gone: its queue with it, a JS write waiting in it answered
        // first (its kWrite comes before kClose), and the links into it ended.
        if (o->js_queued) out_->Emit(kWrite, id, kErrCanceled);
        EndAll(o, kErrCanceled);
        for (const Chunk& c : o->q) FreeChunk(c);
        bytes_queued_ -= o->queued;
        EraseOut(id);  // a stale entry in dirty_ finds nothing
      }
      break;
    }
    default:
      break;
  }
  out_->Emit(kind, id, result);
}

// ---- writes ---------------------------------------------------------------------------------------

void Relay::ReturnedOrFailed(Out* o, size_t n, int32_t result) {
  if (result < 0) {
    Fail(o, result);
  } else {
    Consume(o, n);
  }
  MarkDirty(o);
}

void Relay::Consume(Out* o, size_t n) {
  o->queued -= n;
  bytes_queued_ -= n;
  while (n > 0) {
    Chunk& c = o->q.front();
    size_t take = c.len - o->head;
    if (take > n) {
      o->head += n;
      break;
    }
    n -= take;
    bool js_last = c.js_last;
    FreeChunk(c);
    o->q.pop_front();
    o->head = 0;
    if (js_last) {
      o->js_queued = false;
      out_->Emit(kWrite, o->id, 0);
    }
  }
}

void Relay::Fail(Out* o, int32_t err) {
  if (o->error != 0) return;
  o->error = err;
  if (o->js_queued) {
    o->js_queued = false;
    out_->Emit(kWrite, o->id, err);
  }
  for (const Chunk& c : o->q) FreeChunk(c);
  o->q.clear();
  o->head = 0;
  bytes_queued_ -= o->queued;
  o->queued = 0;
  o->shutdown = false;
  EndAll(o, err);
  // JS learns that the destination failed as it would from its own write.
  out_->Emit(kRelayWriteError, o->id, err);
}

void Relay::Service(Out* o) {
  while (o->error == 0 && !o->direct && o->inflight == 0 && o->queued > 0) {
    slices_.clear();
    size_t total = 0, off = o->head;
    for (const Chunk& c : o->q) {
      if (slices_.size() == kMaxSlices) break;
      if (c.len > off) {
        slices_.push_back(Slice{c.data + off, c.len - off});
        total += c.len - off;
      }
      off = 0;
    }
    int r = inner_->Write(o->id, slices_.data(), slices_.size());
    ++sends_;
    if (r == 1) {
      Consume(o, total);
    } else if (r == 0) {
      o->inflight = total;
    } else {
      Fail(o, r);
    }
  }
  bool idle = o->error == 0 && o->queued == 0 && o->inflight == 0 && !o->direct;
  if (idle && o->shutdown) {
    o->shutdown = false;
    inner_->Shutdown(o->id);  // as JS's own end(): a peer already gone is no failure
  }
  // From the back: End() moves the last source into the slot it frees, one already seen.
  for (size_t i = o->srcs.size(); i-- > 0;) {
    int32_t src = o->srcs[i];
    Route* l = FindLink(src);
    if (idle && l->eof) {
      End(src, l, 0);  // everything it read before its FIN is sent
    } else {
      SetReading(src, l);
    }
  }
}

int Relay::Write(int32_t id, const Slice* slices, size_t count) {
  Out* o = FindOut(id);
  if (o == nullptr) return inner_->Write(id, slices, count);
  if (o->error != 0) return o->error;
  if (o->queued == 0 && o->inflight == 0 && !o->direct) {
    int r = inner_->Write(id, slices, count);
    if (r == 0) o->direct = true;
    return r;
  }
  if (o->direct || o->js_queued) return kErrBusy;  // one JS write at a time, as the seam says
  // Behind forwarded bytes, in order. A relay write is in flight (queued bytes outside a
  // batch always are), so its completion carries this one on; the kWrite answers it.
  size_t total = 0;
  for (size_t i = 0; i < count; ++i) {
    if (slices[i].len == 0) continue;
    o->q.push_back(Chunk{const_cast<uint8_t*>(slices[i].data), slices[i].len, 0, false});
    total += slices[i].len;
  }
  if (total == 0) return 1;
  o->q.back().js_last = true;
  o->js_queued = true;
  o->queued += total;
  bytes_queued_ += total;
  if (bytes_queued_ > bytes_queued_peak_) bytes_queued_peak_ = bytes_queued_;
  return 0;
}

int Relay::Shutdown(int32_t id) {
  Out* o = FindOut(id);
  if (o == nullptr || o->error != 0 || (o->queued == 0 && o->inflight == 0))
    return inner_->Shutdown(id);
  o->shutdown = true;  // after the forwarded bytes still queued
  return 0;
}

int Relay::ReadStart(int32_t id) {
  Route* l = FindLink(id);
  if (l == nullptr) return inner_->ReadStart(id);
  l->js_read = true;
  SetReading(id, l);
  return 0;
}

int Relay::ReadStop(int32_t id) {
  Route* l = FindLink(id);
  if (l == nullptr) return inner_->ReadStop(id);
  l->js_read = false;
  SetReading(id, l);
  return 0;
}

// ---- the batch ------------------------------------------------------------------------------------

void Relay::Flush() {
  for (size_t i = 0; i < dirty_.size(); ++i) {
    Out* o = FindOut(dirty_[i]);
    if (o == nullptr) continue;
    o->dirty = false;
    Service(o);
  }
  for (size_t i = 0; i < dirty_.size(); ++i) {
    Out* o = FindOut(dirty_[i]);
    if (o != nullptr && !o->dirty) MaybeFree(o);
  }
  dirty_.clear();
  for (const Restore& r : restore_) {
    if (r.read) {
      inner_->ReadStart(r.src);
    } else {
      inner_->ReadStop(r.src);
    }
  }
  restore_.clear();
  out_->Flush();
}

void Relay::GetStats(Stats* out) const {
  inner_->GetStats(out);
  out->relay.links = static_cast<uint32_t>(links_);
  out->relay.bytes_queued = bytes_queued_;
  out->relay.bytes_queued_peak = bytes_queued_peak_;
  out->relay.bytes_forwarded = bytes_forwarded_;
  out->relay.reads = reads_;
  out->relay.sends = sends_;
}

void Relay::Teardown(void (*done)(void* arg), void* arg) { inner_->Teardown(done, arg); }

}  // namespace ov
