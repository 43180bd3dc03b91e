package autopipeline_test

import (
	"context"
	"errors"
	"image"
	"image/color"
	"runtime"
	"sync"
	"testing"

	"github.com/goautopipe/diffusers/autopipeline"
	"github.com/goautopipe/diffusers/internal/testutil"
	"github.com/goautopipe/diffusers/models/safety"
	"github.com/goautopipe/diffusers/models/unet"
	"github.com/goautopipe/diffusers/pipelines"
	"github.com/goautopipe/diffusers/schedulers"
	"github.com/goautopipe/diffusers/tensor"
	"github.com/stretchr/testify/require"
)

func gray(w, h int) image.Image {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, color.NRGBA{uint8(4 * x), uint8(4 * y), 128, 255})
		}
	}
	return img
}

func mask(w, h int) image.Image {
	img := image.NewGray(image.Rect(0, 0, w, h))
	for y := h / 4; y < 3*h/4; y++ {
		for x := w / 4; x < 3*w/4; x++ {
			img.SetGray(x, y, color.Gray{255})
		}
	}
	return img
}

func TestFromPipeSharesComponents(t *testing.T) {
	ctx := context.Background()
	t2i, err := autopipeline.Text2Image.FromPretrained(ctx, td+"tiny-sd")
	require.NoError(t, err)
	require.Equal(t, "StableDiffusionPipeline", t2i.ClassName())

	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	i2i, err := autopipeline.Image2Image.FromPipe(t2i)
	require.NoError(t, err)
	inp, err := autopipeline.Inpainting.FromPipe(i2i)
	require.NoError(t, err)
	var after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&after)
	require.Equal(t, "StableDiffusionImg2ImgPipeline", i2i.ClassName())
	require.Equal(t, "StableDiffusionInpaintPipeline", inp.ClassName())
	// Nothing heavy is allocated: the weights are shared.
	require.Less(t, int64(after.HeapAlloc)-int64(before.HeapAlloc), int64(1<<20))

	src := t2i.Components()
	for _, p := range []pipelines.Pipeline{i2i, inp} {
		got := p.Components()
		require.Equal(t, len(src), len(got))
		for name, c := range src {
			require.Samef(t, c, got[name], "component %s is not the same object", name)
		}
	}

	// All three run on the shared components.
	_, err = i2i.Generate(ctx, pipelines.Request{Prompt: "x", Image: gray(64, 64), NumInferenceSteps: 2})
	require.NoError(t, err)
	_, err = inp.Generate(ctx, pipelines.Request{Prompt: "x", Image: gray(64, 64), MaskImage: mask(64, 64), NumInferenceSteps: 2})
	require.NoError(t, err)
}

func TestFromPipeConfigRoundTrip(t *testing.T) {
	ctx := context.Background()
	t2i, err := autopipeline.Text2Image.FromPretrained(ctx, td+"tiny-sd", autopipeline.WithConfig("requires_safety_checker", false))
	require.NoError(t, err)
	require.Equal(t, false, t2i.Config()["requires_safety_checker"])

	i2i, err := autopipeline.Image2Image.FromPipe(t2i)
	require.NoError(t, err)
	require.Equal(t, false, i2i.Config()["requires_safety_checker"])
	back, err := autopipeline.Text2Image.FromPipe(i2i)
	require.NoError(t, err)
	require.Equal(t, t2i.Config(), back.Config())

	on, err := autopipeline.Image2Image.FromPipe(t2i, autopipeline.WithConfig("requires_safety_checker", true))
	require.NoError(t, err)
	require.Equal(t, true, on.Config()["requires_safety_checker"])
	require.Equal(t, td+"tiny-sd", on.Config()["_name_or_path"])
}

// As diffusers' tests: requires_aesthetics_score and
// force_zeros_for_empty_prompt survive a round trip through a class that
// does not take them.
func TestFromPipeSDXLConfigRoundTrip(t *testing.T) {
	ctx := context.Background()
	i2i, err := autopipeline.Image2Image.FromPretrained(ctx, td+"tiny-sdxl",
		autopipeline.WithConfig("requires_aesthetics_score", true), autopipeline.WithConfig("force_zeros_for_empty_prompt", false))
	require.NoError(t, err)
	require.Equal(t, "StableDiffusionXLImg2ImgPipeline", i2i.ClassName())
	require.Equal(t, true, i2i.Config()["requires_aesthetics_score"])

	t2i, err := autopipeline.Text2Image.FromPipe(i2i)
	require.NoError(t, err)
	cfg := t2i.Config()
	require.NotContains(t, cfg, "requires_aesthetics_score")
	require.Equal(t, true, cfg["_requires_aesthetics_score"])
	require.Equal(t, false, cfg["force_zeros_for_empty_prompt"])

	again, err := autopipeline.Image2Image.FromPipe(t2i)
	require.NoError(t, err)
	require.Equal(t, i2i.Config(), again.Config())

	inp, err := autopipeline.Inpainting.FromPipe(t2i, autopipeline.WithConfig("requires_aesthetics_score", false))
	require.NoError(t, err)
	require.Equal(t, false, inp.Config()["requires_aesthetics_score"])
}

