// Prebuilt Linux binaries (scripts/prebuilds.mjs) should load on any glibc system a Node 20
// runs on. Built by Debian 12's g++ they import one symbol from GCC 11's libstdc++
// (GLIBCXX_3.4.29): std::__throw_bad_array_new_length, which `new T[n]` and std::allocator
// call when n is too large. Everything else they import is from GCC 5 (GLIBCXX_3.4.21) and
// glibc 2.17 (2.14 on x64), so that one import alone would keep the binary off systems with
// an older libstdc++ (Ubuntu 20.04, RHEL 8), where loading it fails.
//
// Linking libstdc++ statically is no cure: Debian 12's libstdc++.a calls glibc 2.34-2.36
// functions (arc4random, _dl_find_object), which is worse. So the prebuild defines the
// function here, hidden, and the linker binds the calls to it. This build has no
// exceptions (-fno-exceptions), so what libstdc++ would do — throw with nothing to catch it —
// ends the process either way; the addon never asks for such a size (its arrays are sized by
// counts it bounds itself).
//
// Only with OVERLAPPED_PORTABLE (set by scripts/prebuilds.mjs): a developer's build uses
// its own libstdc++ as is.
#ifdef OVERLAPPED_PORTABLE
#include <cstdlib>

namespace std {
[[noreturn]] __attribute__((visibility("hidden"))) void __throw_bad_array_new_length() {
  std::abort();
}
}  // namespace std
#endif
