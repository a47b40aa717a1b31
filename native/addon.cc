// Module init and the per-environment state. Each Node environment (the main thread and every
// worker thread) gets its own backend, created by init() and torn down by an async cleanup
// hook when the environment exits, so the addon is context-aware and worker-safe.
//
// The JS boundary is deliberately narrow (see lib/binding.ts for its typed mirror):
//  * One JS callback, registered once by init(), receives completions in batches:
//    (events: Int32Array of [kind, id, result, aux] quads, count, slabs: ArrayBuffer[]).
//    The events array is reused from batch to batch. Bytes received are copied once, out of
//    the pool into a slab (see EnvState::Room); a data event's kind carries its slab's index
//    in `slabs` above the low 8 bits, and aux its offset there. No allocation per chunk or per
//    batch, and consecutive chunks of one socket in a batch are merged into one, so a batch
//    costs one JS call whatever it holds.
//  * Calls into native are small and positional; arguments were validated in TypeScript, and
//    a wrong type here yields a TypeError, never a crash. Failures are negative error codes.
#include <napi.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#if defined(_WIN32)
#include <winsock2.h>
#include <ws2tcpip.h>
#else
#include <arpa/inet.h>
#endif

#include "core/backend.h"
#include "core/errors.h"
#include "core/relay.h"
#if defined(OVERLAPPED_DELAY_LOAD_HOOK)
#include "win/delay_load_hook.h"
#endif

namespace ov {
namespace {

struct RawEvent {
  int32_t kind, id, result, aux;
};

class EnvState final : public EventSink {
 public:
  explicit EnvState(napi_env env) : env_(env) {}
  ~EnvState() override {
    for (auto& kv : writes_) napi_delete_reference(env_, kv.second);
    if (callback_ref_ != nullptr) napi_delete_reference(env_, callback_ref_);
    if (async_context_ != nullptr) napi_async_destroy(env_, async_context_);
    for (Slab& sl : slabs_) napi_delete_reference(env_, sl.ref);
    if (events_ref_ != nullptr) napi_delete_reference(env_, events_ref_);
  }

  // --- EventSink ---
  void Emit(EventKind kind, int32_t id, int32_t result) override {
    events_.push_back(RawEvent{kind, id, result, 0});
  }
  // value's low 32 bits go in aux, the rest above the kind's low 8 bits (as a data event's
  // slab index): 2^55 bytes.
  void EmitWide(EventKind kind, int32_t id, int32_t result, uint64_t value) override {
    events_.push_back(RawEvent{kind | static_cast<int32_t>((value >> 32) << 8), id, result,
                               static_cast<int32_t>(static_cast<uint32_t>(value))});
  }
  void EmitData(int32_t id, const uint8_t* data, size_t len, size_t more = 0) override {
    uint8_t* dst = Room(id, len + more);
    memcpy(dst, data, len);
    Commit(id, len);
  }
  uint8_t* DataRoom(int32_t id, size_t len) override { return Room(id, len); }
  void CommitData(int32_t id, size_t len) override { Commit(id, len); }
  void Flush() override;

  napi_env env_;
  // The backend as the bindings see it: the relay, which passes to the real backend what
  // is not forwarding (core/relay.h), and which the real backend reports into.
  std::unique_ptr<Relay> backend_;
  napi_ref callback_ref_ = nullptr;
  napi_async_context async_context_ = nullptr;
  napi_async_cleanup_hook_handle cleanup_handle_ = nullptr;
  // The Buffer array of each socket's write in flight, kept alive until its kWrite event.
  std::unordered_map<int32_t, napi_ref> writes_;
  std::vector<Slice> slices_;  // scratch for Write()

