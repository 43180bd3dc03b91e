package main

import (
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"

	"github.com/goautopipe/diffusers/autopipeline"
	"github.com/goautopipe/diffusers/hub"
	"github.com/goautopipe/diffusers/internal/demo"
)

// generate runs subcommand t: parse, load inputs and the pipeline,
// generate, save.
func generate(ctx context.Context, t task, args []string, stdout, stderr io.Writer) error {
	o, err := parseFlags(t, args, stdout)
	if err != nil {
		return err
	}
	if o.threads > 0 {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(o.threads))
	}
	modelName := o.model
	if o.model == "" {
		dir, err := demo.Extract("")
		if err != nil {
			return err
		}
		defer os.RemoveAll(filepath.Dir(dir))
		o.model, modelName = dir, demo.Name
	} else if err := checkLocalModel(o.model); err != nil {
		return err
	}
	req, err := o.request(ctx)
	if err != nil {
		return err
	}
	prog := newProgress(stderr, o)

	prog.phase("loading " + modelName)
	pipe, err := load(ctx, t, o, stderr, prog.tty)
	if err != nil {
		prog.end()
		return err
	}
	prog.done(fmt.Sprintf("loaded %s", modelName))
	if req.PromptSyntax == "" {
		warnTruncated(stderr, pipe, req)
	}

	prog.phase("encoding the prompt")
	req.Callback = prog.step
	res, err := pipe.Generate(ctx, req)
	prog.end()
	if err != nil {
		return err
	}
	prog.summary(res.Timings)
	return save(pipe, modelName, o, res, stdout, stderr)
}

// request builds the pipeline call from the flags, loading the input images.
func (o *options) request(ctx context.Context) (autopipeline.Request, error) {
	r := autopipeline.Request{
		Prompt: o.prompt, NegativePrompt: o.negativePrompt,
		Prompt2: o.prompt2, NegativePrompt2: o.negativePrompt2,
		Width: o.width, Height: o.height,
		NumInferenceSteps: o.steps, NumImagesPerPrompt: o.images,
		GuidanceScale: o.guidance, Strength: o.strength,
		GuidanceRescale: o.guidanceRescale, Eta: o.eta, ClipSkip: o.clipSkip,
		DenoisingStart: o.denoisingStart, DenoisingEnd: o.denoisingEnd,
		Seed: o.seed, PromptSyntax: o.promptSyntax,
	}
	// A zero field means "the pipeline's default": an explicit 0 turns
	// guidance off, as 1 does.
	if o.set["guidance_scale"] && o.guidance == 0 {
		r.GuidanceScale = 1
	}
	if r.Seed == -1 {
		r.Seed = rand.Int64N(1 << 32)
	}
	var err error
	if o.image != "" {
		if r.Image, err = autopipeline.LoadImage(ctx, o.image); err != nil {
			return r, fmt.Errorf("--image: %w", err)
		}
	}
	if o.maskImage != "" {
		if r.MaskImage, err = autopipeline.LoadImage(ctx, o.maskImage); err != nil {
			return r, fmt.Errorf("--mask_image: %w", err)
		}
	}
	return r, nil
}

// checkLocalModel fails early on a --model that is written as a path (not
// as a Hub repo id such as "org/name") and does not exist.
func checkLocalModel(model string) error {
	if _, err := os.Stat(model); err == nil {
		return nil
	}
	if isSingleFile(model) && !filepath.IsAbs(model) && !strings.HasPrefix(model, ".") {
		return nil // a file in a Hub repo, resolved when loading
	}
	_, err := hub.ParseRepoID(model)
	if err != nil || filepath.IsAbs(model) || strings.HasPrefix(model, ".") || strings.HasPrefix(model, "~") {
		return fmt.Errorf("--model %s: no such folder (give a local diffusers folder or a Hub repo id org/name)", model)
	}
	return nil
}

