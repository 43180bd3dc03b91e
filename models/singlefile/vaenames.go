package singlefile

import (
	"fmt"

	"github.com/goautopipe/diffusers/models/weights"
)

var ldmVAEResnet = [][2]string{{"nin_shortcut", "conv_shortcut"}}

// ldmVAEAttn renames the mid-block attention of an LDM VAE; its q, k, v and
// proj_out are 1x1 convolutions, used as linear layers.
var ldmVAEAttn = [][2]string{
	{"norm", "group_norm"}, {"q", "to_q"}, {"k", "to_k"}, {"v", "to_v"}, {"proj_out", "to_out.0"},
}

// vaeConverter converts the tensors of an LDM VAE (first_stage_model.*) with
// blocks down/up blocks, as diffusers' convert_ldm_vae_checkpoint does. The
// LDM decoder numbers its up blocks from the lowest resolution up, diffusers
// from the highest down.
func vaeConverter(blocks int) converter {
	return func(name string, info weights.Info) ([]target, error) {
		switch name {
		case "quant_conv.weight", "quant_conv.bias", "post_quant_conv.weight", "post_quant_conv.bias":
			return same(name, name), nil
		}
		for _, coder := range []string{"encoder", "decoder"} {
			rest, ok := cutPrefix(name, coder)
			if !ok {
				continue
			}
			to, mp, err := vaeCoder(rest, coder, blocks, info)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			mp.From = name
			return []target{{name: coder + "." + to, mp: mp}}, nil
		}
		return nil, errUnknown(name)
	}
}

func vaeCoder(rest, coder string, blocks int, info weights.Info) (string, weights.Mapping, error) {
	var none weights.Mapping
	for _, r := range [][2]string{{"conv_in", "conv_in"}, {"conv_out", "conv_out"}, {"norm_out", "conv_norm_out"}} {
		if tail, ok := cutPrefix(rest, r[0]); ok {
			return r[1] + "." + tail, none, nil
		}
	}
	if tail, ok := cutPrefix(rest, "mid"); ok {
		return vaeMid(tail, info)
	}
	level, kind, sampler := "down", "down_blocks", "downsample"
	if coder == "decoder" {
		level, kind, sampler = "up", "up_blocks", "upsample"
	}
	tail, ok := cutPrefix(rest, level)
	if !ok {
		return "", none, fmt.Errorf("not an LDM VAE tensor")
	}
	i, tail, ok := splitIndex(tail)
	if !ok || i >= blocks {
		return "", none, fmt.Errorf("block index out of range")
	}
	if coder == "decoder" {
		i = blocks - 1 - i
	}
	if s, ok := cutPrefix(tail, sampler+".conv"); ok {
		return fmt.Sprintf("%s.%d.%ssamplers.0.conv.%s", kind, i, level, s), none, nil
	}
	if s, ok := cutPrefix(tail, "block"); ok {
		j, s, ok := splitIndex(s)
		if ok {
			return fmt.Sprintf("%s.%d.resnets.%d.%s", kind, i, j, renameParts(s, ldmVAEResnet)), none, nil
		}
	}
	return "", none, fmt.Errorf("not an LDM VAE tensor")
}

// vaeMid names a tensor of the mid block (rest: after "mid.").
func vaeMid(rest string, info weights.Info) (string, weights.Mapping, error) {
	var mp weights.Mapping
	if tail, ok := cutPrefix(rest, "block_1"); ok {
		return "mid_block.resnets.0." + renameParts(tail, ldmVAEResnet), mp, nil
	}
	if tail, ok := cutPrefix(rest, "block_2"); ok {
		return "mid_block.resnets.1." + renameParts(tail, ldmVAEResnet), mp, nil
	}
	if tail, ok := cutPrefix(rest, "attn_1"); ok {
		if s := info.Shape; len(s) == 4 && s[2] == 1 && s[3] == 1 {
			mp.Shape = []int{s[0], s[1]}
		}
		return "mid_block.attentions.0." + renameParts(tail, ldmVAEAttn), mp, nil
	}
	return "", mp, fmt.Errorf("not an LDM VAE mid-block tensor")
}
