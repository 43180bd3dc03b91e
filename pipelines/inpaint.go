package pipelines

import (
	"context"
	"fmt"
	"image"

	"github.com/goautopipe/diffusers/schedulers"
	"github.com/goautopipe/diffusers/tensor"
	"github.com/goautopipe/diffusers/tensor/rng"
)

// prepareInpaint prepares the initial latents of an inpainting run and
// installs the loop hooks: for a 9-channel UNet the mask and the
// masked-image latents are concatenated to the model input; for a 4-channel
// UNet the known region is blended back after every step. The generator is
// drawn in diffusers' order: image latents, noise, masked-image latents.
func (c *Core) prepareInpaint(ctx context.Context, p *Plan, st schedulers.State, ts []float64, g *rng.Generator, loop *Loop, denoisingStart bool) (*tensor.Dense, error) {
	r := p.Req
	if r.Image == nil {
		return nil, fmt.Errorf("inpainting needs an image")
	}
	if r.MaskImage == nil {
		return nil, fmt.Errorf("inpainting needs a mask_image")
	}
	batch := r.NumImagesPerPrompt
	f := c.Proc.VAEScaleFactor
	lh, lw := p.Height/f, p.Width/f
	unetCh := c.UNet.Config().InChannels
	latentCh := c.VAE.Config().LatentChannels
	if unetCh != 4 && unetCh != 9 {
		return nil, fmt.Errorf("The unet should have either 4 or 9 input channels, not %d.", unetCh)
	}
	strengthMax := r.Strength == 1.0
	// SDXL starts from the image latents when denoising_start is set.
	addNoise := !denoisingStart

	var crop *image.Rectangle
	if r.PaddingMaskCrop > 0 {
		rc := CropRegion(r.MaskImage, p.Width, p.Height, r.PaddingMaskCrop)
		crop = &rc
		p.post = func(imgs []image.Image) {
			for i := range imgs {
				imgs[i] = overlay(r.MaskImage, r.Image, imgs[i], rc)
			}
		}
	}
	initImage, err := c.Proc.preprocess(r.Image, p.Width, p.Height, crop)
	if err != nil {
		return nil, err
	}
	var imageLatents *tensor.Dense
	if unetCh == 4 || (r.Latents == nil && !strengthMax) {
		imageLatents, err = c.encodeImage(ctx, initImage, g, false)
		if err != nil {
			return nil, err
		}
		imageLatents = repeatBatch(imageLatents, batch)
	}
	var noise, latents *tensor.Dense
	sigma := float32(st.InitNoiseSigma())
	switch {
	case !addNoise:
		noise = g.Randn(batch, latentCh, lh, lw)
		latents = tensor.Clone(imageLatents)
	case r.Latents == nil:
		noise = g.Randn(batch, latentCh, lh, lw)
		if strengthMax {
			latents = tensor.Scale(noise, sigma)
		} else {
			if latents, err = st.AddNoise(imageLatents, noise, ts[0]); err != nil {
				return nil, err
			}
		}
	default:
		noise = tensor.Clone(r.Latents)
		latents = tensor.Scale(noise, sigma)
	}

	maskCond, err := c.Proc.preprocessMask(r.MaskImage, p.Width, p.Height, crop)
	if err != nil {
		return nil, err
	}
	if !sameHW(maskCond, initImage) {
		return nil, fmt.Errorf("mask_image size %v does not match image size %v", maskCond.Shape()[2:], initImage.Shape()[2:])
	}
	masked := tensor.Clone(initImage)
	md, mc := tensor.F32(masked), tensor.F32(maskCond)
	plane := len(mc)
	for i := range md {
		if mc[i%plane] >= 0.5 {
			md[i] = 0
		}
	}
	mask := resizeNearest(maskCond, lh, lw)
	mask = repeatBatch(mask, batch)

	var maskedLatents *tensor.Dense
	{
		maskedLatents, err = c.encodeImage(ctx, masked, g, false)
		if err != nil {
			return nil, err
		}
		maskedLatents = repeatBatch(maskedLatents, batch)
	}

	if unetCh == 9 {
		mch, ich := mask.Shape()[1], maskedLatents.Shape()[1]
		if latentCh+mch+ich != unetCh {
			return nil, fmt.Errorf("Incorrect configuration settings! The config of `pipeline.unet` expects %d but received `num_channels_latents`: %d + `num_channels_mask`: %d + `num_channels_masked_image`: %d = %d. Please verify the config of `pipeline.unet` or your `mask_image` or `image` input.", unetCh, latentCh, mch, ich, latentCh+mch+ich)
		}
		m, ml := mask, maskedLatents
		if loop.CFG {
			m, ml = tensor.Concat(0, mask, mask), tensor.Concat(0, maskedLatents, maskedLatents)
		}
		loop.Extra = func(x *tensor.Dense) *tensor.Dense { return tensor.Concat(1, x, m, ml) }
	} else {
		loop.AfterStep = func(i int, latents *tensor.Dense) (*tensor.Dense, error) {
			proper := imageLatents
			if i < len(ts)-1 {
				var err error
				if proper, err = st.AddNoise(imageLatents, noise, ts[i+1]); err != nil {
					return nil, err
				}
			}
			out := tensor.Clone(latents)
			o, pr, m := tensor.F32(out), tensor.F32(proper), tensor.F32(mask)
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
	return latents, nil
}

func sameHW(a, b *tensor.Dense) bool {
	as, bs := a.Shape(), b.Shape()
	return as[2] == bs[2] && as[3] == bs[3]
}

// resizeNearest is torch.nn.functional.interpolate(x, size, mode="nearest").
func resizeNearest(x *tensor.Dense, oh, ow int) *tensor.Dense {
	sh := x.Shape()
	n, c, h, w := sh[0], sh[1], sh[2], sh[3]
	out := tensor.New(n, c, oh, ow)
	src, dst := tensor.F32(x), tensor.F32(out)
	sy, sx := float32(h)/float32(oh), float32(w)/float32(ow)
	for p := 0; p < n*c; p++ {
		for y := 0; y < oh; y++ {
			iy := int(float32(y) * sy)
			if iy > h-1 {
				iy = h - 1
			}
			for xx := 0; xx < ow; xx++ {
				ix := int(float32(xx) * sx)
				if ix > w-1 {
					ix = w - 1
				}
				dst[(p*oh+y)*ow+xx] = src[(p*h+iy)*w+ix]
			}
		}
	}
	return out
}