 private:
  struct Chunk {
    size_t off, len;
  };
  // Received bytes go into slabs: ArrayBuffers of kSlabSize (or one read, if larger), each
  // filled front to back across batches and handed to JS, which takes a view of each chunk.
  // So a chunk costs a copy out of the pool and a view, and a slab is made per 256 KiB of
  // data, not per batch or per chunk. Bytes handed to JS are never written again; a full
  // slab is let go, to be freed by the GC once no view of it is left. A view a program keeps
  // pins its slab, as a small Buffer pins node's 8 KiB pool.
  static constexpr size_t kSlabSize = 256 * 1024;
  struct Slab {
    napi_ref ref;
    uint8_t* data;
    size_t used, cap;
    size_t base;  // where data starts in the ArrayBuffer JS sees
  };
  static int32_t DataKind(size_t slab) { return kData | static_cast<int32_t>(slab << 8); }
  // Whether the last event is socket id's data at the end of the slab being filled.
  bool Extends(int32_t id) const {
    return !events_.empty() && !slabs_.empty() &&
           events_.back().kind == DataKind(slabs_.size() - 1) &&
           events_.back().id == id;
  }
  // Room for len more bytes of socket id's data, contiguous with its chunk just before if
  // there is one (so that the two merge into one chunk).
  uint8_t* Room(int32_t id, size_t len) {
    Slab* slab = slabs_.empty() ? nullptr : &slabs_.back();
    if (slab != nullptr && slab->cap - slab->used >= len) return slab->data + slab->used;
    // A new slab. A chunk being extended moves along (it is this batch's, not yet seen by
    // JS, and at most one read), so that it stays one chunk.
    size_t keep = slab != nullptr && Extends(id) ? static_cast<size_t>(events_.back().result) : 0;
    size_t cap = keep + len > kSlabSize ? keep + len : kSlabSize;
    Slab next{nullptr, nullptr, keep, cap, 0};
    napi_handle_scope scope;
    bool ok = napi_open_handle_scope(env_, &scope) == napi_ok;
    if (ok) {
      // A Buffer, for its memory: napi_create_arraybuffer zero-fills (a memset of every byte
      // received, 8% of a bulk echo's time), node's Buffer::New does not. JS gets the
      // Buffer's ArrayBuffer; offsets count from its start (the Buffer's byte offset, 0 at
      // this size, where node does not pool).
      napi_value buf, ab;
      void* data = nullptr;
      size_t offset = 0;
      ok = napi_create_buffer(env_, cap, &data, &buf) == napi_ok &&
           napi_get_typedarray_info(env_, buf, nullptr, nullptr, nullptr, &ab, &offset) ==
               napi_ok &&
           napi_create_reference(env_, ab, 1, &next.ref) == napi_ok;
      next.data = static_cast<uint8_t*>(data);
      next.base = offset;
      napi_close_handle_scope(env_, scope);
    }
    if (!ok) {
      // The environment is going away (a worker being terminated): nobody will see this
      // batch. Give the backend somewhere to write, and drop the batch at Flush.
      broken_ = true;
      if (scratch_.size() < len) scratch_.resize(len);
      return scratch_.data();
    }
    if (keep > 0) {
      slab->used -= keep;
      memcpy(next.data, slab->data + slab->used, keep);
      events_.back().kind = DataKind(slabs_.size());
      events_.back().aux = static_cast<int32_t>(next.base);
    }
    slabs_.push_back(next);
    return next.data + keep;
  }
  void Commit(int32_t id, size_t len) {
    if (broken_) return;
    Slab& slab = slabs_.back();
    if (Extends(id) && events_.back().result + len < (1u << 30)) {
      events_.back().result += static_cast<int32_t>(len);  // same socket as the event before
    } else {
      events_.push_back(RawEvent{DataKind(slabs_.size() - 1), id, static_cast<int32_t>(len),
                                 static_cast<int32_t>(slab.base + slab.used)});
    }
    slab.used += len;
  }

