#!/usr/bin/env bash
# `make demo`: a fleet of simulated Ollama workers behind Corral, with traffic flowing.
#
# Starts four `corral sim` workers on loopback ephemeral ports (two small GPUs, two big ones, each with
# its own models and VRAM budget), writes a corral.yaml that sends the big models to pool `big` and the
# rest to pool `small`, validates it with `corral check-config`, starts `corral serve` on it, prints the
# URLs, then drives mixed traffic (streamed and not, native and OpenAI, several models, concurrent
# clients) for DEMO_DURATION seconds with a live one-line summary, prints a final summary and stops
# everything it started.
#
# Environment: CORRAL_BINARY (default build/corral), DEMO_DURATION (seconds, default 45),
# DEMO_CLIENTS (concurrent clients, default 4), DEMO_INTERVAL (seconds between summaries, default 3).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=${CORRAL_BINARY:-$ROOT/build/corral}
DURATION=${DEMO_DURATION:-45}
CLIENTS=${DEMO_CLIENTS:-4}
INTERVAL=${DEMO_INTERVAL:-3}

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
  echo "demo: $BIN not found; run 'make build' first or set CORRAL_BINARY" >&2
  exit 1
fi
for tool in curl setsid; do
  command -v "$tool" >/dev/null || { echo "demo: $tool is required" >&2; exit 1; }
done

DIR=$(mktemp -d "${TMPDIR:-/tmp}/corral-demo.XXXXXX")
PGIDS=()  # each child is a session leader: killing its process group stops it and whatever it spawned

cleanup() {
  trap - EXIT INT TERM
  local pg
  for pg in "${PGIDS[@]}"; do kill -TERM -- "-$pg" 2>/dev/null || true; done
  for pg in "${PGIDS[@]}"; do wait "$pg" 2>/dev/null || true; done
  PGIDS=()
  echo "demo: stopped everything; logs kept in $DIR"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Starts `corral ARGS...` in its own session with stdout in $DIR/NAME.out, stderr in $DIR/NAME.log, and
# sets ADDR to the first stdout line (the bound HOST:PORT).
start() {
  local name=$1
  shift
  setsid "$BIN" "$@" >"$DIR/$name.out" 2>"$DIR/$name.log" </dev/null &
  PGIDS+=($!)
  local i
  for ((i = 0; i < 150; i++)); do
    if [[ -s "$DIR/$name.out" ]] && (($(wc -l <"$DIR/$name.out") >= 1)); then
      ADDR=$(head -n 1 "$DIR/$name.out")
      return 0
    fi
    if ! kill -0 "$!" 2>/dev/null; then break; fi
    sleep 0.1
  done
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
declare -A SIM
for w in "${WORKERS[@]}"; do
  IFS='|' read -r name vram gbps tps models <<<"$w"
  args=(sim --listen 127.0.0.1:0 --vram "$vram" --load-gbps "$gbps" --tokens-per-second "$tps" --seed "${#NAMES[@]}")
  for m in $models; do args+=(--model "$m"); done
  start "$name" "${args[@]}"
  SIM[$name]=$ADDR
  NAMES+=("$name")
  printf 'demo: %-8s http://%s  VRAM %-5s %s\n' "$name" "$ADDR" "$vram" "$models"
done

CONFIG=$DIR/corral.yaml
cat >"$CONFIG" <<EOF
# Written by scripts/demo.sh: two pools over the demo's simulated workers.
listen: 127.0.0.1:0
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
EOF
if ! "$BIN" check-config -c "$CONFIG" >"$DIR/check-config.log" 2>&1; then
  echo "demo: the generated $CONFIG does not validate:" >&2
  cat "$DIR/check-config.log" >&2
  exit 1
fi
start gateway serve -c "$CONFIG"
GW=$ADDR

# Ready once the gateway has polled the workers and lists every model of the fleet.
for ((i = 0; i < 100; i++)); do
  tags=$(curl -s --max-time 2 "http://$GW/api/tags" || true)
  if [[ $tags == *llama3:70b* && $tags == *gemma2:9b* ]]; then break; fi
  sleep 0.2
done

cat <<EOF

Corral demo fleet is up (config: $CONFIG)
  gateway       http://$GW           (point any Ollama or OpenAI client here; /v1 for OpenAI)
  status page   http://$GW/corral/
  metrics       http://$GW/metrics
EOF
for n in "${NAMES[@]}"; do printf '  %-13s http://%s/sim/stats\n' "$n" "${SIM[$n]}"; done
echo
echo "Driving traffic with $CLIENTS clients for ${DURATION}s (Ctrl-C stops early)."
echo "Each line: requests finished, then per worker active/queued requests and [loaded models]."

CLIENT_PGIDS=()
for ((c = 0; c < CLIENTS; c++)); do
  setsid "$0" __client "$GW" "$DIR/client-$c.log" </dev/null >/dev/null 2>&1 &
  PGIDS+=($!)
  CLIENT_PGIDS+=($!)
  touch "$DIR/client-$c.log"
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
  sleep "$INTERVAL"
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
