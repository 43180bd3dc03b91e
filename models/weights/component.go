package weights

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/goautopipe/diffusers/tensor"
)

// OpenOptions selects which weight files of a component to open.
type OpenOptions struct {
	// Variant selects <basename>.<Variant>.safetensors (or the sharded
	// <basename>.safetensors.index.<Variant>.json), as diffusers' variant
	// argument does; "" selects the default files.
	Variant string
	// Precision, when Float16 or BFloat16, rounds every tensor read to that
	// precision (the values a half-precision model holds, like diffusers'
	// torch_dtype); tensors stay float32 in memory.
	Precision tensor.DType
}

// ErrNoWeights is wrapped by OpenComponent's error when the folder holds no
// usable safetensors weights (for example only pickle files, or not the
// requested variant).
var ErrNoWeights = errors.New("no safetensors weights")

// WeightFiles returns the candidate file names OpenComponent looks for, in
// order of preference: the single file, then the sharded index.
func WeightFiles(basename, variant string) []string {
	if variant == "" {
		return []string{basename + ".safetensors", basename + ".safetensors.index.json"}
	}
	return []string{basename + "." + variant + ".safetensors", basename + ".safetensors.index." + variant + ".json"}
}

// OpenComponent opens the weights of a component folder (e.g. ckpt/unet):
// <basename>[.<variant>].safetensors, or the sharded checkpoint described by
// <basename>.safetensors.index[.<variant>].json. basename is
// "diffusion_pytorch_model" for diffusers models and "model" for
// transformers models.
func OpenComponent(dir, basename string, o OpenOptions) (Source, error) {
	for _, name := range WeightFiles(basename, o.Variant) {
		p := filepath.Join(dir, name)
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			src, err := Open(p)
			if err != nil {
				return nil, err
			}
			return WithPrecision(src, o.Precision), nil
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("weights: %w", err)
	}
	var found, pickles []string
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() || !strings.HasPrefix(n, basename+".") {
			continue
		}
		found = append(found, n)
		if pickleExt[strings.ToLower(filepath.Ext(n))] {
			pickles = append(pickles, n)
		}
	}
	sort.Strings(found)
	what := "no safetensors weights"
	if o.Variant != "" {
		what = fmt.Sprintf("no %q variant safetensors weights", o.Variant)
	}
	var detail string
	switch {
	case len(found) == 0:
		detail = "looked for " + strings.Join(WeightFiles(basename, o.Variant), ", ")
	case len(pickles) == len(found):
		detail = "found " + strings.Join(found, ", ") + "; pickle files are not loaded"
	default:
		detail = "found " + strings.Join(found, ", ")
	}
	return nil, &noWeightsError{msg: fmt.Sprintf("weights: %s in %s (%s)", what, dir, detail)}
}

type noWeightsError struct{ msg string }

func (e *noWeightsError) Error() string { return e.msg }
func (e *noWeightsError) Unwrap() error { return ErrNoWeights }
