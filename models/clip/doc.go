// Package clip implements the CLIP text side used by Stable Diffusion
// pipelines: the byte-level BPE tokenizer read from a checkpoint's tokenizer
// folder, and the CLIP text transformer (CLIPTextModel and
// CLIPTextModelWithProjection) read from a text_encoder folder.
//
// The tokenizer reproduces what transformers' CLIPTokenizer.from_pretrained
// returns for such a folder (the tokenizers-backed class): NFC, whitespace
// folding and lowercasing, the CLIP split pattern, byte-to-unicode mapping,
// BPE merges with a "</w>" end-of-word suffix, added/special tokens matched
// before (or, for "normalized" ones, after) normalization, BOS/EOS, and
// truncation and padding to model_max_length.
//
// The text model computes in float32 with the tensor package and returns every
// hidden state, the final-layer-norm output, the pooled EOS state and, for the
// projection variant, the projected text embeddings.
//
// It is not a vision model, and it does not train.
package clip
