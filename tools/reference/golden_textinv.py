"""Textual-inversion goldens: tiny embedding files and what diffusers' load_textual_inversion makes of them.

Writes testdata/textinv/*.safetensors and testdata/golden/textinv_<case>.safetensors (the prompt's
token ids and the text encoders' outputs after loading):

  sd      tiny-sd: an A1111 file (emb_params, 2 vectors, token "<a1111>") and a diffusers file
          ({"<cat-toy>": 1 vector}, token from the file)
  sdxl    tiny-sdxl: an SDXL pair file (clip_l, clip_g; 2 vectors each, token "<pair>")

Run from the repository root: tools/reference/.venv/bin/python tools/reference/golden_textinv.py
"""
import json
import os

import torch
from diffusers import AutoPipelineForText2Image
from safetensors.torch import load_file, save_file

TD = "testdata"
OUT = os.path.join(TD, "textinv")
GOLD = os.path.join(TD, "golden")


def ids_of(pipe, tok_attr, prompt):
    tok = getattr(pipe, tok_attr)
    p = pipe.maybe_convert_prompt(prompt, tok)
    return tok(p, padding="max_length", max_length=tok.model_max_length, truncation=True,
               return_tensors="pt").input_ids


@torch.no_grad()
def main():
    os.makedirs(OUT, exist_ok=True)
    g = torch.Generator().manual_seed(9)
    a1111 = os.path.join(OUT, "a1111.safetensors")
    save_file({"emb_params": torch.randn(2, 32, generator=g)}, a1111)
    diff = os.path.join(OUT, "cat-toy.safetensors")
    save_file({"<cat-toy>": torch.randn(32, generator=g)}, diff)
    pair = os.path.join(OUT, "pair.safetensors")
    save_file({"clip_l": torch.randn(2, 32, generator=g), "clip_g": torch.randn(2, 32, generator=g)}, pair)

    prompt = "a photo of <cat-toy> and <a1111> on a table"
    pipe = AutoPipelineForText2Image.from_pretrained(os.path.join(TD, "tiny-sd"), safety_checker=None)
    pipe.load_textual_inversion(a1111, token="<a1111>")
    pipe.load_textual_inversion(diff)
    ids = ids_of(pipe, "tokenizer", prompt)
    out = {"ids": ids.float(), "text_encoder": pipe.text_encoder(ids).last_hidden_state}
    save_file(out, os.path.join(GOLD, "textinv_sd.safetensors"), metadata={"prompt": prompt})
    print("sd ids", ids[0, :14].tolist())

    prompt = "a <pair> in the snow"
    pipe = AutoPipelineForText2Image.from_pretrained(os.path.join(TD, "tiny-sdxl"))
    sd = load_file(pair)
    pipe.load_textual_inversion(sd["clip_l"], token="<pair>", text_encoder=pipe.text_encoder, tokenizer=pipe.tokenizer)
    pipe.load_textual_inversion(sd["clip_g"], token="<pair>", text_encoder=pipe.text_encoder_2,
                                tokenizer=pipe.tokenizer_2)
    ids1, ids2 = ids_of(pipe, "tokenizer", prompt), ids_of(pipe, "tokenizer_2", prompt)
    o2 = pipe.text_encoder_2(ids2, output_hidden_states=True)
    out = {"ids": ids1.float(), "ids_2": ids2.float(), "text_encoder": pipe.text_encoder(ids1).last_hidden_state,
           "text_encoder_2": o2.hidden_states[-2], "text_encoder_2_embeds": o2.text_embeds}
    save_file(out, os.path.join(GOLD, "textinv_sdxl.safetensors"), metadata={"prompt": prompt})
    print("sdxl ids", ids1[0, :8].tolist(), ids2[0, :8].tolist())


if __name__ == "__main__":
    main()
