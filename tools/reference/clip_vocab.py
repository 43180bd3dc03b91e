"""CLIP BPE vocabulary files in the Hub layout (vocab.json, merges.txt, tokenizer configs).

The vocabulary is rebuilt from the BPE merges file that ships inside open_clip_torch
(bpe_simple_vocab_16e6.txt.gz), the same data as openai/clip-vit-large-patch14:
  ids 0..255      the 256 byte-to-unicode characters
  ids 256..511    the same with "</w>"
  ids 512..       one token per merge (the merged pair joined)
  last two        <|startoftext|>, <|endoftext|>
"""

import gzip
import json
import os

import open_clip.tokenizer as oct

BOS = "<|startoftext|>"
EOS = "<|endoftext|>"
FULL_MERGES = 49152 - 256 - 2  # 48894, as open_clip and the Hub merges.txt


def _merges_from_open_clip():
    lines = gzip.open(oct.default_bpe()).read().decode("utf-8").split("\n")
    merges = lines[1 : FULL_MERGES + 1]
    assert len(merges) == FULL_MERGES
    return [tuple(m.split()) for m in merges]


def build(n_merges=FULL_MERGES):
    """Returns (vocab dict token->id in id order, merges list of pairs) with n_merges merges."""
    merges = _merges_from_open_clip()[:n_merges]
    byte_chars = list(oct.bytes_to_unicode().values())
    tokens = byte_chars + [c + "</w>" for c in byte_chars]
    tokens += ["".join(m) for m in merges]
    tokens += [BOS, EOS]
    vocab = {t: i for i, t in enumerate(tokens)}
    assert len(vocab) == len(tokens), "duplicate tokens"
    return vocab, merges


def _added(content, with_type):
    d = {}
    if with_type:
        d["__type"] = "AddedToken"
    d.update(content=content, lstrip=False, normalized=True, rstrip=False, single_word=False)
    return d


def tokenizer_config(pad, flavor):
    """tokenizer_config.json as shipped on the Hub.

    flavor "sd15": runwayml/stable-diffusion-v1-5 tokenizer/ (copied from openai/clip-vit-large-patch14);
    flavor "sdxl": stable-diffusion-xl-base-1.0 tokenizer/ and tokenizer_2/, stable-diffusion-2-1 tokenizer/
    (written by a newer transformers: clean_up_tokenization_spaces, no name_or_path).
    """
    cfg = {
        "add_prefix_space": False,
        "bos_token": _added(BOS, True),
    }
    if flavor != "sd15":
        cfg["clean_up_tokenization_spaces"] = True
    cfg["do_lower_case"] = True
    cfg["eos_token"] = _added(EOS, True)
    cfg["errors"] = "replace"
    cfg["model_max_length"] = 77
    if flavor == "sd15":
        cfg["name_or_path"] = "openai/clip-vit-large-patch14"
    cfg["pad_token"] = pad
    if flavor == "sd15":
        cfg["special_tokens_map_file"] = "./special_tokens_map.json"
    cfg["tokenizer_class"] = "CLIPTokenizer"
    cfg["unk_token"] = _added(EOS, True)
    return cfg


def special_tokens_map(pad):
    return {
        "bos_token": _added(BOS, False),
        "eos_token": _added(EOS, False),
        "pad_token": pad,
        "unk_token": _added(EOS, False),
    }


def _dump(path, obj):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=2, ensure_ascii=False)
        f.write("\n")


def write_vocab_files(out_dir, vocab, merges):
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "vocab.json"), "w", encoding="utf-8") as f:
        json.dump(vocab, f, ensure_ascii=False)
    with open(os.path.join(out_dir, "merges.txt"), "w", encoding="utf-8") as f:
        f.write("#version: 0.2\n")
        for a, b in merges:
            f.write(f"{a} {b}\n")


def write_configs(out_dir, pad, flavor):
    os.makedirs(out_dir, exist_ok=True)
    _dump(os.path.join(out_dir, "tokenizer_config.json"), tokenizer_config(pad, flavor))
    _dump(os.path.join(out_dir, "special_tokens_map.json"), special_tokens_map(pad))


def write_tokenizer(out_dir, vocab, merges, pad, flavor):
    write_vocab_files(out_dir, vocab, merges)
    write_configs(out_dir, pad, flavor)


def link_vocab_files(out_dir, target_dir):
    """Makes out_dir/vocab.json and merges.txt relative symlinks to the files in target_dir."""
    os.makedirs(out_dir, exist_ok=True)
    for name in ("vocab.json", "merges.txt"):
        dst = os.path.join(out_dir, name)
        if os.path.lexists(dst):
            os.remove(dst)
        os.symlink(os.path.relpath(os.path.join(target_dir, name), out_dir), dst)
