package engine

import (
	"context"
	"fmt"
	"github.com/goautopipe/diffusers/models/vae"
	"image"

	"github.com/goautopipe/diffusers/internal/imaging"
	"github.com/goautopipe/diffusers/internal/limits"
	"github.com/goautopipe/diffusers/pipelines"
	"github.com/goautopipe/diffusers/schedulers"
	"github.com/goautopipe/diffusers/tensor"
)

// limitError is a request refused by the limits: it matches both
// ErrInvalidRequest and the limits' own sentinel.
type limitError struct{ err error }

func (e limitError) Error() string        { return e.err.Error() }
func (e limitError) Unwrap() error        { return e.err }
func (e limitError) Is(target error) bool { return target == pipelines.ErrInvalidRequest }

// maxInputPixels bounds an input image or mask (Pillow's decompression
// bomb threshold).
const maxInputPixels = 2 * 89478485

// checkUntrusted runs before anything reads the request: a nil context,
// input images the converters cannot read (nil pointers, unbounded or
// malformed images) and explicit timesteps or sigmas in an order no
// scheduler takes are refused.
func (c *Core) checkUntrusted(ctx context.Context, r pipelines.Request) error {
	if ctx == nil {
		return invalid("nil context")
	}
	for _, in := range []struct {
		name string
		img  image.Image
	}{{"image", r.Image}, {"mask_image", r.MaskImage}} {
		if in.img == nil {
			continue
		}
		if err := imaging.Check(in.img, maxInputPixels); err != nil {
			return limitError{fmt.Errorf("`%s`: %w", in.name, err)}
		}
	}
	if err := schedulers.CheckCustom(r.Timesteps, r.Sigmas, c.numTrainTimesteps()); err != nil {
		return limitError{fmt.Errorf("custom schedule: %w", err)}
	}
	return nil
}

// checkBudget runs once the size is known, before the first allocation
// that depends on the request: the operator limits of ctx and the memory
// estimate.
func (c *Core) checkBudget(ctx context.Context, r pipelines.Request, size Size) error {
	u := c.UNet.Config()
	shape := limits.Shape{
		LatentChannels: u.InChannels, VAEScale: c.Proc.VAEScaleFactor,
		UNetChannels: u.BlockOutChannels, TextTokens: 77,
	}
	shape.VAEChannels, shape.VAETile = vaeShape(c.VAE)
	if len(u.CrossAttentionDim) > 0 {
		shape.TextHidden = u.CrossAttentionDim[0]
	}
	req := limits.Request{
		Images: r.NumImagesPerPrompt, Width: size.Width, Height: size.Height, Steps: r.NumInferenceSteps,
		Guidance:    GuidanceScale(r) > 1,
		PromptBytes: max(len(r.Prompt), len(r.NegativePrompt), len(r.Prompt2), len(r.NegativePrompt2)),
	}
	if err := limits.FromContext(ctx).Check(shape, req); err != nil {
		return limitError{err}
	}
	return c.checkLatents(r, size)
}

// checkLatents checks the shape of given latents as diffusers does: the
// initial noise of text-to-image and inpainting is [num_images_per_prompt,
// latent channels, height/f, width/f]; image-to-image latents standing in
// for the image have the latent channels and a batch that divides
// num_images_per_prompt.
func (c *Core) checkLatents(r pipelines.Request, size Size) error {
	if r.Latents == nil {
		return nil
	}
	got, ch, f := r.Latents.Shape(), c.VAE.Latents().Channels, c.Proc.VAEScaleFactor
	if c.Task == Image2Image && r.Image == nil {
		if len(got) != 4 || got[1] != ch || got[0] < 1 || r.NumImagesPerPrompt%got[0] != 0 {
			return invalid("`latents` standing in for `image` must be [batch, %d, height, width] with a batch dividing num_images_per_prompt %d, got shape %v",
				ch, r.NumImagesPerPrompt, got)
		}
		return nil
	}
	if c.Task == Image2Image {
		return nil
	}
	want := []int{r.NumImagesPerPrompt, ch, size.Height / f, size.Width / f}
	if len(got) != 4 || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] || got[3] != want[3] {
		return invalid("Unexpected latents shape, got %v, expected %v", got, want)
	}
	return nil
}

// checkFinite refuses a generation result holding NaN or infinities.
func checkFinite(what string, t *tensor.Dense) error {
	if t == nil {
		return nil
	}
	if err := limits.CheckFinite(what, tensor.F32(t)); err != nil {
		return fmt.Errorf("the generation failed: %w; check guidance_scale, the scheduler settings and the weights", err)
	}
	return nil
}

// vaeShape returns an autoencoder's channel widths and, when it decodes in
// tiles, the tile size, for the memory estimate.
func vaeShape(m vae.Model) (channels []int, tile int) {
	switch v := m.(type) {
	case *vae.AutoencoderKL:
		if v.Tiling() {
			tile = v.TileOptions().SampleMinSize
		}
		return v.Config().BlockOutChannels, tile
	case *vae.AutoencoderTiny:
		return v.Config().DecoderBlockOutChannels, 0
	}
	return nil, 0
}