  std::vector<RawEvent> events_;
  // Slabs this batch wrote into; the last is being filled and carries over to the next.
  std::vector<Slab> slabs_;
  // The events are copied into one Int32Array that JS reads each batch, made again only to
  // grow: a batch costs no allocation for its events either.
  napi_ref events_ref_ = nullptr;
  int32_t* events_mem_ = nullptr;
  size_t events_cap_ = 0;  // in events
  bool broken_ = false;
  std::vector<uint8_t> scratch_;
};

void EnvState::Flush() {
  if (events_.empty()) return;
  // Raw Node-API calls with their statuses checked: while a worker is being terminated every
  // call into JS fails, and then the batch is dropped quietly (nobody is left to receive it)
  // instead of throwing into an environment that can no longer take exceptions.
  Napi::Env env(env_);
  Napi::HandleScope scope(env);
  size_t n = events_.size();
  napi_value evs = nullptr, slabs, recv, cb, result;
  bool ok = !broken_;
  if (ok && n > events_cap_) {
    size_t cap = events_cap_ * 2 > n ? events_cap_ * 2 : (n > 1024 ? n : 1024);
    napi_value ab;
    void* mem = nullptr;
    if (events_ref_ != nullptr) napi_delete_reference(env_, events_ref_);
    events_ref_ = nullptr;
    events_cap_ = 0;
    ok = napi_create_arraybuffer(env_, cap * sizeof(RawEvent), &mem, &ab) == napi_ok &&
         napi_create_typedarray(env_, napi_int32_array, cap * 4, ab, 0, &evs) == napi_ok &&
         napi_create_reference(env_, evs, 1, &events_ref_) == napi_ok;
    if (ok) {
      events_mem_ = static_cast<int32_t*>(mem);
      events_cap_ = cap;
    }
  } else if (ok) {
    ok = napi_get_reference_value(env_, events_ref_, &evs) == napi_ok;
  }
  if (ok) memcpy(events_mem_, events_.data(), n * sizeof(RawEvent));
  ok = ok && napi_create_array_with_length(env_, slabs_.size(), &slabs) == napi_ok;
  for (size_t i = 0; ok && i < slabs_.size(); ++i) {
    napi_value ab;
    ok = napi_get_reference_value(env_, slabs_[i].ref, &ab) == napi_ok &&
         napi_set_element(env_, slabs, static_cast<uint32_t>(i), ab) == napi_ok;
  }
  // Slabs filled in this batch are let go (JS holds them now, through the argument); the
  // last one goes on being filled unless it is nearly full.
  size_t keep = !slabs_.empty() && slabs_.back().cap - slabs_.back().used >= 4096 ? 1 : 0;
  for (size_t i = 0; i + keep < slabs_.size(); ++i) napi_delete_reference(env_, slabs_[i].ref);
  if (keep) {
    Slab last = slabs_.back();
    slabs_.clear();
    slabs_.push_back(last);
  } else {
    slabs_.clear();
  }
  for (const RawEvent& ev : events_) {
    if (ev.kind != kWrite) continue;
    auto it = writes_.find(ev.id);
    if (it != writes_.end()) {
      napi_delete_reference(env_, it->second);
      writes_.erase(it);
    }
  }
  events_.clear();
  broken_ = false;
  if (!ok || napi_get_global(env_, &recv) != napi_ok ||
      napi_get_reference_value(env_, callback_ref_, &cb) != napi_ok || cb == nullptr)
    return;

  napi_value argv[3] = {evs, nullptr, slabs};
  if (napi_create_uint32(env_, static_cast<uint32_t>(n), &argv[1]) != napi_ok) return;
  napi_status st = napi_make_callback(env_, async_context_, recv, cb, 3, argv, &result);
  if (st == napi_pending_exception) {
    // We are on a bare loop callback: route the throw to process 'uncaughtException'.
    napi_value exc;
    if (napi_get_and_clear_last_exception(env_, &exc) == napi_ok) napi_fatal_exception(env_, exc);
  }
}

EnvState* State(const Napi::CallbackInfo& info) {
  EnvState* s = info.Env().GetInstanceData<EnvState>();
  if (s == nullptr || !s->backend_) {
    Napi::Error::New(info.Env(), "overlapped: binding used before init()")
        .ThrowAsJavaScriptException();
    return nullptr;
  }
  return s;
}

bool CheckArgs(const Napi::CallbackInfo& info, const char* types) {
  // types: one letter per argument: n number, s string, b boolean, f function, a array, o object
  for (size_t i = 0; types[i] != '\0'; ++i) {
    Napi::Value v = info[i];
    bool ok = false;
    switch (types[i]) {
      case 'n': ok = v.IsNumber(); break;
      case 's': ok = v.IsString(); break;
      case 'b': ok = v.IsBoolean(); break;
      case 'f': ok = v.IsFunction(); break;
      case 'a': ok = v.IsArray(); break;
      case 'o': ok = v.IsObject(); break;
    }
    if (!ok) {
      Napi::TypeError::New(info.Env(), "overlapped: bad argument " + std::to_string(i) +
                                           " to native binding")
          .ThrowAsJavaScriptException();
      return false;
    }
  }
  return true;
}

bool ParseAddress(const std::string& text, int family, uint16_t port, SockAddr* out) {
  *out = SockAddr{};
  out->family = family;
  out->port = port;
  return inet_pton(family == 6 ? AF_INET6 : AF_INET, text.c_str(), out->bytes) == 1;
}

Napi::Value FormatAddress(Napi::Env env, const SockAddr& a) {
  char text[64] = {};
  inet_ntop(a.family == 6 ? AF_INET6 : AF_INET, a.bytes, text, sizeof text);
  Napi::Array r = Napi::Array::New(env, 3);
  r.Set(0u, Napi::Number::New(env, a.family));
  r.Set(1u, Napi::String::New(env, text));
  r.Set(2u, Napi::Number::New(env, a.port));
  return r;
}

// ---- teardown --------------------------------------------------------------------------------

void TeardownDone(void* arg) {
  auto* s = static_cast<EnvState*>(arg);
  napi_async_cleanup_hook_handle h = s->cleanup_handle_;
  s->backend_.reset();
  delete s;
  napi_remove_async_cleanup_hook(h);
}

void AsyncCleanup(napi_async_cleanup_hook_handle handle, void* arg) {
  auto* s = static_cast<EnvState*>(arg);
  s->cleanup_handle_ = handle;
  napi_set_instance_data(s->env_, nullptr, nullptr, nullptr);
  s->backend_->Teardown(TeardownDone, s);
}

// ---- exported functions ----------------------------------------------------------------------

// init(callback, backendName, recvBufferSize, recvBufferCount, multishot) -> name | negative error
Napi::Value Init(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckArgs(info, "fsnnb")) return env.Null();
  EnvState* existing = env.GetInstanceData<EnvState>();
  if (existing != nullptr && existing->backend_)
    return Napi::String::New(env, existing->backend_->Name());

