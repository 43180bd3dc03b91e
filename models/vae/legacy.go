package vae

import (
	"fmt"
	"regexp"

	"github.com/goautopipe/diffusers/models/weights"
	"github.com/goautopipe/diffusers/tensor"
)

// legacyAttn matches the weights of a VAE mid-block attention under either
// its current (to_q, to_k, to_v, to_out.0) or legacy (query, key, value,
// proj_attn) projection names.
var legacyAttn = regexp.MustCompile(`^((?:encoder|decoder)\.mid_block\.attentions\.\d+)\.(query|key|value|proj_attn|to_q|to_k|to_v|to_out\.0)\.(weight|bias)$`)

var legacyNames = map[string]string{
	"query":     "to_q",
	"key":       "to_k",
	"value":     "to_v",
	"proj_attn": "to_out.0",
}

// renameLegacy maps legacy attention names of the VAE mid blocks to the
// current ones, as diffusers' _fix_state_dict_keys_on_load; other names pass
// through.
func renameLegacy(name string) string {
	m := legacyAttn.FindStringSubmatch(name)
	if m == nil {
		return name
	}
	if n, ok := legacyNames[m[2]]; ok {
		return m[1] + "." + n + "." + m[3]
	}
	return name
}

// legacySource presents legacy 1x1-convolution attention projection weights
// [C, C, 1, 1] as linear weights [C, C]; everything else passes through.
type legacySource struct {
	weights.Source
}

func isConvAttnWeight(name string, shape []int) bool {
	m := legacyAttn.FindStringSubmatch(name)
	return m != nil && m[3] == "weight" && len(shape) == 4 && shape[2] == 1 && shape[3] == 1
}

func (s legacySource) Info(name string) (weights.Info, bool) {
	info, ok := s.Source.Info(name)
	if ok && isConvAttnWeight(name, info.Shape) {
		info.Shape = []int{info.Shape[0], info.Shape[1]}
	}
	return info, ok
}

func (s legacySource) Tensor(name string) (*tensor.Dense, error) {
	t, err := s.Source.Tensor(name)
	if err != nil {
		return nil, err
	}
	sh := tensor.Shape(t)
	if isConvAttnWeight(name, sh) {
		d := tensor.F32(t)
		if len(d) != sh[0]*sh[1] {
			return nil, fmt.Errorf("vae: %s: %d values for shape %v", name, len(d), sh)
		}
		return tensor.FromSlice(d, sh[0], sh[1]), nil
	}
	return t, nil
}
