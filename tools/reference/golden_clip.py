"""Golden data for package models/clip (tokenizer and CLIP text encoders).

Run from the repository root:

    tools/reference/.venv/bin/python tools/reference/golden_clip.py            # goldens
    tools/reference/.venv/bin/python tools/reference/golden_clip.py --fullsize # + ViT-L/14 random weights
    tools/reference/.venv/bin/python tools/reference/golden_clip.py --bench    # transformers timing

Without arguments it writes
  testdata/golden/clip_tokenizer.json: for every prompt of testdata/clip-corpus/prompts.json and
      each tokenizer folder (the real ones in testdata/clip-tokenizer/{sd15,sdxl2}, the tiny
      fixtures' ones), the ids of CLIPTokenizer.from_pretrained(dir) with padding="max_length",
      truncation=True, max_length=model_max_length (what diffusers asks for), and without
      padding/truncation. Each folder is also re-saved with save_pretrained (transformers 5 writes
      tokenizer.json + tokenizer_config.json only), checked to give the same ids: the tiny ones into
      testdata/golden/clip_saved_tokenizer/, the real ones (3.6 MB each) into the git-ignored
      testdata/fullsize/clip_saved_tokenizer/.
  testdata/golden/clip_text.safetensors + clip_text.json: for the text encoders of the tiny
      fixtures, input ids (from the fixture's own tokenizer plus one random row), every hidden
      state, the final-layer-norm output, the pooled output and (projection models) text_embeds.

--fullsize writes testdata/fullsize/clip_vitl14/ (git-ignored): a CLIPTextModel with the
ViT-L/14 text config (SD 1.x text encoder shape), random weights saved with the
"text_model." key prefix of real checkpoints, and golden.safetensors with its outputs.

--bench times CLIPTextModel forward on one 77-token prompt with that config.
"""

import json
import os
import sys
import time

import torch

import diffusers
import safetensors.torch
import transformers
from transformers import CLIPTextConfig, CLIPTextModel, CLIPTextModelWithProjection, CLIPTokenizer

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GOLDEN = os.path.join(ROOT, "testdata", "golden")
SEED = 0

# name -> (folder as published, folder re-saved by transformers 5 save_pretrained (tokenizer.json form)).
TOKENIZERS = {
    "sd15": ("testdata/clip-tokenizer/sd15", "testdata/fullsize/clip_saved_tokenizer/sd15"),
    "sdxl2": ("testdata/clip-tokenizer/sdxl2", "testdata/fullsize/clip_saved_tokenizer/sdxl2"),
    "tiny_sd": ("testdata/tiny-sd/tokenizer", "testdata/golden/clip_saved_tokenizer/tiny_sd"),
    "tiny_sdxl2": ("testdata/tiny-sdxl/tokenizer_2", "testdata/golden/clip_saved_tokenizer/tiny_sdxl2"),
}
ENCODERS = {
    "tiny_sd": ("testdata/tiny-sd/text_encoder", "testdata/tiny-sd/tokenizer"),
    "tiny_sd2": ("testdata/tiny-sd2/text_encoder", "testdata/tiny-sd2/tokenizer"),
    "tiny_sdxl": ("testdata/tiny-sdxl/text_encoder", "testdata/tiny-sdxl/tokenizer"),
    "tiny_sdxl_2": ("testdata/tiny-sdxl/text_encoder_2", "testdata/tiny-sdxl/tokenizer_2"),
}
ENCODER_PROMPTS = ["a photo of a cat", "an astronaut riding a horse, highly detailed!"]

VITL14 = dict(vocab_size=49408, hidden_size=768, intermediate_size=3072, num_hidden_layers=12,
              num_attention_heads=12, max_position_embeddings=77, hidden_act="quick_gelu",
              layer_norm_eps=1e-5, projection_dim=768, bos_token_id=0, eos_token_id=2, pad_token_id=1)
FULLSIZE = os.path.join(ROOT, "testdata", "fullsize", "clip_vitl14")


def versions():
    return {"torch": torch.__version__, "transformers": transformers.__version__,
            "diffusers": diffusers.__version__}


def encode_corpus(tok, prompts):
    padded = [tok(p, padding="max_length", max_length=tok.model_max_length, truncation=True).input_ids
              for p in prompts]
    unpadded = [tok(p).input_ids for p in prompts]
    return padded, unpadded