  std::string name = info[1].As<Napi::String>();
  Config cfg;
  cfg.recv_buffer_size = info[2].As<Napi::Number>().Uint32Value();
  cfg.recv_buffer_count = info[3].As<Napi::Number>().Uint32Value();
  cfg.recv_multishot = info[4].As<Napi::Boolean>();

  uv_loop_s* loop = nullptr;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok) return Napi::Number::New(env, kErrInval);
  auto state = std::make_unique<EnvState>(env);
  auto relay = std::make_unique<Relay>(state.get());
  std::unique_ptr<Backend> backend;
  int err = kErrInval;
#if defined(__linux__)
  if (name == "io_uring") backend = CreateUringBackend(loop, relay.get(), cfg, &err);
  if (name == "epoll") backend = CreateEpollBackend(loop, relay.get(), cfg, &err);
#elif defined(_WIN32)
  if (name == "iocp") backend = CreateIocpBackend(loop, relay.get(), cfg, &err);
#endif
  if (!backend) return Napi::Number::New(env, err);
  relay->SetBackend(std::move(backend));
  state->backend_ = std::move(relay);
  napi_value resource_name = Napi::String::New(env, "overlapped");
  napi_create_reference(env, info[0], 1, &state->callback_ref_);
  napi_async_init(env, nullptr, resource_name, &state->async_context_);
  EnvState* s = state.release();
  // No finalizer: the async cleanup hook owns the state's end (it must outlive the loop's
  // handle closes, which finish after instance data would be finalized).
  napi_set_instance_data(env, s, nullptr, nullptr);
  napi_add_async_cleanup_hook(env, AsyncCleanup, s, nullptr);
  return Napi::String::New(env, s->backend_->Name());
}

// listen(family, address, port, backlog, ipv6Only, reusePort, acceptsPosted) -> id | negative error
Napi::Value Listen(const Napi::CallbackInfo& info) {
  EnvState* s = State(info);
  if (s == nullptr || !CheckArgs(info, "nsnnbbn")) return info.Env().Null();
  SockAddr addr;
  if (!ParseAddress(info[1].As<Napi::String>(), info[0].As<Napi::Number>().Int32Value(),
                    static_cast<uint16_t>(info[2].As<Napi::Number>().Uint32Value()), &addr))
    return Napi::Number::New(info.Env(), kErrInval);
  ListenOptions opts;
  opts.backlog = info[3].As<Napi::Number>().Int32Value();
  opts.ipv6_only = info[4].As<Napi::Boolean>();
  opts.reuse_port = info[5].As<Napi::Boolean>();
  opts.iocp.accepts_posted = info[6].As<Napi::Number>().Int32Value();
  return Napi::Number::New(info.Env(), s->backend_->Listen(addr, opts));
}

