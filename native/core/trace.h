// Opt-in tracing of what a backend does with each handle, for diagnosing behaviour on a
// platform at hand (Windows under Wine, say) without a debugger: OVERLAPPED_TRACE=1 in the
// environment writes one line per operation and completion to stderr. Off, it costs one
// predictable branch per call site.
#ifndef OVERLAPPED_CORE_TRACE_H_
#define OVERLAPPED_CORE_TRACE_H_

#include <cstdio>
#include <cstdlib>

namespace ov {

inline bool TraceOn() {
  static const bool on = [] {
    const char* v = std::getenv("OVERLAPPED_TRACE");
    return v != nullptr && v[0] != '\0' && v[0] != '0';
  }();
  return on;
}

}  // namespace ov

#define OV_TRACE(...)                      \
  do {                                     \
    if (::ov::TraceOn()) {                 \
      std::fprintf(stderr, "[ov] " __VA_ARGS__); \
      std::fputc('\n', stderr);            \
      std::fflush(stderr);                 \
    }                                      \
  } while (0)

#endif  // OVERLAPPED_CORE_TRACE_H_
