#!/usr/bin/env bash
# `make demo`: a fleet of simulated Ollama workers behind Corral, with traffic flowing, then left up for you.
#
# Starts four `corral sim` workers on loopback ephemeral ports (two small GPUs, two big ones, each with
# its own models and VRAM budget), writes a corral.yaml that sends the big models to pool `big` and the
# rest to pool `small`, validates it with `corral check-config`, starts `corral serve` on it on
# 127.0.0.1:11434 (Ollama's own port, so clients without OLLAMA_HOST reach it; a free port instead when
# 11434 is taken, and it says so), prints the URLs with ready-to-paste curl/ollama/OpenAI commands, drives
# mixed traffic (streamed and not, native and OpenAI, several models, concurrent clients) for
# DEMO_DURATION seconds with a live one-line summary, prints a final summary and the commands again, and
# then keeps the fleet and the gateway up until Ctrl-C, which stops everything it started.
#
# Environment (all optional):
#   CORRAL_BINARY  the corral binary (default build/corral; `make demo` builds it)
#   DEMO_PORT      the gateway's port on 127.0.0.1 (default 11434). When it cannot be bound (Ollama is
#                  running, say) the demo falls back to a free port and prints which; 0 = a free port.
#   DEMO_DURATION  seconds of generated traffic (default 45; 0 = none)
#   DEMO_CLIENTS   concurrent traffic clients (default 4)
#   DEMO_INTERVAL  seconds between the live summary lines (default 3)
#   DEMO_HOLD      after the traffic: empty or "forever" (default) keeps everything up until Ctrl-C;
#                  0 stops at once (non-interactive runs, like the demo before it held); N keeps it up
#                  N seconds, then stops. Ctrl-C (SIGINT) or SIGTERM stops everything at any point.
# The gateway's and each sim's PIDs are printed on the "  pids" line: each is its own process group.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=${CORRAL_BINARY:-$ROOT/build/corral}
DURATION=${DEMO_DURATION:-45}
CLIENTS=${DEMO_CLIENTS:-4}
INTERVAL=${DEMO_INTERVAL:-3}
PORT=${DEMO_PORT:-11434}
HOLD=${DEMO_HOLD:-forever}

# One client: requests in a loop until killed, one "STATUS MODEL KIND" line per finished request.
# Runs as its own process (the script re-invoked) so that it can live in its own session: Ctrl-C then
# reaches only this script, whose trap stops every session it started, curl children included.
if [[ "${1:-}" == "__client" ]]; then
  gateway=$2 log=$3
  # Weighted by repetition: mostly the small models, now and then the 70B and the one that forces
  # evictions on the small workers.
  models=(qwen2:0.5b qwen2:0.5b qwen2:0.5b llama3:8b llama3:8b llama3:8b mistral:7b mistral:7b llama3:70b gemma2:9b)
  while :; do
    model=${models[RANDOM % ${#models[@]}]}
    n=$((10 + RANDOM % 50))
    case $((RANDOM % 4)) in
      0) kind=generate-stream path=/api/generate
         body="{\"model\":\"$model\",\"prompt\":\"tell me about load balancing\",\"options\":{\"num_predict\":$n}}" ;;
      1) kind=chat path=/api/chat
         body="{\"model\":\"$model\",\"stream\":false,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"options\":{\"num_predict\":$n}}" ;;
      2) kind=openai-stream path=/v1/chat/completions
         body="{\"model\":\"$model\",\"stream\":true,\"max_tokens\":$n,\"messages\":[{\"role\":\"user\",\"content\":\"hello\"}]}" ;;
      *) kind=openai path=/v1/chat/completions
         body="{\"model\":\"$model\",\"max_tokens\":$n,\"messages\":[{\"role\":\"user\",\"content\":\"hello\"}]}" ;;
    esac
    code=$(curl -sN -o /dev/null -w '%{http_code}' --max-time 120 -H 'Content-Type: application/json' \
             -d "$body" "http://$gateway$path" || true)
    echo "${code:-000} $model $kind" >>"$log"
  done
fi

if [[ ! -x "$BIN" ]]; then
  echo "demo: $BIN not found; run 'make demo' (or 'make build') first, or set CORRAL_BINARY" >&2
  exit 1
