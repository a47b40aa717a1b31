// How a listener whose accept failed tries again, the same on every backend: after 1 ms when
// the failure belonged to the one connection being taken, otherwise after a back-off of 20 ms
// doubling to 1 s (one step per failed round, reset by a successful accept). Listeners waiting
// to retry share one timer, due at the earliest of their own times (BackendBase holds it).
#ifndef OVERLAPPED_CORE_ACCEPT_RETRY_H_
#define OVERLAPPED_CORE_ACCEPT_RETRY_H_

#include <cstdint>
#include <vector>

#include "handle_table.h"

namespace ov {

// Whether a failed accept (a negative error of the one error space, core/errors.h) belonged to
// the one connection being taken, so that the listener tries again at once; every other
// failure backs off. Defined in accept_retry.cc for both error spaces.
bool AcceptFailureIsPerConnection(int err);

struct AcceptRetry {
  bool waiting = false;    // queued for the retry timer
  unsigned backoff_ms = 0;
  uint64_t due = 0;        // uv_now() when to try again

  // Schedules the next try from now; returns false if one is already scheduled.
  bool Schedule(uint64_t now, bool backoff) {
    if (waiting) return false;
    uint64_t delay = 1;
    if (backoff) {
      backoff_ms = backoff_ms == 0 ? 20 : backoff_ms * 2;
      if (backoff_ms > 1000) backoff_ms = 1000;
      delay = backoff_ms;
    }
    waiting = true;
    due = now + delay;
    return true;
  }
};

// Milliseconds until the earliest due time among the listeners in `ids` (whose Conn has an
// AcceptRetry member `retry`), 0 if one is due or none is found.
template <typename Conn>
uint64_t NextRetryIn(const std::vector<int32_t>& ids, const HandleTable<Conn>& conns,
                     uint64_t now) {
  uint64_t due = UINT64_MAX;
  for (int32_t id : ids) {
    Conn* c = conns.Get(id);
    if (c != nullptr && c->retry.due < due) due = c->retry.due;
  }
  return due != UINT64_MAX && due > now ? due - now : 0;
}

}  // namespace ov

#endif  // OVERLAPPED_CORE_ACCEPT_RETRY_H_