def tokenizer_goldens():
    prompts = json.load(open(os.path.join(ROOT, "testdata", "clip-corpus", "prompts.json"), encoding="utf-8"))
    out = {"manifest": dict(versions(), corpus="testdata/clip-corpus/prompts.json", prompts=len(prompts),
                            what="CLIPTokenizer.from_pretrained(dir): padded = tok(p, padding='max_length', "
                                 "max_length=model_max_length, truncation=True).input_ids; "
                                 "unpadded = tok(p).input_ids; dirs[1] is dirs[0] re-saved with "
                                 "save_pretrained (tokenizer.json only) and gives the same ids"),
           "tokenizers": {}}
    for name, (rel, saved) in TOKENIZERS.items():
        d = os.path.join(ROOT, rel)
        if not os.path.isdir(d):
            print("skip tokenizer", rel)
            continue
        tok = CLIPTokenizer.from_pretrained(d)
        padded, unpadded = encode_corpus(tok, prompts)
        # The tokenizer.json form written by save_pretrained must tokenize the same way.
        sd = os.path.join(ROOT, saved)
        tok.save_pretrained(sd)
        p2, u2 = encode_corpus(CLIPTokenizer.from_pretrained(sd), prompts)
        assert p2 == padded and u2 == unpadded, f"{name}: re-saved tokenizer differs"
        out["tokenizers"][name] = {"dirs": [rel, saved], "class": type(tok).__name__,
                                   "model_max_length": tok.model_max_length,
                                   "bos": tok.bos_token_id, "eos": tok.eos_token_id, "pad": tok.pad_token_id,
                                   "padded": padded, "unpadded": unpadded}
        print(f"tokenizer {name}: {len(prompts)} prompts, pad {tok.pad_token_id}, re-saved form agrees")
    with open(os.path.join(GOLDEN, "clip_tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(out, f, separators=(",", ":"))
        f.write("\n")


def run_model(model, ids):
    with torch.no_grad():
        o = model(input_ids=ids, output_hidden_states=True)
    res = {"ids": ids.to(torch.int64)}
    for i, h in enumerate(o.hidden_states):
        res[f"hidden.{i}"] = h
    res["last_hidden"] = o.last_hidden_state
    if hasattr(o, "text_embeds") and o.text_embeds is not None:
        res["text_embeds"] = o.text_embeds
        # CLIPTextModelWithProjection does not return the pooled state: recompute it the same way.
        res["pooled"] = pooled_of(model.config, o.last_hidden_state, ids)
    else:
        res["pooled"] = o.pooler_output
    return res


def pooled_of(cfg, last, ids):
    if cfg.eos_token_id == 2:
        pos = ids.to(torch.int).argmax(dim=-1)
    else:
        pos = (ids.to(torch.int) == cfg.eos_token_id).int().argmax(dim=-1)
    return last[torch.arange(last.shape[0]), pos]


def load_encoder(d):
    cfg = json.load(open(os.path.join(d, "config.json")))
    arch = (cfg.get("architectures") or ["CLIPTextModel"])[0]
    cls = CLIPTextModelWithProjection if arch == "CLIPTextModelWithProjection" else CLIPTextModel
    return cls.from_pretrained(d, torch_dtype=torch.float32).eval(), arch


def encoder_goldens():
    tensors, manifest = {}, dict(versions(), seed=SEED, encoders={},
                                 what="text encoders of the tiny fixtures: ids [2 tokenizer rows + 1 random row], "
                                      "hidden.<i> (output_hidden_states[i] for i in 0, N-1, N), last_hidden, pooled, text_embeds")
    for name, (rel, tokrel) in ENCODERS.items():
        d = os.path.join(ROOT, rel)
        if not os.path.isfile(os.path.join(d, "config.json")):
            print("skip encoder", rel)
            continue
        model, arch = load_encoder(d)
        cfg = model.config
        tok = CLIPTokenizer.from_pretrained(os.path.join(ROOT, tokrel))
        L = min(tok.model_max_length, cfg.max_position_embeddings)
        rows = [tok(p, padding="max_length", max_length=L, truncation=True).input_ids for p in ENCODER_PROMPTS]
        g = torch.Generator().manual_seed(SEED)
        rnd = torch.randint(0, cfg.vocab_size, (L,), generator=g)
        rnd[L // 2] = cfg.eos_token_id if isinstance(cfg.eos_token_id, int) else 2
        ids = torch.tensor(rows + [rnd.tolist()], dtype=torch.int64)
        res = run_model(model, ids)
        n = cfg.num_hidden_layers
        keep = {"hidden.0", f"hidden.{n - 1}", f"hidden.{n}"}  # embeddings, penultimate, last layer
        for k, v in res.items():
            if k.startswith("hidden.") and k not in keep:
                continue
            tensors[f"{name}.{k}"] = v.detach().contiguous().clone()
        manifest["encoders"][name] = {"dir": rel, "tokenizer": tokrel, "architecture": arch,
                                      "prompts": ENCODER_PROMPTS, "shape_ids": list(ids.shape),
                                      "hidden_states": cfg.num_hidden_layers + 1,
                                      "eos_token_id": cfg.eos_token_id}
        print(f"encoder {name}: {arch}, ids {list(ids.shape)}")
    safetensors.torch.save_file(tensors, os.path.join(GOLDEN, "clip_text.safetensors"))
    with open(os.path.join(GOLDEN, "clip_text.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")


def vitl14_model():
    torch.manual_seed(SEED)
    model = CLIPTextModel(CLIPTextConfig(**VITL14)).eval()
    with torch.no_grad():
        # Non-trivial layer norms, so a wrong gamma/beta shows.
        for n, p in model.named_parameters():
            if "layer_norm" in n:
                p.add_(torch.randn_like(p) * 0.1)
    return model


def fullsize():
    os.makedirs(FULLSIZE, exist_ok=True)
    model = vitl14_model()
    model.config.architectures = ["CLIPTextModel"]
    model.config.to_json_file(os.path.join(FULLSIZE, "config.json"))
    sd = {"text_model." + k: v.contiguous() for k, v in model.state_dict().items()}
    sd["text_model.embeddings.position_ids"] = torch.arange(77, dtype=torch.int64)[None]
    safetensors.torch.save_file(sd, os.path.join(FULLSIZE, "model.safetensors"), metadata={"format": "pt"})
    tok = CLIPTokenizer.from_pretrained(os.path.join(ROOT, TOKENIZERS["sd15"][0]))
    prompts = ["a photo of an astronaut riding a horse on mars, highly detailed, 8k", ""]
    ids = torch.tensor([tok(p, padding="max_length", max_length=77, truncation=True).input_ids for p in prompts])
    res = run_model(model, ids)
    out = {"ids": res["ids"], "last_hidden": res["last_hidden"], "pooled": res["pooled"],
           "penultimate": res[f"hidden.{VITL14['num_hidden_layers'] - 1}"]}
    safetensors.torch.save_file({k: v.contiguous() for k, v in out.items()}, os.path.join(FULLSIZE, "golden.safetensors"))
    with open(os.path.join(FULLSIZE, "golden.json"), "w") as f:
        json.dump(dict(versions(), seed=SEED, prompts=prompts, config=VITL14,
                       what="CLIPTextModel ViT-L/14 text config, random weights: last_hidden, penultimate "
                            "(hidden_states[-2]), pooled"), f, indent=1)
    print("wrote", FULLSIZE)


def bench():
    threads = int(os.environ.get("BENCH_THREADS", "2"))
    torch.set_num_threads(threads)
    model = vitl14_model()
    ids = torch.randint(0, 49406, (1, 77))
    with torch.no_grad():
        for _ in range(3):
            model(input_ids=ids)
        n = int(os.environ.get("BENCH_N", "20"))
        times, cpu0 = [], time.process_time()
        for _ in range(n):
            t0 = time.perf_counter()
            model(input_ids=ids)
            times.append(time.perf_counter() - t0)
        cpu = (time.process_time() - cpu0) / n
        times.sort()
        dt = times[len(times) // 2]
    print(f"transformers CLIPTextModel ViT-L/14, 1x77, fp32, {threads} threads: median {dt * 1000:.1f} ms/forward, "
          f"min {times[0] * 1000:.1f} ms, process CPU {cpu * 1000:.1f} ms/forward over {n} runs")


def main():
    torch.set_num_threads(2)
    if "--bench" in sys.argv:
        bench()
        return
    os.makedirs(GOLDEN, exist_ok=True)
    tokenizer_goldens()
    encoder_goldens()
    if "--fullsize" in sys.argv:
        fullsize()


if __name__ == "__main__":
    main()