fi
for tool in curl setsid; do
  command -v "$tool" >/dev/null || { echo "demo: $tool is required" >&2; exit 1; }
done
[[ $PORT =~ ^[0-9]+$ ]] && ((PORT <= 65535)) || { echo "demo: DEMO_PORT must be a port number, not '$PORT'" >&2; exit 1; }
[[ $HOLD == forever || $HOLD =~ ^[0-9]+$ ]] ||
  { echo "demo: DEMO_HOLD must be 'forever' or a number of seconds, not '$HOLD'" >&2; exit 1; }

DIR=$(mktemp -d "${TMPDIR:-/tmp}/corral-demo.XXXXXX")
PGIDS=()    # each child is a session leader: killing its process group stops it and whatever it spawned
NAP_PID=""  # the `sleep` that nap() waits on

cleanup() {
  trap - EXIT
  # A second Ctrl-C while the children drain kills them outright rather than leaving them behind.
  trap 'for pg in "${PGIDS[@]}"; do kill -KILL -- "-$pg" 2>/dev/null || true; done' INT TERM
  [[ -n $NAP_PID ]] && kill "$NAP_PID" 2>/dev/null || true
  local pg
  for pg in "${PGIDS[@]}"; do kill -TERM -- "-$pg" 2>/dev/null || true; done
  for pg in "${PGIDS[@]}"; do wait "$pg" 2>/dev/null || true; done
  PGIDS=()
  echo "demo: stopped everything; logs kept in $DIR"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Sleeps $1 seconds (or "infinity") in a way a signal interrupts at once: bash runs a trap only after a
# foreground child ends, but during `wait` it runs it straight away.
nap() {
  sleep "$1" &
  NAP_PID=$!
  wait "$NAP_PID" || true
  NAP_PID=""
}

# Starts `corral ARGS...` in its own session with stdout in $DIR/NAME.out, stderr in $DIR/NAME.log, and
# sets ADDR to the first stdout line (the bound HOST:PORT) and PID to its process (and group) id.
# Returns 1 when it exits or prints nothing within 15 s.
try_start() {
  local name=$1
  shift
  setsid "$BIN" "$@" >"$DIR/$name.out" 2>"$DIR/$name.log" </dev/null &
  PID=$!
  PGIDS+=("$PID")
  local i
  for ((i = 0; i < 150; i++)); do
    if [[ -s "$DIR/$name.out" ]] && (($(wc -l <"$DIR/$name.out") >= 1)); then
      ADDR=$(head -n 1 "$DIR/$name.out")
      return 0
    fi
    if ! kill -0 "$PID" 2>/dev/null; then return 1; fi
    sleep 0.1
  done
  kill -TERM -- "-$PID" 2>/dev/null || true
  return 1
}

start() {
  local name=$1
  try_start "$@" && return 0
  echo "demo: $name did not start; its log:" >&2
  cat "$DIR/$name.log" >&2
  exit 1
}

# name|VRAM|load GB/s|tokens/s|models
WORKERS=(
  "small-1|8GB|4|60|qwen2:0.5b=400MB llama3:8b=4.7GB gemma2:9b=5.4GB"
  "small-2|8GB|4|60|qwen2:0.5b=400MB llama3:8b=4.7GB gemma2:9b=5.4GB"
  "big-1|48GB|8|40|llama3:8b=4.7GB mistral:7b=4.1GB llama3:70b=40GB"
  "big-2|48GB|8|40|llama3:8b=4.7GB mistral:7b=4.1GB llama3:70b=40GB"
)
NAMES=()
SIM_PIDS=()
declare -A SIM
for w in "${WORKERS[@]}"; do
  IFS='|' read -r name vram gbps tps models <<<"$w"
  args=(sim --listen 127.0.0.1:0 --vram "$vram" --load-gbps "$gbps" --tokens-per-second "$tps" --seed "${#NAMES[@]}")
  for m in $models; do args+=(--model "$m"); done
  start "$name" "${args[@]}"
  SIM[$name]=$ADDR
  SIM_PIDS+=("$PID")
  NAMES+=("$name")
  printf 'demo: %-8s http://%s  VRAM %-5s %s\n' "$name" "$ADDR" "$vram" "$models"
done

CONFIG=$DIR/corral.yaml
# The configuration, listening on 127.0.0.1:$1.
write_config() {
  cat >"$CONFIG" <<EOC
# Written by scripts/demo.sh: two pools over the demo's simulated workers.
listen: 127.0.0.1:$1
threads: 2
access_log:
  path: $DIR/access.log
pools:
  - name: small
    policy: model_aware
    backends:
      - { url: "http://${SIM[small-1]}", name: small-1, vram: 8GB, num_parallel: 4, max_inflight: 8 }
      - { url: "http://${SIM[small-2]}", name: small-2, vram: 8GB, num_parallel: 4, max_inflight: 8 }
  - name: big
    policy: model_aware
    backends:
      - { url: "http://${SIM[big-1]}", name: big-1, vram: 48GB, num_parallel: 4, max_inflight: 8 }
      - { url: "http://${SIM[big-2]}", name: big-2, vram: 48GB, num_parallel: 4, max_inflight: 8 }
models:
  - { match: "llama3:70b*", pool: big }
  - { match: "mistral*", pool: big }
default_pool: small
health:
  interval: 2s
EOC
}
write_config "$PORT"
if ! "$BIN" check-config -c "$CONFIG" >"$DIR/check-config.log" 2>&1; then
  echo "demo: the generated $CONFIG does not validate:" >&2
  cat "$DIR/check-config.log" >&2
  exit 1
fi
# Ollama's port when it is free; else (Ollama itself running, say) whatever port the kernel gives.
PORT_NOTE="DEMO_PORT=0: a free port"
((PORT == 11434)) && PORT_NOTE="Ollama's default port: clients without OLLAMA_HOST reach it"
((PORT != 0 && PORT != 11434)) && PORT_NOTE="DEMO_PORT=$PORT"
if ! try_start gateway serve -c "$CONFIG"; then
  ((PORT != 0)) || start gateway serve -c "$CONFIG"  # port 0 failing has nothing to fall back to: report it
  why=$(tail -n 1 "$DIR/gateway.log")
  why=${why%% \[*}  # "corral serve: bind: Address already in use", without Boost's source location
  mv "$DIR/gateway.log" "$DIR/gateway-port-$PORT.log"
  echo "demo: 127.0.0.1:$PORT is not available (${why:-no log}); using a free port instead"
  PORT_NOTE="port $PORT was taken, so a free one"
  write_config 0
  start gateway serve -c "$CONFIG"
fi
GW=$ADDR
GW_PID=$PID

# Ready once the gateway has polled the workers and lists every model of the fleet.
for ((i = 0; i < 100; i++)); do
  tags=$(curl -s --max-time 2 "http://$GW/api/tags" || true)
  if [[ $tags == *llama3:70b* && $tags == *gemma2:9b* ]]; then break; fi
  sleep 0.2
done

# The commands a newcomer pastes into another terminal; one per line, so tests run them as printed.
try_it() {
  cat <<EOT
Try it from another terminal (any Ollama or OpenAI client works; the models are simulated):
  curl -s http://$GW/api/generate -d '{"model":"qwen2:0.5b","prompt":"Why is the sky blue?","stream":false}'
  curl -s http://$GW/api/chat -d '{"model":"llama3:8b","messages":[{"role":"user","content":"hello"}],"stream":false}'
  OLLAMA_HOST=http://$GW ollama run llama3:70b
  OpenAI base URL: http://$GW/v1
  curl -s http://$GW/v1/chat/completions -H 'Content-Type: application/json' -d '{"model":"mistral:7b","messages":[{"role":"user","content":"hello"}]}'
  status page     http://$GW/corral/
EOT
}

cat <<EOF

Corral demo fleet is up (config: $CONFIG)
  gateway         http://$GW  ($PORT_NOTE)
  status page     http://$GW/corral/
  metrics         http://$GW/metrics
EOF
for n in "${NAMES[@]}"; do printf '  %-15s http://%s/sim/stats\n' "$n" "${SIM[$n]}"; done
echo "  pids            gateway $GW_PID, sims ${SIM_PIDS[*]} (logs in $DIR)"
echo
try_it
echo
echo "Driving traffic with $CLIENTS clients for ${DURATION}s (Ctrl-C stops everything)."
echo "Each line: requests finished, then per worker active/queued requests and [loaded models]."

CLIENT_PGIDS=()
for ((c = 0; c < CLIENTS; c++)); do
  touch "$DIR/client-$c.log"
  setsid "$0" __client "$GW" "$DIR/client-$c.log" </dev/null >/dev/null 2>&1 &
  PGIDS+=($!)
  CLIENT_PGIDS+=($!)
done

# "field" of one worker's /sim/stats (numbers, or the list of loaded models).
stat_of() {
  local json=$1 key=$2
  if [[ $key == loaded ]]; then
    sed -n 's/.*"loaded":\[\([^]]*\)\].*/\1/p' <<<"$json" | tr -d '"'
  else
    sed -n "s/.*\"$key\":\([0-9]*\).*/\1/p" <<<"$json"
  fi
}

summary_line() {
  local done errors line n json
  done=$(cat "$DIR"/client-*.log | wc -l)
  errors=$(awk '$1 != "200"' "$DIR"/client-*.log | wc -l)
  line=$(printf '[%3ss] done %4s (errors %s) |' "$1" "$done" "$errors")
  for n in "${NAMES[@]}"; do
    json=$(curl -s --max-time 2 "http://${SIM[$n]}/sim/stats" || true)
    line+=$(printf ' %s %s/%s [%s] |' "$n" "$(stat_of "$json" active)" "$(stat_of "$json" queued)" \
              "$(stat_of "$json" loaded)")
  done
  echo "$line"
}

start_s=$SECONDS
while ((SECONDS - start_s < DURATION)); do
  nap "$INTERVAL"
  summary_line $((SECONDS - start_s))
done

for pg in "${CLIENT_PGIDS[@]}"; do kill -TERM -- "-$pg" 2>/dev/null || true; done
for pg in "${CLIENT_PGIDS[@]}"; do wait "$pg" 2>/dev/null || true; done

echo
echo "Final summary after $((SECONDS - start_s))s:"
total=$(cat "$DIR"/client-*.log | wc -l)
echo "  requests finished: $total"
awk '{ by[$1]++ } END { for (s in by) printf "    HTTP %s: %d\n", s, by[s] }' "$DIR"/client-*.log | sort
awk '{ by[$2]++ } END { for (m in by) printf "    %-12s %d\n", m, by[m] }' "$DIR"/client-*.log | sort
printf '  %-8s %9s %6s %10s %10s %9s  %s\n' worker requests loads evictions cancelled busy-503 loaded
for n in "${NAMES[@]}"; do
  json=$(curl -s --max-time 2 "http://${SIM[$n]}/sim/stats" || true)
  printf '  %-8s %9s %6s %10s %10s %9s  %s\n' "$n" "$(stat_of "$json" requests)" "$(stat_of "$json" loads)" \
    "$(stat_of "$json" evictions)" "$(stat_of "$json" cancelled)" "$(stat_of "$json" rejected_busy)" \
    "$(stat_of "$json" loaded)"
done
gateway_total=$(curl -s --max-time 2 "http://$GW/metrics" |
  awk '/^ollama_gateway_requests_total/ { sum += $NF } END { printf "%d", sum }')
echo "  the gateway counted $gateway_total requests (ollama_gateway_requests_total on /metrics)"

[[ $HOLD == 0 ]] && exit 0

echo
try_it
echo
if [[ $HOLD == forever ]]; then
  echo "demo: the fleet and the gateway stay up; Ctrl-C stops everything."
  deadline=-1
else
  echo "demo: the fleet and the gateway stay up for ${HOLD}s (DEMO_HOLD); Ctrl-C stops everything sooner."
  deadline=$((SECONDS + HOLD))
fi
# Wakes once a second to notice a gateway that died (its log says why) rather than holding a dead demo.
while ((deadline < 0 || SECONDS < deadline)); do
  if ! kill -0 "$GW_PID" 2>/dev/null; then
    echo "demo: the gateway exited; its log:" >&2
    tail -n 20 "$DIR/gateway.log" >&2
    exit 1
  fi
  nap 1
done