func TestRefinerResolvesToSDXLText2Image(t *testing.T) {
	ctx := context.Background()
	p, err := autopipeline.Text2Image.FromPretrained(ctx, td+"tiny-sdxl-refiner")
	require.NoError(t, err)
	require.Equal(t, "StableDiffusionXLPipeline", p.ClassName())
	// The refiner UNet expects aesthetic scores, which the text-to-image
	// class does not send: diffusers' error.
	_, err = p.Generate(ctx, pipelines.Request{Prompt: "x", NumInferenceSteps: 1})
	require.ErrorContains(t, err, "Model expects an added time embedding vector of length 72, but a vector of 80 was created.")
}

func TestWithDefaultsStrength(t *testing.T) {
	ctx := context.Background()
	t2i, err := autopipeline.Text2Image.FromPretrained(ctx, td+"tiny-sd", autopipeline.WithComponent("safety_checker", nil))
	require.NoError(t, err)
	withDef, err := autopipeline.Image2Image.FromPipe(t2i, autopipeline.WithDefaults(pipelines.Request{Strength: 0.3}))
	require.NoError(t, err)
	plain, err := autopipeline.Image2Image.FromPipe(t2i)
	require.NoError(t, err)
	req := pipelines.Request{Prompt: "a dog", Image: gray(64, 64), NumInferenceSteps: 10, Seed: 1}
	var steps []int
	req.Callback = func(step, total int) { steps = append(steps, total) }
	a, err := withDef.Generate(ctx, req)
	require.NoError(t, err)
	// strength 0.3 of 10 steps keeps 3 inference steps; PNDM's PLMS adds
	// one warm-up evaluation.
	require.Equal(t, 4, steps[0])
	explicit := req
	explicit.Strength = 0.3
	b, err := plain.Generate(ctx, explicit)
	require.NoError(t, err)
	require.Equal(t, tensor.F32(b.Pixels), tensor.F32(a.Pixels))
	steps = nil
	_, err = plain.Generate(ctx, req)
	require.NoError(t, err)
	require.Equal(t, 9, steps[0], "default strength 0.8: 8 steps + warm-up")
}

func TestUnsupportedCheckpoint(t *testing.T) {
	_, err := autopipeline.Text2Image.FromPretrained(context.Background(), td+"tiny-unsupported")
	require.ErrorIs(t, err, autopipeline.ErrUnsupported)
	require.EqualError(t, errors.Unwrap(err), autopipeline.ErrUnsupported.Error())
	require.Contains(t, err.Error(), "AutoPipeline can't find a pipeline linked to ShapEImg2ImgPipeline for None")
}

func TestFromPipeMissingModule(t *testing.T) {
	ctx := context.Background()
	t2i, err := autopipeline.Text2Image.FromPretrained(ctx, td+"tiny-sd")
	require.NoError(t, err)
	_, err = autopipeline.Image2Image.FromPipe(t2i, autopipeline.WithComponent("unet", nil))
	require.ErrorContains(t, err, "Pipeline StableDiffusionImg2ImgPipeline expected {'vae', 'text_encoder', 'tokenizer', 'unet', 'scheduler', 'safety_checker', 'feature_extractor', 'image_encoder'}, but only {")
	_, err = autopipeline.Image2Image.FromPipe(t2i, autopipeline.WithComponent("unet", "not a unet"))
	require.ErrorContains(t, err, "component unet is a string")
}

func TestConcurrentGenerate(t *testing.T) {
	ctx := context.Background()
	p, err := autopipeline.Text2Image.FromPretrained(ctx, td+"tiny-sd2")
	require.NoError(t, err)
	req := pipelines.Request{Prompt: "a castle", NumInferenceSteps: 2, Seed: 9}
	want, err := p.Generate(ctx, req)
	require.NoError(t, err)
	var wg sync.WaitGroup
	outs := make([]*pipelines.Output, 4)
	errs := make([]error, 4)
	for i := range outs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := req
			if i%2 == 1 {
				r.Seed = 10
			}
			outs[i], errs[i] = p.Generate(ctx, r)
		}()
	}
	wg.Wait()
	for i := range outs {
		require.NoError(t, errs[i])
		if i%2 == 0 {
			require.Equal(t, tensor.F32(want.Pixels), tensor.F32(outs[i].Pixels))
		} else {
			require.NotEqual(t, tensor.F32(want.Pixels), tensor.F32(outs[i].Pixels))
		}
	}
}

