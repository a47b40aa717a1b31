#!/bin/bash
# More relayed connections than one process may hold: `overlapped relay --workers W` in front
# of TARGETS C echo servers, GENS load generators of N idle connections each (each on its own
# loopback address: one address has about 28000 ephemeral ports towards one port). Every
# connection is proven served by one echo at the end; the relay's RSS is summed over its
# processes; then SIGTERM must drain and exit 0. Prints SCALE RUN PASSED or FAILED.
#
#   N=10000 GENS=8 WORKERS=16 TARGETS=8 bench/relay-scale.sh     # 80000 connections, 16 cores
#
# Each process stays under the 20000 open-file cap: a worker holds two descriptors per relayed
# connection (keep N*GENS/WORKERS under 9000), a load generator N, a target N*GENS/TARGETS.
# Needs `npm run build` (dist/ and the addon) and the bench's C programs (build/bench/, made by
# `npm run bench`). Defaults: 40000 connections, 8 workers, 4 targets.
set -u
cd "$(dirname "$0")/.."
OUT=${OUT:-/tmp/relay-scale}; mkdir -p "$OUT"
echo "== machine"; uname -a; nproc; free -g | head -2; echo "nofile soft $(ulimit -n) hard $(ulimit -Hn)"
ulimit -n "$(ulimit -Hn)" 2>/dev/null; ulimit -n 20000 2>/dev/null; echo "nofile now $(ulimit -n)"
cat /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null
node -v; node -p "require('./').backend"
N=${N:-10000}; GENS=${GENS:-4}; WORKERS=${WORKERS:-8}; PORT=19000
tports=()
tpids=()
for i in $(seq 1 ${TARGETS:-4}); do
  build/bench/echo-server > "$OUT/target$i.port" & tpids+=($!)
  for t in $(seq 1 50); do [ -s "$OUT/target$i.port" ] && break; sleep 0.1; done
  tports+=(--target 127.0.0.1:$(head -1 "$OUT/target$i.port"))
done
echo "targets ${tports[*]}"
node dist/cjs/cli/main.js relay --listen 0.0.0.0:$PORT "${tports[@]}" --workers $WORKERS --stats=5 --metrics 127.0.0.1:19100 2> "$OUT/relay.log" &
RPID=$!
for i in $(seq 1 50); do grep -q "listening" "$OUT/relay.log" && break; sleep 0.2; done
sleep 2; head -20 "$OUT/relay.log"
kids() { for f in /proc/[0-9]*/stat; do awk -v p=$1 '$4==p{print $1}' $f 2>/dev/null; done; }
rss() { local t=0; for p in $RPID $(kids $RPID); do t=$((t + $(awk '/VmRSS/{print $2}' /proc/$p/status))); done; echo $t; }
base=$(rss); echo "relay RSS before: $base KB over $((1 + $(kids $RPID | wc -l))) processes"
t0=$(date +%s.%N)
gpids=()
for g in $(seq 1 $GENS); do
  build/bench/loadgen idle $PORT conns=$N seconds=25 warmup=1 host=127.0.0.$g > "$OUT/gen$g.log" 2>&1 &
  gpids+=($!)
done
for i in $(seq 1 600); do
  c=$(grep -l "\"held\":$N" "$OUT"/gen*.log 2>/dev/null | wc -l); [ "$c" -ge "$GENS" ] && break; sleep 0.1
done
t1=$(date +%s.%N); echo "all $((N*GENS)) client connections established in $(awk "BEGIN{print $t1 - $t0}") s"
sleep 5
held=$(rss); echo "relay RSS holding $((N*GENS)): $held KB, $(( (held-base)*1000/(N*GENS) )) B per relayed connection (incl. both sockets)"
for p in $RPID $(kids $RPID); do echo "  pid $p fds $(ls /proc/$p/fd | wc -l) rss $(awk '/VmRSS/{print $2}' /proc/$p/status) KB"; done
node -e "fetch('http://127.0.0.1:19100/metrics').then(r=>r.text()).then(t=>console.log(t.split('\n').filter(l=>l&&!l.startsWith('#')).join('\n')))" > "$OUT/metrics.txt" 2>&1
grep -E "open|active|connections|accept" "$OUT/metrics.txt" | head -20
fail=0
for i in "${!gpids[@]}"; do wait ${gpids[$i]}; rc=$?; echo "loadgen $((i+1)) exit $rc: $(tail -1 "$OUT/gen$((i+1)).log")"; [ $rc -ne 0 ] && fail=1; done
tail -4 "$OUT/relay.log"
kill -TERM $RPID; ts=$(date +%s.%N); wait $RPID; rc=$?; echo "relay exit after SIGTERM: $rc in $(awk "BEGIN{print $(date +%s.%N) - $ts}") s"
kill "${tpids[@]}" 2>/dev/null
[ $fail -eq 0 ] && [ $rc -eq 0 ] && echo "SCALE RUN PASSED" || echo "SCALE RUN FAILED"
