"""Writes the test fixtures under testdata/ (run from the repository root, no arguments).

  testdata/clip-tokenizer/sd15/   real CLIP vocabulary, pad <|endoftext|> (SD 1.5 tokenizer/)
  testdata/clip-tokenizer/sdxl2/  same vocabulary, pad "!" (SDXL base tokenizer_2/); vocab.json and
                                  merges.txt are symlinks to ../sd15/
  testdata/configs/<org>--<name>/ real Hub config files of the reference checkpoints (hub_configs.py;
                                  check_configs.py checks them)
  testdata/tiny-*/                tiny random-weight pipelines in the Hub layout (see tiny_pipelines.py)

Deterministic: fixed seeds, CPU, fp32.
"""

import os
import shutil
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import clip_vocab  # noqa: E402
import hub_configs  # noqa: E402

TESTDATA = "testdata"

PROMPTS = [
    "a photo of a cat",
    "A photo of an astronaut riding a horse on Mars, high detail, 8k",
    "",
    "  lots   of\twhite\nspace  ",
    "Don't stop: it's 3.14159 o'clock; we'll see, they've gone, I'm here, you'd know!",
    "UPPER lower MiXeD CaSe",
    "emoji 🐱🚀 and ünïcödé café naïve 東京 Москва",
    "punctuation!!! ??? ... ---- (parens) [brackets] {braces} #hash @at $100 50%",
    "photo-realistic, ultra_detailed, masterpiece:1.2, (best quality)",
    "a" * 300,
    "supercalifragilisticexpialidocious antidisestablishmentarianism",
    "numbers 1234567890 and 2024-01-01",
]


def _open_clip_ids(ref, text, pad_is_bang):
    """open_clip's ids for text; with pad "!" transformers treats every "!" as the special pad token
    (an added token, split out before BPE), so "!" becomes id 0 instead of being merged."""
    if not pad_is_bang:
        return ref.encode(text)
    ids = []
    for i, piece in enumerate(text.split("!")):
        if i > 0:
            ids.append(0)
        ids += ref.encode(piece)
    return ids


def check_tokenizer(path, pad_id):
    """transformers' CLIPTokenizer on these files must tokenize exactly as open_clip's tokenizer
    (up to the "!" pad token, see _open_clip_ids)."""
    import open_clip.tokenizer as oct
    from transformers import CLIPTokenizer

    hf = CLIPTokenizer.from_pretrained(path)
    ref = oct.SimpleTokenizer()
    assert len(hf) == 49408, len(hf)
    assert hf.model_max_length == 77
    assert hf.bos_token_id == 49406 and hf.eos_token_id == 49407, (hf.bos_token_id, hf.eos_token_id)
    assert hf.pad_token_id == pad_id, (hf.pad_token_id, pad_id)
    ids = hf("a photo of a cat").input_ids
    assert ids == [49406, 320, 1125, 539, 320, 2368, 49407], ids
    for p in PROMPTS:
        got = hf(p).input_ids
        want = [49406] + _open_clip_ids(ref, p, pad_id == 0) + [49407]
        assert got == want, f"{path}: {p!r}:\n hf   {got}\n open {want}"
    padded = hf("a photo of a cat", padding="max_length", max_length=77, truncation=True).input_ids
    assert len(padded) == 77 and padded[7:] == [pad_id] * 70
    if pad_id == 0:
        assert hf("wow!").input_ids == [49406, 2781, 0, 49407]
    else:
        assert hf("wow!").input_ids == [49406, 2781, 256, 49407]
    long = hf("a" * 300 + " b " * 100, padding="max_length", max_length=77, truncation=True).input_ids
    assert len(long) == 77 and long[0] == 49406 and long[-1] == 49407


def write_clip_tokenizers(testdata):
    root = os.path.join(testdata, "clip-tokenizer")
    shutil.rmtree(root, ignore_errors=True)
    vocab, merges = clip_vocab.build()
    assert len(vocab) == 49408 and len(merges) == 48894
    sd15 = os.path.join(root, "sd15")
    sdxl2 = os.path.join(root, "sdxl2")
    clip_vocab.write_tokenizer(sd15, vocab, merges, pad=clip_vocab.EOS, flavor="sd15")
    clip_vocab.write_configs(sdxl2, pad="!", flavor="sdxl")
    clip_vocab.link_vocab_files(sdxl2, sd15)
    check_tokenizer(sd15, pad_id=49407)
    check_tokenizer(sdxl2, pad_id=0)
    print(f"wrote {root} (49408 tokens, 48894 merges)")


def main():
    # Optional argument: another output folder instead of testdata/ (to compare two runs).
    out = sys.argv[1] if len(sys.argv) > 1 else TESTDATA
    torch.manual_seed(0)
    torch.set_num_threads(2)
    if not os.path.isdir(TESTDATA) or not os.path.isfile("go.mod"):
        sys.exit("run from the repository root")
    os.makedirs(out, exist_ok=True)
    write_clip_tokenizers(out)
    hub_configs.write_all(os.path.join(out, "configs"))

    import tiny_pipelines  # noqa: E402 (imports diffusers: slow)

    tiny_pipelines.write_all(out)

    import tiny_fast  # noqa: E402 (links to tiny-sd and tiny-sd2)

    tiny_fast.write_all(out)


if __name__ == "__main__":
    main()
