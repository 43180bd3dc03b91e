#!/usr/bin/env bash
# Loads a full-size SD 1.5 single file (fp32 and fp16) with Go, its diffusers
# folder with Go, and the single file with diffusers' from_single_file (local
# config), back to back on a warm page cache: time and peak RSS of each.
#
#   tools/bench_singlefile.sh [DIR]   # DIR from tools/reference/singlefile_fullsize.py (default /tmp/sfbench)
#
# Each command runs once to warm the page cache, then RUNS times (default 3).
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-/tmp/sfbench}
PY=${PY:-tools/reference/.venv/bin/python}
runs=${RUNS:-3}
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
go build -o "$bin/singlefilebench" ./tools/singlefilebench
go=$bin/singlefilebench
bench() {
  "$@" >/dev/null 2>&1
  for _ in $(seq "$runs"); do "$@" 2>/dev/null | grep -E '^(go|py) '; done
}
bench "$go" -file "$dir/sd15.safetensors"
bench "$go" -dir "$dir/sd15"
bench "$PY" tools/reference/bench_singlefile.py "$dir/sd15.safetensors" "$dir/sd15"
bench "$go" -file "$dir/sd15.fp16.safetensors" -half
bench "$go" -dir "$dir/sd15" -variant fp16 -half
bench "$PY" tools/reference/bench_singlefile.py "$dir/sd15.fp16.safetensors" "$dir/sd15" fp16
