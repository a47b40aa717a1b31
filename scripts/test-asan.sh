#!/usr/bin/env bash
# Runs the test suite against an AddressSanitizer + UndefinedBehaviorSanitizer build of the
# addon. The sanitizer runtime is preloaded into node (which is not built with it), leak
# detection is off (node itself does not free everything at exit), and any report fails the
# run. The normal build is restored afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."

export CXXFLAGS="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined -g"
export LDFLAGS="-fsanitize=address,undefined"
npx node-gyp rebuild >/dev/null 2>&1
# Make sure the flags took: an uninstrumented addon would pass without checking anything.
# (grep without -q: with pipefail, -q exiting early would fail the pipe through SIGPIPE)
if ! nm -D build/Release/overlapped.node | grep __asan_report >/dev/null; then
  echo "test-asan: the addon was built without AddressSanitizer" >&2
  exit 1
fi

asan_rt=$(g++ -print-file-name=libasan.so)
ubsan_rt=$(g++ -print-file-name=libubsan.so)
restore() { unset CXXFLAGS LDFLAGS; npx node-gyp rebuild >/dev/null 2>&1; }
trap restore EXIT

log=$(mktemp -d)
status=0
# Each native backend of this platform in turn (the node backend runs no native code).
for backend in io_uring epoll; do
  echo "=== test suite under ASan + UBSan on the $backend backend ==="
  OVERLAPPED_BACKEND=$backend \
  LD_PRELOAD="$asan_rt:$ubsan_rt" \
  ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:log_path=$log/asan" \
  UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$log/ubsan" \
    npx vitest run "$@" || status=$?
done
if compgen -G "$log/*" >/dev/null; then
  echo "sanitizer reports:" >&2
  cat "$log"/* >&2
  status=1
fi
exit $status
