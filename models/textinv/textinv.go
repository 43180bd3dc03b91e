// Package textinv reads textual-inversion embeddings and adds them to a
// tokenizer and text encoder as new tokens, as diffusers'
// load_textual_inversion does, without changing the tokenizer and model it
// is given: it returns copies, so the pipelines sharing them are unaffected.
//
// Formats (.safetensors only): A1111 (emb_params, or string_to_param.* as
// converted from .pt files), diffusers (one tensor named after the token)
// and SDXL pairs (clip_l for the first text encoder, clip_g for the
// second). A file may hold one or several vectors; a token with n vectors
// becomes n ids, which the tokenizer emits for the token.
package textinv

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"github.com/goautopipe/diffusers/models/clip"
	"github.com/goautopipe/diffusers/models/weights"
	"github.com/goautopipe/diffusers/tensor"
)

// Encoders of an SDXL pair file.
const (
	TextEncoder  = "text_encoder"
	TextEncoder2 = "text_encoder_2"
)

// Embedding is a textual inversion: the vectors of one token, per text
// encoder ("" when the file is for a single encoder).
type Embedding struct {
	Token   string
	Vectors map[string]*tensor.Dense // [n, hidden]
}

// maxVectors bounds the vectors of one token.
const maxVectors = 256

// Load reads an embedding file. token names the new token; "" takes the
// name a diffusers file gives, else the file name without extension (the
// trigger word A1111 uses).
func Load(path, token string) (*Embedding, error) {
	src, err := weights.Open(path)
	if err != nil {
		return nil, fmt.Errorf("textinv: %w", err)
	}
	defer src.Close()
	e, err := parse(src, token, strings.TrimSuffix(filepath.Base(path), filepath.Ext(path)))
	if err != nil {
		return nil, fmt.Errorf("textinv: %s: %w", path, err)
	}
	return e, nil
}

// parse reads the embedding; token "" means the diffusers file's tensor
// name, or else fileToken.
func parse(src weights.Source, token, fileToken string) (*Embedding, error) {
	names := src.Names()
	e := &Embedding{Token: token, Vectors: map[string]*tensor.Dense{}}
	if token == "" {
		e.Token = fileToken
		if len(names) == 1 && !strings.HasPrefix(names[0], "string_to_param.") && names[0] != "emb_params" {
			e.Token = names[0]
		}
	}
	switch {
	case has(names, "clip_l") || has(names, "clip_g"):
		for enc, name := range map[string]string{TextEncoder: "clip_l", TextEncoder2: "clip_g"} {
			if has(names, name) {
				if err := e.read(src, name, enc); err != nil {
					return nil, err
				}
			}
		}
		return e, nil
	case has(names, "emb_params"):
		return e, e.read(src, "emb_params", "")
	case len(names) == 1:
		return e, e.read(src, names[0], "")
	}
	sort.Strings(names)
	return nil, fmt.Errorf("not a textual-inversion file (tensors %s; want emb_params, string_to_param.*, clip_l/clip_g or one tensor)", strings.Join(names, ", "))
}

// read stores the vectors of tensor name ([hidden] or [n, hidden]) for enc.
func (e *Embedding) read(src weights.Source, name, enc string) error {
	info, _ := src.Info(name)
	sh := info.Shape
	if len(sh) == 0 || len(sh) > 2 || sh[0] < 1 || len(sh) == 2 && sh[0] > maxVectors {
		return fmt.Errorf("tensor %s: shape %v is not [vectors, hidden]", name, sh)
	}
	t, err := src.Tensor(name)
	if err != nil {
		return err
	}
	v := append([]float32(nil), tensor.F32(t)...)
	if len(sh) == 1 {
		sh = []int{1, sh[0]}
	}
	e.Vectors[enc] = tensor.FromSlice(v, sh...)
	return nil
}

func has(names []string, n string) bool {
	for _, x := range names {
		if x == n {
			return true
		}
	}
	return false
}

// Apply adds the embedding's vectors for encoder (TextEncoder or
// TextEncoder2; a single-encoder file goes to either) to copies of tok and
// te, and returns the copies. The token stands for as many ids as it has
// vectors.
func (e *Embedding) Apply(encoder string, tok *clip.Tokenizer, te *clip.TextModel) (*clip.Tokenizer, *clip.TextModel, error) {
	v, ok := e.Vectors[encoder]
	if !ok {
		v, ok = e.Vectors[""]
	}
	if !ok {
		return nil, nil, fmt.Errorf("textinv: %s: no vectors for %s", e.Token, encoder)
	}
	te2, first, err := te.WithTokenEmbeddings(v)
	if err != nil {
		return nil, nil, fmt.Errorf("textinv: %s: %w", e.Token, err)
	}
	n := tensor.Shape(v)[0]
	ids := make([]int, n)
	for i := range ids {
		ids[i] = first + i
	}
	tok2, err := tok.WithAddedTokens(map[string][]int{e.Token: ids})
	if err != nil {
		return nil, nil, fmt.Errorf("textinv: %w", err)
	}
	return tok2, te2, nil
}

// Encoders returns which encoders the embedding has vectors for ("" for a
// single-encoder file).
func (e *Embedding) Encoders() []string {
	var out []string
	for k := range e.Vectors {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Has reports whether the embedding has vectors for encoder (a
// single-encoder file has them for TextEncoder, as diffusers' default).
func (e *Embedding) Has(encoder string) bool {
	if _, ok := e.Vectors[encoder]; ok {
		return true
	}
	_, ok := e.Vectors[""]
	return ok && encoder == TextEncoder
}
