#!/usr/bin/env bash
# Few-step models on the CPU, side by side with diffusers in one run:
# time to image (Generate call to decoded image), per phase, and peak RSS.
#
#   tools/bench_fast.sh sd-turbo     # SD-Turbo, 1 step, 512x512, guidance off: TAESD, then the full VAE
#   tools/bench_fast.sh lcm          # LCM (SD 1.5 UNet + time_cond_proj_dim), 4 steps, guidance 8.5
#   tools/bench_fast.sh sdxl-turbo   # SDXL-Turbo, 1 step, 512x512, guidance off, fp16 files, TAESDXL
#   tools/bench_fast.sh sdxl-turbo-vae   # the same with the full VAE
#
# Full-size random weights from the real configs (testdata/fullsize, git-ignored):
#   tools/reference/.venv/bin/python tools/reference/fullsize.py sd-turbo/unet sd-turbo/vae sd-turbo/text_encoder taesd
#   tools/reference/.venv/bin/python tools/reference/fullsize.py lcm/unet lcm/vae lcm/text_encoder
#   tools/reference/.venv/bin/python tools/reference/fullsize.py --fp16 sdxl-turbo/unet sdxl-turbo/vae \
#       sdxl-turbo/text_encoder sdxl-turbo/text_encoder_2 && tools/reference/.venv/bin/python tools/reference/fullsize.py taesdxl
#   tools/fullsize_pipeline.sh sd-turbo; tools/fullsize_pipeline.sh lcm; tools/fullsize_pipeline.sh sdxl-turbo
# RUNS=N (default 1) runs each side N times, alternating Go and diffusers,
# so a report can take medians on a machine whose speed varies from run to
# run. Run it under `flock /tmp/heavy.lock` on a shared machine.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=tools/reference/.venv/bin/python
[ -x "$PY" ] || PY=/work/main/tools/reference/.venv/bin/python
F=testdata/fullsize
go build -o /tmp/pipebench-fast ./tools/pipebench
# Warm page cache for both sides: the Go loader maps the files and reads a
# page at its first use (in the first Generate), diffusers reads them while
# loading; reading every file once first makes neither pay for the disk.
warm() { find "$@" -name '*.safetensors' -exec cat {} + >/dev/null; }
run() { # label, go flags..., --, python args...
  local label=$1; shift
  local goargs=() ; while [ "$1" != "--" ]; do goargs+=("$1"); shift; done; shift
  echo "== $label"
  # Warm before each run: diffusers' SDXL process holds 15-18 GB, enough
  # to push the other side's files out of the page cache of a 24 GB machine.
  for ((i = 1; i <= ${RUNS:-1}; i++)); do
    warm "${WARM[@]}"
    /usr/bin/time -f "go  wall %es  cpu user %Us sys %Ss  maxrss %MkB" /tmp/pipebench-fast "${goargs[@]}"
    warm "${WARM[@]}"
    /usr/bin/time -f "py  wall %es  cpu user %Us sys %Ss  maxrss %MkB" "$PY" tools/reference/bench_pipeline.py "$@"
  done
}
case "${1:-sd-turbo}" in
sd-turbo)
  WARM=($F/sd-turbo $F/taesd)
  run "SD-Turbo 1 step + TAESD" -model $F/sd-turbo -steps 1 -size 512 -guidance -1 -vae $F/taesd -- $F/sd-turbo 1 512 guidance=0 vae=$F/taesd
  run "SD-Turbo 1 step + full VAE" -model $F/sd-turbo -steps 1 -size 512 -guidance -1 -- $F/sd-turbo 1 512 guidance=0
  ;;
lcm)
  WARM=($F/lcm $F/taesd)
  run "LCM 4 steps + TAESD" -model $F/lcm -steps 4 -size 512 -vae $F/taesd -- $F/lcm 4 512 vae=$F/taesd
  run "LCM 4 steps + full VAE" -model $F/lcm -steps 4 -size 512 -- $F/lcm 4 512
  ;;
sdxl-turbo)
  WARM=($F/sdxl-turbo $F/taesdxl)
  GOMEMLIMIT=${GOMEMLIMIT:-10GiB} run "SDXL-Turbo 1 step 512x512 + TAESDXL" -model $F/sdxl-turbo -steps 1 -size 512 -guidance -1 -fp16 -vae $F/taesdxl -- $F/sdxl-turbo 1 512 sdxl fp16 guidance=0 vae=$F/taesdxl
  ;;
sdxl-turbo-vae)
  WARM=($F/sdxl-turbo)
  GOMEMLIMIT=${GOMEMLIMIT:-10GiB} run "SDXL-Turbo 1 step 512x512 + full VAE" -model $F/sdxl-turbo -steps 1 -size 512 -guidance -1 -fp16 -- $F/sdxl-turbo 1 512 sdxl fp16 guidance=0
  ;;
*)
  echo "usage: $0 sd-turbo|lcm|sdxl-turbo|sdxl-turbo-vae" >&2
  exit 2
  ;;
esac