// connect(family, address, port, localAddress, localPort) -> id | negative error
// localAddress '' means no explicit bind.
Napi::Value Connect(const Napi::CallbackInfo& info) {
  EnvState* s = State(info);
  if (s == nullptr || !CheckArgs(info, "nsnsn")) return info.Env().Null();
  int family = info[0].As<Napi::Number>().Int32Value();
  SockAddr addr, local;
  if (!ParseAddress(info[1].As<Napi::String>(), family,
                    static_cast<uint16_t>(info[2].As<Napi::Number>().Uint32Value()), &addr))
    return Napi::Number::New(info.Env(), kErrInval);
  std::string local_text = info[3].As<Napi::String>();
  bool has_local = !local_text.empty();
  if (has_local &&
      !ParseAddress(local_text, family,
                    static_cast<uint16_t>(info[4].As<Napi::Number>().Uint32Value()), &local))
    return Napi::Number::New(info.Env(), kErrInval);
  return Napi::Number::New(info.Env(),
                           s->backend_->Connect(addr, has_local ? &local : nullptr));
}

int32_t IdArg(const Napi::CallbackInfo& info) { return info[0].As<Napi::Number>().Int32Value(); }

// probe(backendName) -> 0 | negative error; starts nothing.
Napi::Value Probe(const Napi::CallbackInfo& info) {
  if (!CheckArgs(info, "s")) return info.Env().Null();
  std::string name = info[0].As<Napi::String>();
  int r = kErrInval;
#if defined(__linux__)
  if (name == "io_uring") r = ProbeUring();
  if (name == "epoll") r = ProbeEpoll();
#elif defined(_WIN32)
  if (name == "iocp") r = ProbeIocp();
#endif
  return Napi::Number::New(info.Env(), r);
}

Napi::Value AcceptPause(const Napi::CallbackInfo& info) {
  EnvState* s = State(info);
  if (s == nullptr || !CheckArgs(info, "nb")) return info.Env().Null();
  return Napi::Number::New(info.Env(),
                           s->backend_->AcceptPause(IdArg(info), info[1].As<Napi::Boolean>()));
}

Napi::Value ReadStart(const Napi::CallbackInfo& info) {
  EnvState* s = State(info);
  if (s == nullptr || !CheckArgs(info, "n")) return info.Env().Null();
  return Napi::Number::New(info.Env(), s->backend_->ReadStart(IdArg(info)));
}

Napi::Value ReadStop(const Napi::CallbackInfo& info) {
  EnvState* s = State(info);
  if (s == nullptr || !CheckArgs(info, "n")) return info.Env().Null();
  return Napi::Number::New(info.Env(), s->backend_->ReadStop(IdArg(info)));
}

// write(id, chunk | chunks) -> 1 (done), 0 (one kWrite event follows) | negative error.
// One chunk is passed bare: a write of one Buffer, the common case, builds no array.
Napi::Value Write(const Napi::CallbackInfo& info) {
  EnvState* s = State(info);
  if (s == nullptr || !CheckArgs(info, "n")) return info.Env().Null();
  int32_t id = IdArg(info);  // a second write in flight is refused by the backend (EBUSY)
  napi_env env = info.Env();
  napi_value arg = info[1];
  auto slice_of = [env](napi_value v, Slice* out) {
    napi_typedarray_type type;
    size_t len = 0, offset = 0;
    void* data = nullptr;
    bool is_ta = false;
    if (napi_is_typedarray(env, v, &is_ta) != napi_ok || !is_ta ||
        napi_get_typedarray_info(env, v, &type, &len, &data, nullptr, &offset) != napi_ok ||
        type != napi_uint8_array)
      return false;
    *out = Slice{static_cast<const uint8_t*>(data), len};
    return true;
  };
  bool is_array = false;
  napi_is_array(env, arg, &is_array);
  uint32_t n = 1;
  bool ok = true;
  if (is_array) {
    napi_get_array_length(env, arg, &n);
    s->slices_.resize(n);
    for (uint32_t i = 0; ok && i < n; ++i) {
      napi_value v;
      ok = napi_get_element(env, arg, i, &v) == napi_ok && slice_of(v, &s->slices_[i]);
    }
  } else {
    s->slices_.resize(1);
    ok = slice_of(arg, &s->slices_[0]);
  }
  if (!ok) {
    Napi::TypeError::New(env, "overlapped: write() takes Uint8Array chunks")
        .ThrowAsJavaScriptException();
    return info.Env().Null();
  }
  int r = s->backend_->Write(id, s->slices_.data(), n);
  if (r == 0) {
    // In the background: the chunks must outlive the send, until the kWrite event.
    napi_ref ref;
    napi_create_reference(env, arg, 1, &ref);
    s->writes_[id] = ref;
  }
  return Napi::Number::New(env, r);
}

