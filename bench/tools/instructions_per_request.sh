#!/usr/bin/env bash
# Instructions Corral executes per small request (scenario 1's body, not streamed), counted by callgrind:
# unlike req/s or CPU seconds, the count does not move with the load of a shared 2-core machine, so a
# change to the hot path can be judged in one run. Also writes the profile for callgrind_annotate.
#
#   bench/tools/instructions_per_request.sh [build/corral] [seconds]
#   callgrind_annotate --inclusive=yes /tmp/corral-ipr/corral.cg.1 | head -60   # where they go
#
# Two `corral sim` workers (--tokens-per-second 0), Corral with one thread, a least-connections pool
# and no access log (as bench.py configures it), under callgrind; wrk keeps 8 connections busy; the
# counters are zeroed after a warm-up and dumped after the measured run. Needs valgrind and wrk.
set -euo pipefail
BIN=$(realpath "${1:-build/corral}")
SECONDS_RUN=${2:-6}
W=/tmp/corral-ipr
rm -rf "$W" && mkdir -p "$W"
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap cleanup EXIT

first_port() {  # waits for a process's HOST:PORT line
  for _ in $(seq 100); do [[ -s "$1" ]] && break; sleep 0.2; done
  head -1 "$1" | sed 's/.*://'
}

ports=()
for i in 1 2; do
  "$BIN" sim --listen 127.0.0.1:0 --model bench:1b=1GB --tokens-per-second 0 --load-gbps 1000 \
    --num-parallel 20000 --max-queue 100000 --keep-alive -1 >"$W/sim$i.out" 2>/dev/null &
  pids+=($!)
done
for i in 1 2; do ports+=("$(first_port "$W/sim$i.out")"); done
BODY='{"model":"bench:1b","prompt":"hello","stream":false,"options":{"num_predict":4}}'
for p in "${ports[@]}"; do curl -s -o /dev/null -d "$BODY" "http://127.0.0.1:$p/api/generate"; done
cat >"$W/corral.yaml" <<YAML
listen: 127.0.0.1:0
threads: 1
pools:
  - name: bench
    policy: least_connections
    backends:
      - url: http://127.0.0.1:${ports[0]}
      - url: http://127.0.0.1:${ports[1]}
default_pool: bench
queue: {max_length: 100000, timeout: 300s}
access_log: {level: off}
YAML
valgrind --tool=callgrind --callgrind-out-file="$W/corral.cg" --dump-instr=no \
  "$BIN" serve -c "$W/corral.yaml" >"$W/corral.out" 2>"$W/valgrind.err" &
gw=$!
pids+=("$gw")
port=$(first_port "$W/corral.out")
for _ in $(seq 100); do
  [[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/readyz")" == 200 ]] && break
  sleep 0.2
done
printf 'wrk.method = "POST"\nwrk.body = [[%s]]\nwrk.headers["Content-Type"] = "application/json"\n' "$BODY" >"$W/post.lua"
wrk -t 1 -c 8 -d 2s -s "$W/post.lua" "http://127.0.0.1:$port/api/generate" >/dev/null
callgrind_control -z "$gw" >/dev/null 2>&1
wrk -t 1 -c 8 -d "${SECONDS_RUN}s" -s "$W/post.lua" "http://127.0.0.1:$port/api/generate" >"$W/wrk.out"
callgrind_control -d "$gw" >/dev/null 2>&1
requests=$(grep -oE '^ +[0-9]+ requests in' "$W/wrk.out" | grep -oE '[0-9]+')
total=$(callgrind_annotate "$W/corral.cg.1" 2>/dev/null | grep -m1 'PROGRAM TOTALS' | awk '{gsub(",", "", $1); print $1}')
echo "requests: $requests  instructions: $total  per request: $((total / requests))  (profile: $W/corral.cg.1)"