func TestValidationErrors(t *testing.T) {
	ctx := context.Background()
	t2i, err := autopipeline.Text2Image.FromPretrained(ctx, td+"tiny-sd", autopipeline.WithComponent("safety_checker", nil))
	require.NoError(t, err)
	i2i, err := autopipeline.Image2Image.FromPipe(t2i)
	require.NoError(t, err)
	inp, err := autopipeline.Inpainting.FromPipe(t2i)
	require.NoError(t, err)
	for _, tc := range []struct {
		p    pipelines.Pipeline
		r    pipelines.Request
		want string
	}{
		{t2i, pipelines.Request{Prompt: "x", Height: 60}, "`height` and `width` have to be divisible by 8 but are 60 and 64."},
		{t2i, pipelines.Request{}, "Provide either `prompt` or `prompt_embeds`."},
		{t2i, pipelines.Request{Prompt: "x", NumInferenceSteps: -1}, "`num_inference_steps` has to be a positive integer but is -1"},
		{i2i, pipelines.Request{Prompt: "x", Image: gray(64, 64), Strength: 1.5}, "The value of strength should in [0.0, 1.0] but is 1.5"},
		{i2i, pipelines.Request{Prompt: "x"}, "`image` input cannot be undefined."},
		{i2i, pipelines.Request{Prompt: "x", Image: gray(64, 64), Strength: 0.01, NumInferenceSteps: 10}, "the number of pipeline steps is 0 which is < 1"},
		{inp, pipelines.Request{Prompt: "x", Image: gray(64, 64), MaskImage: mask(32, 32)}, "The mask and image should be the same size!"},
	} {
		_, err := tc.p.Generate(ctx, tc.r)
		require.ErrorContains(t, err, tc.want)
	}
	_, err = t2i.Generate(ctx, pipelines.Request{})
	require.ErrorIs(t, err, pipelines.ErrInvalidRequest)
}

func TestGenerateCancelled(t *testing.T) {
	p, err := autopipeline.Text2Image.FromPretrained(context.Background(), td+"tiny-sd2")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	_, err = p.Generate(ctx, pipelines.Request{Prompt: "x", NumInferenceSteps: 20, Callback: func(step, total int) {
		n = step
		if step == 2 {
			cancel()
		}
	}})
	require.ErrorIs(t, err, context.Canceled)
	require.Equal(t, 2, n)
}

func TestSafetyCheckerBlacksOutFlagged(t *testing.T) {
	ctx := context.Background()
	p, err := autopipeline.Text2Image.FromPretrained(ctx, td+"tiny-sd")
	require.NoError(t, err)
	sc := p.Components()["safety_checker"].(*safety.Checker)
	thr := tensor.F32(sc.ConceptThresholds)
	saved := append([]float32(nil), thr...)
	defer copy(thr, saved)
	out, err := p.Generate(ctx, pipelines.Request{Prompt: "x", NumInferenceSteps: 1, NumImagesPerPrompt: 2})
	require.NoError(t, err)
	require.Equal(t, []bool{false, false}, out.NSFWContentDetected)
	for i := range thr {
		thr[i] = -1 // every concept fires
	}
	out, err = p.Generate(ctx, pipelines.Request{Prompt: "x", NumInferenceSteps: 1, NumImagesPerPrompt: 2})
	require.NoError(t, err)
	require.Equal(t, []bool{true, true}, out.NSFWContentDetected)
	for _, img := range out.Images {
		for i, v := range img.(*image.NRGBA).Pix {
			if i%4 != 3 {
				require.Zero(t, v)
			}
		}
	}
}

func TestOutputRequestAndDefaultsOf(t *testing.T) {
	ctx := context.Background()
	t2i, err := autopipeline.Text2Image.FromPretrained(ctx, td+"tiny-sd2")
	require.NoError(t, err)
	_, ok := autopipeline.DefaultsOf(t2i)
	require.False(t, ok)
	i2i, err := autopipeline.Image2Image.FromPipe(t2i, autopipeline.WithDefaults(pipelines.Request{Strength: 0.3}))
	require.NoError(t, err)
	d, ok := autopipeline.DefaultsOf(i2i)
	require.True(t, ok)
	require.Equal(t, 0.3, d.Strength)
	out, err := i2i.Generate(ctx, pipelines.Request{Prompt: "x", Image: gray(64, 64), NumInferenceSteps: 4})
	require.NoError(t, err)
	require.Equal(t, 0.3, out.Request.Strength)
	require.Equal(t, 7.5, out.Request.GuidanceScale)
	require.Equal(t, 1, out.Request.NumImagesPerPrompt)
	params := autopipeline.ParametersFor(i2i, out.Request, out.Images[0])
	require.Equal(t, "0.3", params.Extra["Denoising strength"])
	require.Equal(t, 7.5, params.CFGScale)
}

