package singlefile

import (
	"fmt"

	"github.com/goautopipe/diffusers/models/weights"
)

// ldmResnet renames the layers of an LDM ResBlock to diffusers' ResnetBlock2D.
var ldmResnet = [][2]string{
	{"in_layers.0", "norm1"}, {"in_layers.2", "conv1"}, {"emb_layers.1", "time_emb_proj"},
	{"out_layers.0", "norm2"}, {"out_layers.3", "conv2"}, {"skip_connection", "conv_shortcut"},
}

// ldmUNetTop renames the UNet tensors outside the down, mid and up blocks.
var ldmUNetTop = [][2]string{
	{"time_embed.0", "time_embedding.linear_1"}, {"time_embed.2", "time_embedding.linear_2"},
	{"label_emb.0.0", "add_embedding.linear_1"}, {"label_emb.0.2", "add_embedding.linear_2"},
	{"input_blocks.0.0", "conv_in"}, {"out.0", "conv_norm_out"}, {"out.2", "conv_out"},
}

// unetConverter converts the tensors of an LDM UNet
// (model.diffusion_model.*) with layersPerBlock resnets per down block, as
// diffusers' convert_ldm_unet_checkpoint does: input_blocks.i hold one
// resnet (.0) and an optional transformer (.1), or a downsampler (.0.op);
// output_blocks.i a resnet, an optional transformer and an optional
// upsampler (.1.conv or .2.conv); middle_block resnet, transformer, resnet.
func unetConverter(layersPerBlock int) converter {
	per := layersPerBlock + 1
	return func(name string, info weights.Info) ([]target, error) {
		for _, r := range ldmUNetTop {
			if tail, ok := cutPrefix(name, r[0]); ok {
				return same(name, r[1]+"."+tail), nil
			}
		}
		if rest, ok := cutPrefix(name, "input_blocks"); ok {
			i, rest, ok := splitIndex(rest)
			if !ok || i == 0 {
				return nil, errUnknown(name)
			}
			to, err := unetBlock("down_blocks", (i-1)/per, (i-1)%per, rest, "op", "downsamplers.0.conv")
			return sameOr(name, to, err)
		}
		if rest, ok := cutPrefix(name, "output_blocks"); ok {
			i, rest, ok := splitIndex(rest)
			if !ok {
				return nil, errUnknown(name)
			}
			to, err := unetBlock("up_blocks", i/per, i%per, rest, "conv", "upsamplers.0.conv")
			return sameOr(name, to, err)
		}
		if rest, ok := cutPrefix(name, "middle_block"); ok {
			j, rest, ok := splitIndex(rest)
			switch {
			case ok && j == 0:
				return same(name, "mid_block.resnets.0."+renameParts(rest, ldmResnet)), nil
			case ok && j == 1:
				return same(name, "mid_block.attentions.0."+rest), nil
			case ok && j == 2:
				return same(name, "mid_block.resnets.1."+renameParts(rest, ldmResnet)), nil
			}
		}
		return nil, errUnknown(name)
	}
}

func sameOr(from, to string, err error) ([]target, error) {
	if err != nil {
		return nil, fmt.Errorf("%s: %w", from, err)
	}
	return same(from, to), nil
}

// unetBlock names the part rest ("<j>.<...>") of layer l of block b.
// sampler is the LDM name of the block's resampling layer ("op" for a
// downsampler, "conv" for an upsampler) and samplerTo its diffusers name.
func unetBlock(kind string, b, l int, rest, sampler, samplerTo string) (string, error) {
	j, tail, ok := splitIndex(rest)
	if !ok {
		return "", fmt.Errorf("not an LDM block layer")
	}
	base := fmt.Sprintf("%s.%d", kind, b)
	// The downsampler is alone in its input block (.0.op); the upsampler
	// follows the resnet and the transformer, if any (.1.conv or .2.conv).
	if s, ok := cutPrefix(tail, sampler); ok && (j > 0) == (kind == "up_blocks") {
		return base + "." + samplerTo + "." + s, nil
	}
	switch j {
	case 0:
		return fmt.Sprintf("%s.resnets.%d.%s", base, l, renameParts(tail, ldmResnet)), nil
	case 1:
		return fmt.Sprintf("%s.attentions.%d.%s", base, l, tail), nil
	}
	return "", fmt.Errorf("unexpected layer %d", j)
}

// UNetName returns the diffusers name of an LDM UNet tensor or module path
// (without the model.diffusion_model prefix), for a UNet with
// layersPerBlock resnets per down block: "input_blocks.1.1.proj_in" ->
// "down_blocks.0.attentions.0.proj_in". LoRA files in the LDM layout name
// their modules this way.
func UNetName(ldm string, layersPerBlock int) (string, error) {
	ts, err := unetConverter(layersPerBlock)(ldm+".weight", weights.Info{})
	if err != nil {
		return "", err
	}
	return ts[0].name[:len(ts[0].name)-len(".weight")], nil
}
