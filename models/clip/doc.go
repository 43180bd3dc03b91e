// Package clip implements the CLIP text side used by Stable Diffusion
// pipelines: the byte-level BPE tokenizer read from a checkpoint's tokenizer
// folder, and the CLIP text transformer (CLIPTextModel and
// CLIPTextModelWithProjection) read from a text_encoder folder.
//
// # Tokenizer
//
// LoadTokenizer reproduces what transformers' CLIPTokenizer.from_pretrained
// returns for a folder (in transformers 5 the tokenizers-backed class, which
// is what diffusers loads): added and special tokens cut out first (on the
// raw text, or after normalization for tokens marked "normalized"), then NFC,
// every Unicode whitespace run folded to one space and per-character
// lowercasing; CLIP's split pattern, the byte-to-unicode mapping, BPE merges
// by rank with "</w>" on the last symbol; BOS and EOS around the tokens;
// truncation and padding to model_max_length with the folder's pad token
// ("<|endoftext|>" for SD 1.x/2.x, "!" = 0 for SDXL's tokenizer_2; note that a
// pad token is also a special token, so "!" in an SDXL prompt is id 0 there).
// That class does not run ftfy or HTML unescaping (the older Python-only
// tokenizer did), so neither does this package: "&amp;" stays three tokens.
// Folders in either form are read: vocab.json + merges.txt (Hub layout) or
// tokenizer.json (what transformers 5 save_pretrained writes), each with
// tokenizer_config.json and special_tokens_map.json.
//
// # Text model
//
// The text model computes in float32 with package tensor: token + position
// embeddings, pre-LayerNorm encoder layers with causal self-attention, the
// final layer norm, every hidden state (for clip skip and SDXL's penultimate
// state), the pooled state at the end-of-text position (transformers' rule,
// including the legacy eos_token_id == 2 argmax) and, for the projection
// variant, text_projection of it.
//
// It is not a vision model, and it does not train.
package clip