Napi::Value Shutdown(const Napi::CallbackInfo& info) {
  EnvState* s = State(info);
  if (s == nullptr || !CheckArgs(info, "n")) return info.Env().Null();
  return Napi::Number::New(info.Env(), s->backend_->Shutdown(IdArg(info)));
}

Napi::Value Close(const Napi::CallbackInfo& info) {
  EnvState* s = State(info);
  if (s == nullptr || !CheckArgs(info, "nb")) return info.Env().Null();
  return Napi::Number::New(info.Env(),
                           s->backend_->Close(IdArg(info), info[1].As<Napi::Boolean>()));
}

// link(src, dst, cap, reading) -> 0 | negative error: src's bytes go to dst natively.
Napi::Value Link(const Napi::CallbackInfo& info) {
  EnvState* s = State(info);
  if (s == nullptr || !CheckArgs(info, "nnnb")) return info.Env().Null();
  int32_t dst = info[1].As<Napi::Number>().Int32Value();
  // A JS write to dst still in flight would be answered after forwarded bytes had gone:
  // JS links once dst's own writes are done.
  if (s->writes_.count(dst) != 0) return Napi::Number::New(info.Env(), kErrBusy);
  return Napi::Number::New(
      info.Env(), s->backend_->Link(IdArg(info), dst, info[2].As<Napi::Number>().Uint32Value(),
                                    info[3].As<Napi::Boolean>()));
}

Napi::Value Unlink(const Napi::CallbackInfo& info) {
  EnvState* s = State(info);
  if (s == nullptr || !CheckArgs(info, "n")) return info.Env().Null();
  return Napi::Number::New(info.Env(), static_cast<double>(s->backend_->Unlink(IdArg(info))));
}

// forwarded(src) -> bytes src's link has forwarded so far | negative error
Napi::Value Forwarded(const Napi::CallbackInfo& info) {
  EnvState* s = State(info);
  if (s == nullptr || !CheckArgs(info, "n")) return info.Env().Null();
  return Napi::Number::New(info.Env(), static_cast<double>(s->backend_->Forwarded(IdArg(info))));
}

Napi::Value SetNoDelay(const Napi::CallbackInfo& info) {
  EnvState* s = State(info);
  if (s == nullptr || !CheckArgs(info, "nb")) return info.Env().Null();
  return Napi::Number::New(info.Env(),
                           s->backend_->SetNoDelay(IdArg(info), info[1].As<Napi::Boolean>()));
}

Napi::Value SetKeepAlive(const Napi::CallbackInfo& info) {
  EnvState* s = State(info);
  if (s == nullptr || !CheckArgs(info, "nbn")) return info.Env().Null();
  return Napi::Number::New(
      info.Env(), s->backend_->SetKeepAlive(IdArg(info), info[1].As<Napi::Boolean>(),
                                            info[2].As<Napi::Number>().Uint32Value()));
}

// largeReads(on): reads may take up to 64 KiB (off while the write budget is under pressure)
Napi::Value LargeReads(const Napi::CallbackInfo& info) {
  EnvState* s = State(info);
  if (s == nullptr || !CheckArgs(info, "b")) return info.Env().Null();
  s->backend_->SetLargeReads(info[0].As<Napi::Boolean>());
  return info.Env().Undefined();
}

Napi::Value SetRef(const Napi::CallbackInfo& info) {
  EnvState* s = State(info);
  if (s == nullptr || !CheckArgs(info, "nb")) return info.Env().Null();
  return Napi::Number::New(info.Env(),
                           s->backend_->SetRef(IdArg(info), info[1].As<Napi::Boolean>()));
}

// address(id, peer) -> [family, address, port] | negative error
Napi::Value Address(const Napi::CallbackInfo& info) {
  EnvState* s = State(info);
  if (s == nullptr || !CheckArgs(info, "nb")) return info.Env().Null();
  SockAddr a;
  int r = s->backend_->GetAddress(IdArg(info), info[1].As<Napi::Boolean>(), &a);
  if (r != 0) return Napi::Number::New(info.Env(), r);
  return FormatAddress(info.Env(), a);
}

