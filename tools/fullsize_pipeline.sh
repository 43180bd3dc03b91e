#!/usr/bin/env bash
# Makes testdata/fullsize/<model> a loadable pipeline folder around the
# random-weight components fullsize.py wrote: model_index.json, the
# scheduler config and the tokenizer files (real CLIP vocabulary) from
# testdata/configs and testdata/clip-tokenizer.
#
#   tools/fullsize_pipeline.sh sd-turbo    # after fullsize.py sd-turbo/unet sd-turbo/vae sd-turbo/text_encoder
set -euo pipefail
cd "$(dirname "$0")/.."
declare -A REPO=([sd15]=runwayml--stable-diffusion-v1-5 [sd21]=stabilityai--stable-diffusion-2-1
  [sdxl]=stabilityai--stable-diffusion-xl-base-1.0 [lcm]=SimianLuo--LCM_Dreamshaper_v7
  [sd-turbo]=stabilityai--sd-turbo [sdxl-turbo]=stabilityai--sdxl-turbo)
model=${1:?usage: $0 MODEL}
src=testdata/configs/${REPO[$model]:?unknown model $model}
dst=testdata/fullsize/$model
mkdir -p "$dst"
cp "$src/model_index.json" "$dst/"
mkdir -p "$dst/scheduler" && cp "$src/scheduler/scheduler_config.json" "$dst/scheduler/"
for tok in tokenizer tokenizer_2; do
  [ -d "$src/$tok" ] || continue
  mkdir -p "$dst/$tok"
  cp "$src/$tok"/*.json "$dst/$tok/"
  cp testdata/clip-tokenizer/sd15/vocab.json testdata/clip-tokenizer/sd15/merges.txt "$dst/$tok/"
done
echo "$dst ready"
