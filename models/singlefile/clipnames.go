package singlefile

import (
	"fmt"
	"strings"

	"github.com/goautopipe/diffusers/models/weights"
)

// clipConverter converts a transformers CLIP text model stored under a
// prefix (cond_stage_model.transformer.*, conditioner.embedders.0.transformer.*):
// the names are the transformers names, possibly without "text_model.".
func clipConverter(name string, info weights.Info) ([]target, error) {
	if name == "text_projection.weight" || strings.HasPrefix(name, "text_model.") {
		return same(name, name), nil
	}
	if strings.HasPrefix(name, "embeddings.") || strings.HasPrefix(name, "encoder.") ||
		strings.HasPrefix(name, "final_layer_norm.") {
		return same(name, "text_model."+name), nil
	}
	return nil, errUnknown(name)
}

// openCLIPTop renames the OpenCLIP tensors outside the residual blocks.
var openCLIPTop = map[string]string{
	"token_embedding.weight": "text_model.embeddings.token_embedding.weight",
	"positional_embedding":   "text_model.embeddings.position_embedding.weight",
	"ln_final.weight":        "text_model.final_layer_norm.weight",
	"ln_final.bias":          "text_model.final_layer_norm.bias",
}

var openCLIPBlock = [][2]string{
	{"ln_1", "layer_norm1"}, {"ln_2", "layer_norm2"}, {"mlp.c_fc", "mlp.fc1"}, {"mlp.c_proj", "mlp.fc2"},
	{"attn.out_proj", "self_attn.out_proj"},
}

// openCLIPConverter converts an OpenCLIP text tower (cond_stage_model.model.*,
// conditioner.embedders.N.model.*) to transformers' CLIP names, as diffusers'
// convert_open_clip_checkpoint does: the fused attention input projection
// in_proj [3w, w] is split into q, k and v, and text_projection [w, p] is
// transposed into a linear weight [p, w]. layers is the number of layers the
// model uses (SD 2.x uses the penultimate layer: the last block of the file
// is dropped); projection says whether it has text_projection (dropped when
// not).
func openCLIPConverter(layers int, projection bool) converter {
	return func(name string, info weights.Info) ([]target, error) {
		if to, ok := openCLIPTop[name]; ok {
			return same(name, to), nil
		}
		switch name {
		case "text_projection":
			if !projection {
				return nil, nil
			}
			return []target{{name: "text_projection.weight", mp: weights.Mapping{From: name, Transpose: true}}}, nil
		case "logit_scale", "attn_mask":
			return nil, nil
		}
		rest, ok := cutPrefix(name, "transformer.resblocks")
		if !ok {
			return nil, errUnknown(name)
		}
		i, rest, ok := splitIndex(rest)
		if !ok {
			return nil, errUnknown(name)
		}
		if i >= layers {
			if i == layers && !projection {
				return nil, nil // the penultimate-layer text encoder of SD 2.x
			}
			return nil, fmt.Errorf("%s: layer %d beyond the %d of the config", name, i, layers)
		}
		base := fmt.Sprintf("text_model.encoder.layers.%d.", i)
		switch rest {
		case "attn.in_proj_weight", "attn.in_proj_bias":
			return splitQKV(name, base, strings.TrimPrefix(rest, "attn.in_proj_"), info)
		}
		return same(name, base+renameParts(rest, openCLIPBlock)), nil
	}
}

// splitQKV splits a fused [3w, ...] projection into q_proj, k_proj, v_proj.
func splitQKV(name, base, what string, info weights.Info) ([]target, error) {
	if len(info.Shape) == 0 || info.Shape[0]%3 != 0 {
		return nil, fmt.Errorf("%s: shape %v is not three stacked projections", name, info.Shape)
	}
	w := info.Shape[0] / 3
	var out []target
	for k, p := range []string{"q_proj", "k_proj", "v_proj"} {
		out = append(out, target{
			name: base + "self_attn." + p + "." + what,
			mp:   weights.Mapping{From: name, Rows: [2]int{k * w, (k + 1) * w}},
		})
	}
	return out, nil
}
