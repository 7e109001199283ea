#!/usr/bin/env bash
# The longest functions under src/ (lines from signature to closing brace), longest first: how the
# house style's soft cap of ~60 lines per function is holding. Needs Universal Ctags (Debian:
# universal-ctags).   scripts/function_sizes.sh [count] [folder...]   e.g. scripts/function_sizes.sh 15 src/proxy
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-20}
shift || true
dirs=("${@:-src}")
ctags -R -x --_xformat='%{end} %{line} %{input} %{scope}::%{name}' --kinds-c++=f --fields=+ne \
    --languages=C++ --exclude='*.inc' "${dirs[@]}" 2>/dev/null |
  awk '$1 ~ /^[0-9]+$/ && $2 ~ /^[0-9]+$/ { n = $1 - $2 + 1; sub(/^::/, "", $4); gsub(/__anon[0-9a-f]+::/, "", $4); sub(/^corral::/, "", $4); printf "%5d  %s:%d  %s\n", n, $3, $2, $4 }' |
  sort -rn | head -n "$count"