// load builds the pipeline of task t with the precision, sampler, safety
// checker and VAE tiling the flags ask for.
func load(ctx context.Context, t task, o *options, stderr io.Writer, showDownload bool) (autopipeline.Pipeline, error) {
	opts := []autopipeline.Option{autopipeline.WithDType(dtypes[o.dtype])}
	if o.variant != "" {
		opts = append(opts, autopipeline.WithVariant(o.variant))
	}
	if o.noSafety {
		opts = append(opts, autopipeline.WithComponent("safety_checker", nil),
			autopipeline.WithConfig("requires_safety_checker", false))
	}
	if showDownload && !o.quiet {
		opts = append(opts, autopipeline.WithDownloadProgress(newDownloadBar(stderr).Update))
	}
	opts = append(append(opts, o.loras...), o.embeddings...)
	pipe, err := t.FromPretrained(ctx, o.model, opts...)
	if err != nil {
		return nil, err
	}
	if o.vaeTiling {
		v := pipe.Components().VAE()
		if v == nil {
			return nil, errors.New("--vae-tiling: the pipeline has no VAE")
		}
		v.SetTiling(true)
	}
	if o.scheduler == "" {
		return pipe, nil
	}
	cur := pipe.Components().Scheduler()
	if cur == nil {
		return nil, errors.New("the pipeline has no scheduler to replace")
	}
	sampler, err := autopipeline.LookupSampler(o.scheduler)
	if err != nil {
		return nil, fmt.Errorf("--scheduler: %w", err)
	}
	s, err := sampler.NewScheduler(cur.Config())
	if err != nil {
		return nil, fmt.Errorf("--scheduler: %w", err)
	}
	return t.FromPipe(pipe, autopipeline.WithComponent("scheduler", s))
}

// save writes each image with its parameters and reports it on stdout.
func save(p autopipeline.Pipeline, model string, o *options, res *autopipeline.Output, stdout, stderr io.Writer) error {
	if len(res.Images) == 0 {
		return errors.New("the pipeline returned no image")
	}
	if dir := filepath.Dir(o.out); dir != "." {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	r := res.Request
	for i, img := range res.Images {
		path := o.out
		params := parameters(p, r, img)
		params.Model = model
		if len(res.Images) > 1 {
			path = numbered(o.out, i)
			params.Extra["Batch size"] = strconv.Itoa(len(res.Images))
			params.Extra["Batch pos"] = strconv.Itoa(i)
		}
		if len(params.Extra) == 0 {
			params.Extra = nil
		}
		if err := writeImage(path, img, params); err != nil {
			return err
		}
		b := img.Bounds()
		fmt.Fprintf(stdout, "%s: wrote %s (%dx%d, seed %d)\n", p.ClassName(), path, b.Dx(), b.Dy(), r.Seed)
		if i < len(res.NSFWContentDetected) && res.NSFWContentDetected[i] {
			fmt.Fprintf(stderr, "autopipe: warning: %s: the safety checker flagged possible NSFW content; the image was replaced by a black one\n", path)
		}
	}
	return nil
}

// parameters are the image's parameters text (A1111's format): the request
// as it ran, with the settings beyond A1111's standard ones in Extra when
// they were used.
func parameters(p autopipeline.Pipeline, r autopipeline.Request, img image.Image) autopipeline.Parameters {
	params := autopipeline.ParametersFor(p, r, img)
	if s := p.Components().Scheduler(); s != nil {
		params.Sampler = autopipeline.SamplerName(s.ClassName(), s.Config()) // as A1111 names it
	}
	extra := map[string]string{}
	num := func(key string, v float64) {
		if v != 0 {
			extra[key] = strconv.FormatFloat(v, 'g', -1, 64)
		}
	}
	if r.Image != nil {
		num("Denoising strength", r.Strength)
	}
	num("Eta", r.Eta)
	num("Guidance rescale", r.GuidanceRescale)
	num("Denoising start", r.DenoisingStart)
	num("Denoising end", r.DenoisingEnd)
	if r.ClipSkip > 0 {
		extra["Clip skip"] = strconv.Itoa(r.ClipSkip)
	}
	params.Extra = extra
	return params
}

// numbered inserts _i before the extension of path.
func numbered(path string, i int) string {
	ext := filepath.Ext(path)
	return fmt.Sprintf("%s_%d%s", strings.TrimSuffix(path, ext), i, ext)
}
