// The shared half of every backend (see backend_base.h for what lives here and why).
#include "backend_base.h"

#include "errors.h"

namespace ov {

// ---- handles ---------------------------------------------------------------------------------

bool BackendBase::Register(ConnBase* c, bool listener) {
  c->listener = listener;
  int32_t id = conns_.Insert(c);
  if (id == 0) return false;
  c->id = id;
  if (listener)
    ++listeners_open_;
  else
    ++sockets_open_;
  Ref(c, true);
  return true;
}

void BackendBase::Unregister(ConnBase* c) {
  if (c->refed) Ref(c, false);
  if (c->listener)
    --listeners_open_;
  else
    --sockets_open_;
  // Stale ids left in the backend's queues (and in accept_retry_) now resolve to nothing.
  conns_.Remove(c->id);
}

void BackendBase::Finalize(ConnBase* c) {
  int32_t id = c->id;
  Unregister(c);
  Free(c);
  sink_->Emit(kClose, id, 0);
}

void BackendBase::FreeAll() {
  conns_.ForEach([this](ConnBase* c) { Free(c); });
  conns_ = HandleTable<ConnBase>();
}

void BackendBase::Ref(ConnBase* c, bool on) {
  c->refed = on;
  if (on) {
    if (refs_++ == 0 && ref_anchor_ != nullptr) uv_ref(ref_anchor_);
  } else if (--refs_ == 0 && ref_anchor_ != nullptr) {
    uv_unref(ref_anchor_);
  }
}

int BackendBase::SetRef(int32_t id, bool ref) {
  ConnBase* c = conns_.Get(id);
  if (c == nullptr) return kErrBadF;
  if (c->closing) return 0;  // referenced until its kClose (see BeginClose())
  if (c->refed != ref) Ref(c, ref);
  return 0;
}

ConnBase* BackendBase::BeginClose(int32_t id) {
  ConnBase* c = FindOpen(id);
  if (c == nullptr) return nullptr;
  c->closing = true;
  c->want_read = false;
  // A closing handle keeps the loop alive until its kClose, as a closing libuv handle does:
  // otherwise an unref()ed socket's destroy() could let the process exit before 'close'.
  // Finalize() drops the ref.
  if (!c->refed) Ref(c, true);
  return c;
}

// ---- accept retries --------------------------------------------------------------------------

void BackendBase::QueueAcceptRetry(ConnBase* l, bool backoff) {
  // Never give up on the listener (core/accept_retry.h): unlike libuv's Windows AcceptEx
  // path, a failure only delays the next accept. Accepts failing together in one round are
  // one back-off step: the later ones find the retry already scheduled.
  if (!l->retry.Schedule(uv_now(loop_), backoff)) return;
  if (backoff) ++accepts_paused_;
  accept_retry_.push_back(l->id);
  ArmAcceptTimer();
}

void BackendBase::ArmAcceptTimer() {
  if (accept_retry_.empty()) return;
  uv_timer_start(&accept_timer_, OnAcceptTimer, NextRetryIn(accept_retry_, conns_, uv_now(loop_)),
                 0);
}

void BackendBase::OnAcceptTimer(uv_timer_t* h) {
  auto* self = static_cast<BackendBase*>(h->data);
  uint64_t now = uv_now(self->loop_);
  std::vector<int32_t> ids;
  ids.swap(self->accept_retry_);
  for (int32_t id : ids) {
    ConnBase* l = self->FindOpen(id);
    if (l == nullptr) continue;
    if (l->retry.due > now) {  // another listener's time came first
      self->accept_retry_.push_back(id);
      continue;
    }
    l->retry.waiting = false;
    self->RetryAccept(l);  // may queue it again
  }
  self->ArmAcceptTimer();
  self->AcceptRetriesDone();
}

// ---- writes ----------------------------------------------------------------------------------

int BackendBase::CheckWrite(const ConnBase* c, const Slice* slices, size_t count) const {
  if (c == nullptr || c->listener) return kErrBadF;
  if (c->write_active) return kErrBusy;
  size_t total = 0;
  for (size_t i = 0; i < count; ++i) total += slices[i].len;
  return total == 0 ? kErrInval : 0;  // JS completes empty writes itself
}

void BackendBase::LendBytes(ConnBase* c, size_t n) {
  c->send_bytes = n;
  bytes_in_flight_ += n;
  if (bytes_in_flight_ > bytes_in_flight_peak_) bytes_in_flight_peak_ = bytes_in_flight_;
}

void BackendBase::ReturnBytes(ConnBase* c) {
  bytes_in_flight_ -= c->send_bytes;
  c->send_bytes = 0;
}

// ---- the loop --------------------------------------------------------------------------------

void BackendBase::StartLoopHandles() {
  uv_timer_init(loop_, &accept_timer_);
  accept_timer_.data = this;
  // Only open, referenced sockets keep the loop alive (see Ref()).
  uv_unref(reinterpret_cast<uv_handle_t*>(&accept_timer_));
  handles_started_ = true;
}

void BackendBase::FillStats(Stats* out) const {
  out->pool_bytes = pool_.bytes();
  out->pool_buffers = pool_.count();
  out->buffers_in_use = pool_.in_use();
  out->buffers_in_use_peak = pool_.peak();
  out->sockets_open = sockets_open_;
  out->listeners_open = listeners_open_;
  out->accept_errors = accept_errors_;
  out->accepts_paused = accepts_paused_;
  out->bytes_in_flight = bytes_in_flight_;
  out->bytes_in_flight_peak = bytes_in_flight_peak_;
  out->max_read_bytes = ReadSize();
}

void BackendBase::OnHandleClosed(uv_handle_t* h) {
  auto* self = static_cast<BackendBase*>(h->data);
  if (--self->handles_open_ == 0 && self->teardown_done_ != nullptr)
    self->teardown_done_(self->teardown_arg_);
}

void BackendBase::CloseLoopHandles(std::initializer_list<uv_handle_t*> handles,
                                   void (*done)(void*), void* arg) {
  if (!handles_started_) {
    done(arg);
    return;
  }
  teardown_done_ = done;
  teardown_arg_ = arg;
  handles_open_ = static_cast<int>(handles.size()) + 1;
  // The callbacks find this object through data, whatever the backend had put there.
  for (uv_handle_t* h : handles) {
    h->data = this;
    uv_close(h, OnHandleClosed);
  }
  uv_close(reinterpret_cast<uv_handle_t*>(&accept_timer_), OnHandleClosed);
}

}  // namespace ov