func TestWithScheduler(t *testing.T) {
	ctx := context.Background()
	p, err := autopipeline.Text2Image.FromPretrained(ctx, td+"tiny-sd2", autopipeline.WithScheduler("EulerDiscreteScheduler"))
	require.NoError(t, err)
	s := p.Components()["scheduler"].(schedulers.Scheduler)
	require.Equal(t, "EulerDiscreteScheduler", s.ClassName())
	require.Equal(t, "v_prediction", s.Config()["prediction_type"], "keys the class knows are kept")
	i2i, err := autopipeline.Image2Image.FromPipe(p, autopipeline.WithScheduler("DPMSolverMultistepScheduler"))
	require.NoError(t, err)
	require.Equal(t, "DPMSolverMultistepScheduler", i2i.Components()["scheduler"].(schedulers.Scheduler).ClassName())
	require.Equal(t, "EulerDiscreteScheduler", p.Components()["scheduler"].(schedulers.Scheduler).ClassName(), "the source keeps its scheduler")
	_, err = i2i.Generate(ctx, pipelines.Request{Prompt: "x", Image: gray(64, 64), NumInferenceSteps: 3})
	require.NoError(t, err)
	_, err = autopipeline.Text2Image.FromPretrained(ctx, td+"tiny-sd2", autopipeline.WithScheduler("NoSuchScheduler"))
	require.ErrorContains(t, err, "NoSuchScheduler")
}

// WithDType(Float16) stores Linear and Conv2D weights as float16 (half the
// memory); the images stay close to the float32 ones.
func TestFloat16Storage(t *testing.T) {
	ctx := context.Background()
	req := pipelines.Request{Prompt: "a castle", NumInferenceSteps: 2, Seed: 3}
	f32, err := autopipeline.Text2Image.FromPretrained(ctx, td+"tiny-sd2")
	require.NoError(t, err)
	f16, err := autopipeline.Text2Image.FromPretrained(ctx, td+"tiny-sd2", autopipeline.WithDType(tensor.Float16))
	require.NoError(t, err)
	u := f16.Components()["unet"].(*unet.Model)
	require.True(t, tensor.IsHalf(u.ConvIn.Weight), "conv weight kept as float16")
	require.False(t, tensor.IsHalf(f32.Components()["unet"].(*unet.Model).ConvIn.Weight))
	a, err := f32.Generate(ctx, req)
	require.NoError(t, err)
	b, err := f16.Generate(ctx, req)
	require.NoError(t, err)
	maxDiff, _ := testutil.MaxAbsDiff(tensor.F32(b.Pixels), tensor.F32(a.Pixels))
	t.Logf("float16 vs float32 weights: max |diff| %.3g", maxDiff)
	require.Greater(t, maxDiff, 0.0, "the weights were rounded")
	require.Less(t, maxDiff, 0.05)
	c, err := f16.Generate(ctx, req)
	require.NoError(t, err)
	require.Equal(t, tensor.F32(b.Pixels), tensor.F32(c.Pixels))
}

// The PNG parameters name the sampler as A1111 does, variant included, and
// that name selects the same scheduler again.
func TestParametersForNamesTheSamplerAsA1111(t *testing.T) {
	ctx := context.Background()
	p, err := autopipeline.Text2Image.FromPretrained(ctx, td+"tiny-sd2")
	require.NoError(t, err)
	base := p.Components()["scheduler"].(schedulers.Scheduler).Config()
	for short, want := range map[string]string{"dpm++2m_karras": "DPM++ 2M Karras", "euler_a": "Euler a", "pndm": "PLMS", "dpm++2m": "DPM++ 2M"} {
		sm, err := autopipeline.LookupSampler(short)
		require.NoError(t, err)
		s, err := sm.NewScheduler(base)
		require.NoError(t, err)
		q, err := autopipeline.Text2Image.FromPipe(p, autopipeline.WithComponent("scheduler", s))
		require.NoError(t, err)
		params := autopipeline.ParametersFor(q, autopipeline.Request{Prompt: "x", NumInferenceSteps: 2}, nil)
		require.Equal(t, want, params.Sampler, short)
		back, err := autopipeline.LookupSampler(params.Sampler)
		require.NoError(t, err)
		require.Equal(t, sm, back)
	}
}