Napi::Value GetStats(const Napi::CallbackInfo& info) {
  EnvState* s = State(info);
  if (s == nullptr) return info.Env().Null();
  Stats st;
  s->backend_->GetStats(&st);
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  auto num = [&](const char* k, double v) { o.Set(k, Napi::Number::New(env, v)); };
  num("poolBytes", static_cast<double>(st.pool_bytes));
  num("poolBuffers", st.pool_buffers);
  num("buffersInUse", st.buffers_in_use);
  num("buffersInUsePeak", st.buffers_in_use_peak);
  num("socketsWaitingForBuffers", st.sockets_waiting);
  num("bufferWaits", static_cast<double>(st.buffer_waits));
  num("socketsOpen", st.sockets_open);
  num("listenersOpen", st.listeners_open);
  num("acceptErrors", static_cast<double>(st.accept_errors));
  num("acceptsPaused", static_cast<double>(st.accepts_paused));
  num("bytesInFlight", static_cast<double>(st.bytes_in_flight));
  num("bytesInFlightPeak", static_cast<double>(st.bytes_in_flight_peak));
  num("completionsInline", static_cast<double>(st.iocp.completions_inline));
  num("completionsDropped", static_cast<double>(st.uring.completions_dropped));
  num("maxReadBytes", st.max_read_bytes);
  num("relayLinks", st.relay.links);
  num("relayBytesQueued", static_cast<double>(st.relay.bytes_queued));
  num("relayBytesQueuedPeak", static_cast<double>(st.relay.bytes_queued_peak));
  num("relayBytesForwarded", static_cast<double>(st.relay.bytes_forwarded));
  num("relayReads", static_cast<double>(st.relay.reads));
  num("relaySends", static_cast<double>(st.relay.sends));
  return o;
}

Napi::Object ModuleInit(Napi::Env env, Napi::Object exports) {
  exports.Set("init", Napi::Function::New(env, Init, "init"));
  exports.Set("listen", Napi::Function::New(env, Listen, "listen"));
  exports.Set("connect", Napi::Function::New(env, Connect, "connect"));
  exports.Set("probe", Napi::Function::New(env, Probe, "probe"));
  exports.Set("acceptPause", Napi::Function::New(env, AcceptPause, "acceptPause"));
  exports.Set("readStart", Napi::Function::New(env, ReadStart, "readStart"));
  exports.Set("readStop", Napi::Function::New(env, ReadStop, "readStop"));
  exports.Set("write", Napi::Function::New(env, Write, "write"));
  exports.Set("shutdown", Napi::Function::New(env, Shutdown, "shutdown"));
  exports.Set("close", Napi::Function::New(env, Close, "close"));
  exports.Set("link", Napi::Function::New(env, Link, "link"));
  exports.Set("unlink", Napi::Function::New(env, Unlink, "unlink"));
  exports.Set("forwarded", Napi::Function::New(env, Forwarded, "forwarded"));
  exports.Set("setNoDelay", Napi::Function::New(env, SetNoDelay, "setNoDelay"));
  exports.Set("setKeepAlive", Napi::Function::New(env, SetKeepAlive, "setKeepAlive"));
  exports.Set("setRef", Napi::Function::New(env, SetRef, "setRef"));
  exports.Set("largeReads", Napi::Function::New(env, LargeReads, "largeReads"));
  exports.Set("address", Napi::Function::New(env, Address, "address"));
  exports.Set("stats", Napi::Function::New(env, GetStats, "stats"));
  return exports;
}

}  // namespace
}  // namespace ov

static Napi::Object InitModule(Napi::Env env, Napi::Object exports) {
#if defined(OVERLAPPED_DELAY_LOAD_HOOK)
  // The mingw build (scripts/build-windows.mjs): its imports are bound here, before the first
  // Node-API call, not lazily per call (native/win/delay_load_hook.cc says why). When the host
  // lacks one, nothing can be called safely, so no functions are exported: lib/binding.ts then
  // counts the file as one that did not load.
  if (!BindHostImports()) return Napi::Object();
#endif
  return ov::ModuleInit(env, exports);
}

NODE_API_MODULE(overlapped, InitModule)
