#!/usr/bin/env bash
# Runs the Go pipeline benchmark and the diffusers one back to back on the
# same machine and prints both, for side-by-side ratios.
#
#   tools/bench_compare.sh sd15   # SD 1.5 config, random weights, 512x512, 20 steps
#   tools/bench_compare.sh sdxl   # SDXL base config, fp16 files, one 1024x1024 step (latents)
#
# Weights come from tools/reference/fullsize.py (see README); the folders
# also need model_index.json, scheduler and tokenizer files (copied from
# testdata/configs and testdata/clip-tokenizer).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=tools/reference/.venv/bin/python
case "${1:-sd15}" in
sd15)
  go run ./tools/pipebench -model testdata/fullsize/sd15 -steps "${STEPS:-20}" -size 512
  "$PY" tools/reference/bench_pipeline.py testdata/fullsize/sd15 "${STEPS:-20}" 512
  ;;
sdxl)
  GOMEMLIMIT=15GiB go run ./tools/pipebench -model testdata/fullsize/sdxl -steps 1 -size 1024 -fp16 -latent
  "$PY" tools/reference/bench_pipeline.py testdata/fullsize/sdxl 1 1024 sdxl fp16 latent
  ;;
*)
  echo "usage: $0 sd15|sdxl" >&2
  exit 2
  ;;
esac
