package vae

import (
	"regexp"

	"github.com/goautopipe/diffusers/models/weights"
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

// legacyView presents legacy 1x1-convolution attention projection weights
// [C, C, 1, 1] as linear weights [C, C] (views, no copy); everything else
// passes through. A source without such weights is returned as it is.
func legacyView(src weights.Source) weights.Source {
	m := map[string]weights.Mapping{}
	legacy := false
	for _, name := range src.Names() {
		mp := weights.Mapping{From: name}
		if info, ok := src.Info(name); ok && isConvAttnWeight(name, info.Shape) {
			mp.Shape = info.Shape[:2]
			legacy = true
		}
		m[name] = mp
	}
	if !legacy {
		return src
	}
	r, err := weights.Remap(src, m)
	if err != nil { // not expected: the shapes were checked; Load reports them
		return src
	}
	return r
}

func isConvAttnWeight(name string, shape []int) bool {
	m := legacyAttn.FindStringSubmatch(name)
	return m != nil && m[3] == "weight" && len(shape) == 4 && shape[2] == 1 && shape[3] == 1
}
