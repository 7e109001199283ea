#!/usr/bin/env bash
# make bench: builds the streaming probe, then runs every scenario against direct, Corral,
# HAProxy and NGINX in one invocation. Arguments go to bench/bench.py (e.g. --quick).
set -euo pipefail
cd "$(dirname "$0")/.."
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
if [[ ! -f build-bench/CMakeCache.txt ]]; then
  cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DCORRAL_BENCH=ON -DCORRAL_TESTS=OFF >/dev/null
fi
cmake --build build-bench -j"$(nproc)" --target stream_probe
if cmake --build build-bench --target help | grep -q corral_micro_bench; then
  cmake --build build-bench -j"$(nproc)" --target corral_micro_bench
fi
python3 bench/bench.py "$@"
# Routing quality: a multi-model trace against Corral model_aware, least_connections and HAProxy (~3 min).
python3 bench/routing_quality.py
if [[ -x build-bench/corral_micro_bench ]]; then
  echo "## 5. Model extraction micro-benchmark"
  build-bench/corral_micro_bench --benchmark_format=console | tee bench/results/micro.txt
fi
