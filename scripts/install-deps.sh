#!/usr/bin/env bash
# Installs everything Corral needs on Debian 12 from Debian's own archive (apt-get only).
# Idempotent: when every package is already present it changes nothing and makes no network call.
# Works as root or through sudo. Usage: scripts/install-deps.sh [--bench] [--fuzz]
#   --bench  also installs the contenders and tools of `make bench` (haproxy, nginx, wrk, ...).
#   --fuzz   also installs clang 14 and its libFuzzer runtime, for `make fuzz` only.
set -euo pipefail

# Build and test dependencies. Boost comes from the versioned 1.81 family on purpose: the
# unversioned libboost-*-dev packages pull 1.74, which lacks the Asio features we rely on.
PACKAGES=(
  build-essential cmake pkg-config git ca-certificates curl
  libboost1.81-dev libboost-json1.81-dev
  libsimdjson-dev libyaml-cpp-dev libspdlog-dev libfmt-dev libcli11-dev
  libssl-dev libhiredis-dev libzstd-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  redis-server prometheus chromium openssl
  # The benchmark harnesses' smoke runs (bench/bench.py and bench/routing_quality.py --smoke) are part of
  # make test and drive every contender, so the peers are test dependencies too (small packages).
  python3 wrk haproxy nginx-light
)
BENCH_PACKAGES=(nghttp2-client gnuplot-nox linux-perf valgrind strace)
FUZZ_PACKAGES=(clang-14 libclang-rt-14-dev)

want=("${PACKAGES[@]}")
for arg in "$@"; do
  case "$arg" in
    --bench) want+=("${BENCH_PACKAGES[@]}") ;;
    --fuzz) want+=("${FUZZ_PACKAGES[@]}") ;;
  esac
done
# Node.js and npm drive the official `ollama` and `openai` clients in tests. Debian's own packages
# are used only for what is not on the PATH already: NodeSource's nodejs (on some machines) brings its
# own npm and conflicts with Debian's npm package, while Debian's nodejs does not include npm.
if ! command -v node >/dev/null 2>&1; then want+=(nodejs); fi
if ! command -v npm >/dev/null 2>&1; then want+=(npm); fi

missing=()
for p in "${want[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]} == 0)); then
  echo "install-deps: all packages present"
  exit 0
fi

SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
# The Debian redis-server package starts a system instance on 6379; tests start their own
# on ephemeral ports, so the system one is left as the package configured it.
