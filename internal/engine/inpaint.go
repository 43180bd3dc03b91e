package engine

import (
	"context"
	"fmt"
	"image"

	"github.com/goautopipe/diffusers/pipelines"
	"github.com/goautopipe/diffusers/tensor"
	"github.com/goautopipe/diffusers/tensor/rng"
)

// inpaintInputs are the preprocessed image and mask of an inpainting run.
type inpaintInputs struct {
	image *tensor.Dense // [1,3,H,W] in [-1,1]
	mask  *tensor.Dense // [1,1,H,W] of 0 and 1
	// post overlays the generated crop on the original (padding_mask_crop).
	post func([]image.Image)
}

// prepareInpaint prepares the initial latents of an inpainting run and its
// loop hooks: for a 9-channel UNet the mask and the masked-image latents
// are concatenated to the model input; for a 4-channel UNet the known
// region is blended back after every step. The generator is drawn in
// diffusers' order: image latents, noise, masked-image latents.
func (c *Core) prepareInpaint(ctx context.Context, r pipelines.Request, size Size, s schedule, g *rng.Generator, cfg bool) (prepared, error) {
	unetCh := c.UNet.Config().InChannels
	if unetCh != 4 && unetCh != 9 {
		return prepared{}, fmt.Errorf("The unet should have either 4 or 9 input channels, not %d.", unetCh)
	}
	in, err := c.inpaintInputs(r, size)
	if err != nil {
		return prepared{}, err
	}
	n := r.NumImagesPerPrompt
	var imageLatents *tensor.Dense
	if unetCh == 4 || s.fromImage || (r.Latents == nil && r.Strength != 1) {
		if imageLatents, err = c.encodeImage(ctx, in.image, g, false); err != nil {
			return prepared{}, err
		}
		imageLatents = repeatTo(imageLatents, n)
	}
	latents, noise, err := c.inpaintNoise(r, size, s, g, imageLatents)
	if err != nil {
		return prepared{}, err
	}
	f := c.Proc.VAEScaleFactor
	mask := repeatTo(tensor.ResizeNearest(in.mask, size.Height/f, size.Width/f), n)
	maskedLatents, err := c.encodeImage(ctx, maskOut(in.image, in.mask), g, false)
	if err != nil {
		return prepared{}, err
	}
	maskedLatents = repeatTo(maskedLatents, n)
	p := prepared{latents: latents, post: in.post}
	if unetCh == 9 {
		p.extra, err = c.concatMaskHook(mask, maskedLatents, cfg)
	} else {
		p.afterStep = blendHook(s, imageLatents, noise, mask)
	}
	return p, err
}

// inpaintInputs preprocesses the image and the mask, cropped to the mask's
// region when padding_mask_crop is set.
func (c *Core) inpaintInputs(r pipelines.Request, size Size) (inpaintInputs, error) {
	var in inpaintInputs
	var crop *image.Rectangle
	if r.PaddingMaskCrop > 0 {
		rc := CropRegion(r.MaskImage, size.Width, size.Height, r.PaddingMaskCrop)
		crop = &rc
		in.post = func(imgs []image.Image) {
			for i := range imgs {
				imgs[i] = overlay(r.MaskImage, r.Image, imgs[i], rc)
			}
		}
	}
	var err error
	if in.image, err = c.Proc.preprocess(r.Image, size.Width, size.Height, crop); err != nil {
		return in, err
	}
	if in.mask, err = c.Proc.preprocessMask(r.MaskImage, size.Width, size.Height, crop); err != nil {
		return in, err
	}
	is, ms := in.image.Shape(), in.mask.Shape()
	if is[2] != ms[2] || is[3] != ms[3] {
		return in, fmt.Errorf("mask_image size %v does not match image size %v", ms[2:], is[2:])
	}
	return in, nil
}

// inpaintNoise returns the initial latents and the noise they were made
// from: pure noise at strength 1, the noised image latents below, the image
// latents themselves from SDXL's denoising_start, or the given latents.
func (c *Core) inpaintNoise(r pipelines.Request, size Size, s schedule, g *rng.Generator, imageLatents *tensor.Dense) (latents, noise *tensor.Dense, err error) {
	f := c.Proc.VAEScaleFactor
	sigma := float32(s.state.InitNoiseSigma())
	draw := func() *tensor.Dense {
		return g.Randn(r.NumImagesPerPrompt, c.VAE.Config().LatentChannels, size.Height/f, size.Width/f)
	}
	switch {
	case s.fromImage:
		return tensor.Clone(imageLatents), draw(), nil
	case r.Latents != nil:
		noise = tensor.Clone(r.Latents)
		return tensor.Scale(noise, sigma), noise, nil
	case r.Strength == 1:
		noise = draw()
		return tensor.Scale(noise, sigma), noise, nil
	}
	noise = draw()
	latents, err = s.state.AddNoise(imageLatents, noise, s.timesteps[0])
	return latents, noise, err
}

// maskOut returns the image with the masked region (mask >= 0.5) zeroed.
func maskOut(img, mask *tensor.Dense) *tensor.Dense {
	out := tensor.Clone(img)
	d, m := tensor.F32(out), tensor.F32(mask)
	plane := len(m)
	for i := range d {
		if m[i%plane] >= 0.5 {
			d[i] = 0
		}
	}
	return out
}

// concatMaskHook extends the model input of a 9-channel UNet with the mask
// and the masked-image latents (doubled for guidance).
func (c *Core) concatMaskHook(mask, maskedLatents *tensor.Dense, cfg bool) (func(*tensor.Dense) *tensor.Dense, error) {
	unetCh, latentCh := c.UNet.Config().InChannels, c.VAE.Config().LatentChannels
	mch, ich := mask.Shape()[1], maskedLatents.Shape()[1]
	if latentCh+mch+ich != unetCh {
		return nil, fmt.Errorf("Incorrect configuration settings! The config of `pipeline.unet` expects %d but received `num_channels_latents`: %d + `num_channels_mask`: %d + `num_channels_masked_image`: %d = %d. Please verify the config of `pipeline.unet` or your `mask_image` or `image` input.", unetCh, latentCh, mch, ich, latentCh+mch+ich)
	}
	if cfg {
		mask, maskedLatents = tensor.Repeat(mask, 2), tensor.Repeat(maskedLatents, 2)
	}
	return func(x *tensor.Dense) *tensor.Dense { return tensor.Concat(1, x, mask, maskedLatents) }, nil
}

// blendHook keeps the known region of a 4-channel UNet's latents: after
// step i they become mask*latents + (1-mask)*image latents noised to the
// next timestep.
func blendHook(s schedule, imageLatents, noise, mask *tensor.Dense) func(int, *tensor.Dense) (*tensor.Dense, error) {
	return func(i int, latents *tensor.Dense) (*tensor.Dense, error) {
		proper := imageLatents
		if i < len(s.timesteps)-1 {
			var err error
			if proper, err = s.state.AddNoise(imageLatents, noise, s.timesteps[i+1]); err != nil {
				return nil, err
			}
		}
		out := tensor.Clone(latents)
		o, pr, m := tensor.F32(out), tensor.F32(proper), tensor.F32(mask)
		batch := mask.Shape()[0]
		per := len(m) / batch
		ch := len(o) / (batch * per)
		for b := 0; b < batch; b++ {
			for k := 0; k < ch; k++ {
				for j := 0; j < per; j++ {
					idx := (b*ch+k)*per + j
					mv := m[b*per+j]
					o[idx] = (1-mv)*pr[idx] + mv*o[idx]
				}
			}
		}
		return out, nil
	}
}
