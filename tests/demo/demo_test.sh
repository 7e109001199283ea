#!/usr/bin/env bash
# `make demo` as a newcomer meets it: scripts/demo.sh started with a short traffic phase and left holding,
# its port taken so that it must fall back to a free one (the test never needs 11434), then the commands
# it printed run as printed, then Ctrl-C, after which none of the processes it started may be left.
#
# Usage: tests/demo/demo_test.sh CORRAL_BINARY   (ctest: Demo.HoldsAndStops)
set -euo pipefail
# Job control: the demo runs in its own process group (so SIGINT to that group is the terminal's Ctrl-C)
# and, unlike a background job without it, does not start with SIGINT ignored.
set -m

BIN=$(realpath "$1")
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/corral-demo-test.XXXXXX")
DEMO="" HOLDER="" PIDS=()

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# /proc/PID/stat fields after the command name: 1 state, 2 ppid, 3 pgrp, 4 session.
stat_field() {
  local s
  s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  s=${s##*) }
  read -r -a f <<<"$s"
  echo "${f[$(($2 - 1))]}"
}
# A live (not zombie) corral process.
is_corral() {
  local state
  state=$(stat_field "$1" 1) || return 1
  [[ $state != Z && $(cat "/proc/$1/comm" 2>/dev/null) == corral ]]
}

# The gateway's and the sims' PIDs from the demo's "  pids" line.
printed_pids() {
  sed -n 's/^  pids  *gateway \([0-9]*\), sims \([0-9 ]*\) (logs.*/\1 \2/p' "$WORK/out" 2>/dev/null
}

finish() {
  local rc=$?
  local p i
  # On a failure: let the demo stop its own children first (SIGTERM runs its trap), then kill whatever
  # it printed that is still there, so a failing run leaves no fleet behind.
  if [[ -n $DEMO ]] && kill -0 "$DEMO" 2>/dev/null; then
    kill -TERM -- "-$DEMO" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do kill -0 "$DEMO" 2>/dev/null || break; sleep 0.05; done
    kill -KILL -- "-$DEMO" 2>/dev/null || true
  fi
  ((${#PIDS[@]})) || read -r -a PIDS < <(printed_pids) || true
  for p in "${PIDS[@]}"; do kill -KILL -- "-$p" 2>/dev/null || true; done
  [[ -n $HOLDER ]] && kill -KILL "$HOLDER" 2>/dev/null || true
  if ((rc != 0)); then
    echo "--- demo stdout" >&2
    cat "$WORK/out" >&2 || true
    echo "--- demo stderr" >&2
    cat "$WORK/err" >&2 || true
    for p in "$WORK"/corral-demo.*/gateway*.log; do
      [[ -f $p ]] && { echo "--- $p" >&2; tail -n 20 "$p" >&2; }
    done
  fi
  rm -rf "$WORK"
  exit "$rc"
}
trap finish EXIT

# A port in use, to stand for Ollama already listening on 11434.
python3 -c 'import socket, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen()
print(s.getsockname()[1], flush=True); time.sleep(120)' >"$WORK/taken" &
HOLDER=$!
disown "$HOLDER"  # no job notice when finish() kills it
for ((i = 0; i < 100; i++)); do [[ -s $WORK/taken ]] && break; sleep 0.05; done
TAKEN=$(cat "$WORK/taken")
[[ $TAKEN =~ ^[0-9]+$ ]] || fail "the port holder printed no port"

: >"$WORK/out"
TMPDIR=$WORK CORRAL_BINARY=$BIN DEMO_PORT=$TAKEN DEMO_DURATION=2 DEMO_INTERVAL=1 DEMO_CLIENTS=2 DEMO_HOLD=forever \
  "$ROOT/scripts/demo.sh" >"$WORK/out" 2>"$WORK/err" </dev/null &
DEMO=$!

# Ready when it says it holds (after the traffic and the final summary). The bound is generous for the
# sanitized build on a loaded machine; a healthy run gets there in about 5 s.
ready_by=$((SECONDS + 60))
while ((SECONDS < ready_by)); do
  grep -q "stay up; Ctrl-C stops everything" "$WORK/out" && break
  kill -0 "$DEMO" 2>/dev/null || fail "the demo exited before holding"
  sleep 0.05
done
grep -q "stay up; Ctrl-C stops everything" "$WORK/out" || fail "the demo never said it holds"

GW=$(sed -n 's|^  gateway  *http://\([0-9.]*:[0-9]*\) .*|\1|p' "$WORK/out")
[[ $GW =~ ^127\.0\.0\.1:[0-9]+$ ]] || fail "no gateway address printed (got '$GW')"
[[ $GW != "127.0.0.1:$TAKEN" ]] || fail "the gateway claims the taken port $TAKEN"
grep -q "127.0.0.1:$TAKEN is not available" "$WORK/out" || fail "the fallback from port $TAKEN was not announced"

# The printed commands, as printed: three curls, the ollama line, the OpenAI base URL, the status page.
mapfile -t CURLS < <(grep '^  curl -s ' "$WORK/out" | sort -u)
((${#CURLS[@]} == 3)) || fail "expected 3 distinct curl commands, got ${#CURLS[@]}"
seen=""
for cmd in "${CURLS[@]}"; do
  [[ $cmd == *"http://$GW/"* ]] || fail "a curl does not use the gateway's address: $cmd"
  code=$(eval "$cmd -o '$WORK/body' -w '%{http_code}' --max-time 20") || fail "curl failed: $cmd"
  [[ $code == 200 ]] || fail "HTTP $code from: $cmd ($(head -c 300 "$WORK/body"))"
  case $cmd in
    *"/api/generate "*) kind=generate ;;
    *"/api/chat "*) kind=chat ;;
    *"/v1/chat/completions "*) kind=openai ;;
    *) fail "an unexpected printed curl: $cmd" ;;
  esac
  python3 - "$kind" "$WORK/body" <<'PY' || fail "unexpected $kind answer: $(head -c 300 "$WORK/body")"
import json, sys
kind, body = sys.argv[1], json.load(open(sys.argv[2]))
if kind == "generate":
    assert body["done"] is True and isinstance(body["response"], str) and body["response"], body
elif kind == "chat":
    assert body["done"] is True and body["message"]["role"] == "assistant" and body["message"]["content"], body
else:
    assert body["object"] == "chat.completion", body
    assert body["choices"][0]["message"]["role"] == "assistant" and body["choices"][0]["message"]["content"], body
PY
  seen+=" $kind"
done
grep -q "^  OLLAMA_HOST=http://$GW ollama run [a-z0-9.:]*$" "$WORK/out" || fail "no 'OLLAMA_HOST=http://$GW ollama run MODEL' line"
model=$(sed -n "s|^  OLLAMA_HOST=http://$GW ollama run ||p" "$WORK/out" | head -n 1)
curl -s --max-time 5 "http://$GW/api/tags" | grep -q "\"$model\"" || fail "the ollama line's model $model is not in /api/tags"
grep -q "^  OpenAI base URL: http://$GW/v1$" "$WORK/out" || fail "no OpenAI base URL line"
code=$(curl -s -o "$WORK/body" -w '%{http_code}' --max-time 5 "http://$GW/v1/models")
[[ $code == 200 ]] && grep -q '"data"' "$WORK/body" || fail "GET /v1/models under the base URL: HTTP $code"
grep -q "^  status page  *http://$GW/corral/$" "$WORK/out" || fail "no status page line"
code=$(curl -s -o "$WORK/body" -w '%{http_code}' --max-time 5 "http://$GW/corral/")
[[ $code == 200 ]] && grep -qi '<html' "$WORK/body" || fail "the status page: HTTP $code"

# The processes it printed are exactly its corral children: the gateway and four sims.
read -r -a PIDS < <(printed_pids)
((${#PIDS[@]} == 5)) || fail "expected 5 printed pids, got '${PIDS[*]}'"
children=()
for d in /proc/[0-9]*; do
  p=${d#/proc/}
  [[ $(stat_field "$p" 2 || true) == "$DEMO" ]] && is_corral "$p" && children+=("$p")
done
[[ $(printf '%s\n' "${children[@]}" | sort -n) == $(printf '%s\n' "${PIDS[@]}" | sort -n) ]] ||
  fail "printed pids ${PIDS[*]} but its corral children are ${children[*]}"

# Ctrl-C: SIGINT to the demo's process group, as a terminal sends it.
kill -INT -- "-$DEMO"
for ((i = 0; i < 300; i++)); do
  kill -0 "$DEMO" 2>/dev/null || break
  sleep 0.05
done
kill -0 "$DEMO" 2>/dev/null && fail "the demo still runs 15 s after SIGINT"
rc=0
wait "$DEMO" || rc=$?
((rc == 130)) || fail "the demo exited $rc after SIGINT, not 130"
grep -q "demo: stopped everything" "$WORK/out" || fail "the demo did not say it stopped everything"
for p in "${PIDS[@]}"; do is_corral "$p" && fail "corral pid $p outlived the demo"; done
# Nor anything those started: no process left in their sessions, none naming the demo's files.
for d in /proc/[0-9]*; do
  p=${d#/proc/}
  sid=$(stat_field "$p" 4 || true)
  for s in "${PIDS[@]}"; do [[ $sid == "$s" ]] && fail "pid $p ($(cat "$d/comm" 2>/dev/null)) left in session $s"; done
  tr '\0' ' ' <"$d/cmdline" 2>/dev/null | grep -qF "$WORK/corral-demo." && fail "pid $p still names the demo's files"
done
PIDS=()
echo "PASS: demo on $GW (port $TAKEN taken), answered$seen, stopped cleanly on SIGINT"
