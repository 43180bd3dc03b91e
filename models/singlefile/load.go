package singlefile

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/goautopipe/diffusers/internal/config"
	"github.com/goautopipe/diffusers/internal/parallel"
	"github.com/goautopipe/diffusers/models/clip"
	"github.com/goautopipe/diffusers/models/nn"
	"github.com/goautopipe/diffusers/models/unet"
	"github.com/goautopipe/diffusers/models/vae"
	"github.com/goautopipe/diffusers/models/weights"
	"github.com/goautopipe/diffusers/tensor"
)

// Options configures Load.
type Options struct {
	// ConfigDir is a diffusers folder whose configs (model_index.json,
	// component config.json files, scheduler and tokenizer files) describe
	// the checkpoint, like diffusers' from_single_file(config=...); its
	// weights, if any, are not read. "" uses the configs this package
	// carries for the detected model type.
	ConfigDir string
	// PredictionType ("epsilon" or "v_prediction") states what the file
	// cannot tell: it selects SD 2.x 512 (epsilon) or 768 (v-prediction,
	// the default) and overrides the scheduler's prediction_type.
	PredictionType string
	// Precision, when Float16 or BFloat16, rounds the weights as
	// weights.OpenOptions.Precision does; float16 files under Float16 stay
	// zero-copy.
	Precision tensor.DType
	// TempDir is where the carried configs are extracted while loading
	// ("": os.TempDir()).
	TempDir string
}

// Pipeline is what a single-file checkpoint holds, as diffusers components.
type Pipeline struct {
	Kind Kind
	// ClassName is the pipeline class of the configs' model_index.json.
	ClassName string
	// ModelIndex is the configs' model_index.json.
	ModelIndex []byte
	// Components maps component names (unet, vae, text_encoder, tokenizer,
	// text_encoder_2, tokenizer_2) to *unet.Model, *vae.AutoencoderKL,
	// *clip.TextModel and *clip.Tokenizer.
	Components map[string]any
	// Scheduler is the scheduler config (with "_class_name"), for
	// schedulers.FromConfig.
	Scheduler map[string]any
}

// Load reads a single-file checkpoint (a .safetensors file in the LDM
// layout of A1111, ComfyUI and the original Stable Diffusion repositories),
// detects its model type and builds its components with diffusers' names.
// Pickle files (.ckpt, .pt, ...) are refused. Every checkpoint tensor must
// be used by a component or be a known training leftover: the error lists
// every missing, unused and mis-shaped tensor of every component at once.
func Load(ctx context.Context, path string, o Options) (*Pipeline, error) {
	tokenizer := clip.LoadTokenizer
	if o.ConfigDir == "" {
		bpe := carriedBPE()
		tokenizer = func(dir string) (*clip.Tokenizer, error) {
			b, err := bpe()
			if err != nil {
				return nil, err
			}
			return clip.LoadTokenizerBPE(dir, b)
		}
	}
	src, err := weights.Open(path)
	if err != nil {
		if errors.Is(err, weights.ErrPickle) {
			return nil, fmt.Errorf("singlefile: %s: pickle checkpoints (.ckpt, .pt) can run code when loaded and are not read; convert it to .safetensors: %w", path, err)
		}
		return nil, fmt.Errorf("singlefile: %w", err)
	}
	// Loaded tensors are views of the mapping, which Close keeps.
	defer src.Close()
	k, err := Detect(src, o.PredictionType)
	if err != nil {
		return nil, fmt.Errorf("singlefile: %s: %w", path, err)
	}
	dir := o.ConfigDir
	if dir == "" {
		if dir, err = extractConfigs(k, o.TempDir); err != nil {
			return nil, err
		}
		defer os.RemoveAll(dir)
	}
	p, err := build(ctx, src, k, dir, o, tokenizer)
	if err != nil {
		return nil, fmt.Errorf("singlefile: %s (%v): %w", path, k, err)
	}
	return p, nil
}

func build(ctx context.Context, src weights.Source, k Kind, dir string, o Options, tokenizer func(string) (*clip.Tokenizer, error)) (*Pipeline, error) {
	rawIndex, err := config.ReadFile(ctx, filepath.Join(dir, "model_index.json"), config.MaxConfigBytes)
	if err != nil {
		return nil, err
	}
	idx, err := config.ParseModelIndex(rawIndex)
	if err != nil {
		return nil, err
	}
	sched, err := schedulerConfig(dir, o.PredictionType)
	if err != nil {
		return nil, err
	}
	ps := append([]part{{component: "unet", prefix: unetPrefix}, {component: "vae", prefix: vaePrefix}},
		parts[kinds[k].family]...)
	loaders, err := componentLoaders(ps, dir)
	if err != nil {
		return nil, err
	}
	maps, splitErr := split(src, ps, loaders)
	p := &Pipeline{Kind: k, ClassName: idx.ClassName, ModelIndex: rawIndex, Components: map[string]any{}, Scheduler: sched}
	// The components and tokenizers are independent: load them at once
	// (models mostly map views of the file; tokenizers parse their JSON).
	jobs := append(modelJobs(ctx, src, ps, loaders, maps, o.Precision), tokenizerJobs(ps, dir, tokenizer)...)
	loaded := make([]any, len(jobs))
	errs := make([]error, len(jobs)+1)
	errs[len(jobs)] = splitErr
	parallel.For(len(jobs), func(i int) { loaded[i], errs[i] = jobs[i].load() })
	for i, j := range jobs {
		if loaded[i] != nil {
			p.Components[j.name] = loaded[i]
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return p, nil
}

// job loads one component.
type job struct {
	name string
	load func() (any, error)
}

func modelJobs(ctx context.Context, src weights.Source, ps []part, loaders map[string]*component, maps map[string]map[string]weights.Mapping, prec tensor.DType) []job {
	jobs := make([]job, len(ps))
	for i, pt := range ps {
		jobs[i] = job{name: pt.component, load: func() (any, error) {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			m, err := loaders[pt.component].load(src, maps[pt.component], prec)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", pt.component, sourceNames(err, maps[pt.component]))
			}
			return m, nil
		}}
	}
	return jobs
}

// tokenizerJobs loads the tokenizer of each text encoder.
func tokenizerJobs(ps []part, dir string, tokenizer func(string) (*clip.Tokenizer, error)) []job {
	var jobs []job
	for _, pt := range ps {
		if !strings.HasPrefix(pt.component, "text_encoder") {
			continue
		}
		name := strings.Replace(pt.component, "text_encoder", "tokenizer", 1)
		jobs = append(jobs, job{name: name, load: func() (any, error) {
			tok, err := tokenizer(filepath.Join(dir, name))
			if err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			return tok, nil
		}})
	}
	return jobs
}

// split converts every checkpoint tensor to the diffusers names of its
// component; names of no component and not known leftovers are an error.
func split(src weights.Source, ps []part, loaders map[string]*component) (map[string]map[string]weights.Mapping, error) {
	maps := map[string]map[string]weights.Mapping{}
	var unknown []string
	for _, name := range src.Names() {
		pt, rest, ok := owner(ps, name)
		if !ok {
			if !isIgnored(name) {
				unknown = append(unknown, name)
			}
			continue
		}
		info, _ := src.Info(name)
		ts, err := loaders[pt.component].convert(rest, info)
		if err != nil {
			unknown = append(unknown, fmt.Sprintf("%s (%v)", name, err))
			continue
		}
		if maps[pt.component] == nil {
			maps[pt.component] = map[string]weights.Mapping{}
		}
		for _, t := range ts {
			if prev, dup := maps[pt.component][t.name]; dup {
				unknown = append(unknown, fmt.Sprintf("%s (%s %s, like %s)", name, pt.component, t.name, prev.From))
				continue
			}
			t.mp.From = name // converters see the name without the component prefix
			maps[pt.component][t.name] = t.mp
		}
	}
	if len(unknown) > 0 {
		return maps, fmt.Errorf("%d tensors of no component: %s", len(unknown), abbreviate(unknown))
	}
	return maps, nil
}

// abbreviate joins the sorted list, cut after 20 names.
func abbreviate(list []string) string {
	sort.Strings(list)
	if len(list) > 20 {
		list = append(list[:20:20], fmt.Sprintf("... (%d more)", len(list)-20))
	}
	return strings.Join(list, ", ")
}

// sourceNames rewrites the unused tensors of a *weights.LoadError with
// their names in the checkpoint.
func sourceNames(err error, m map[string]weights.Mapping) error {
	var le *weights.LoadError
	if !errors.As(err, &le) {
		return err
	}
	for i, n := range le.Unused {
		if mp, ok := m[n]; ok {
			le.Unused[i] = mp.From
		}
	}
	sort.Strings(le.Unused)
	return err
}

func owner(ps []part, name string) (part, string, bool) {
	for _, p := range ps {
		if rest, ok := cutPrefix(name, p.prefix); ok {
			return p, rest, true
		}
	}
	return part{}, "", false
}

func isIgnored(name string) bool {
	if ignored[name] {
		return true
	}
	for _, p := range ignoredPrefixes {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

func schedulerConfig(dir, prediction string) (map[string]any, error) {
	path := filepath.Join(dir, "scheduler", "scheduler_config.json")
	var m map[string]any
	if err := config.ReadJSON(path, &m); err != nil {
		return nil, err
	}
	if prediction != "" {
		m["prediction_type"] = prediction
	}
	return m, nil
}

// component builds one model from its config and converted weights.
type component struct {
	convert converter
	load    func(src weights.Source, m map[string]weights.Mapping, p tensor.DType) (any, error)
}

func componentLoaders(ps []part, dir string) (map[string]*component, error) {
	out := map[string]*component{}
	for _, pt := range ps {
		var c *component
		var err error
		cfgPath := filepath.Join(dir, pt.component, "config.json")
		switch pt.component {
		case "unet":
			c, err = unetComponent(cfgPath)
		case "vae":
			c, err = vaeComponent(cfgPath)
		default:
			c, err = textComponent(cfgPath, pt.openCLIP)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", pt.component, err)
		}
		out[pt.component] = c
	}
	return out, nil
}

// remapped returns the converted view of src (nil maps: an empty source).
func remapped(src weights.Source, m map[string]weights.Mapping, p tensor.DType) (weights.Source, error) {
	r, err := weights.Remap(src, m)
	if err != nil {
		return nil, err
	}
	return weights.WithPrecision(r, p), nil
}

func unetComponent(cfgPath string) (*component, error) {
	cfg, err := unet.ReadConfig(cfgPath)
	if err != nil {
		return nil, err
	}
	lpb, ok := cfg.LayersPerBlock.Single()
	if !ok {
		return nil, fmt.Errorf("layers_per_block %v: per-block values are not in the LDM layout", cfg.LayersPerBlock)
	}
	load := func(src weights.Source, m map[string]weights.Mapping, p tensor.DType) (any, error) {
		model, err := unet.New(cfg)
		if err != nil {
			return nil, err
		}
		r, err := remapped(src, m, p)
		if err != nil {
			return nil, err
		}
		if err := weights.Load(r, model); err != nil {
			return nil, err
		}
		return model, nn.CheckLoaded(model)
	}
	return &component{convert: unetConverter(lpb), load: load}, nil
}

func vaeComponent(cfgPath string) (*component, error) {
	cfg, err := vae.ReadConfig(cfgPath)
	if err != nil {
		return nil, err
	}
	load := func(src weights.Source, m map[string]weights.Mapping, p tensor.DType) (any, error) {
		model, err := vae.New(cfg)
		if err != nil {
			return nil, err
		}
		r, err := remapped(src, m, p)
		if err != nil {
			return nil, err
		}
		// The names and shapes are diffusers' already: load directly (the
		// float16 weights stay half, see weights.HalfCapable).
		if err := weights.Load(r, model); err != nil {
			return nil, err
		}
		return model, nn.CheckLoaded(model)
	}
	return &component{convert: vaeConverter(len(cfg.BlockOutChannels)), load: load}, nil
}

func textComponent(cfgPath string, openCLIP bool) (*component, error) {
	cfg, err := clip.ReadTextConfig(cfgPath)
	if err != nil {
		return nil, err
	}
	proj, ok := cfg.WithProjection()
	if !ok {
		return nil, fmt.Errorf("unsupported architectures %v", cfg.Architectures)
	}
	conv := clipConverter
	if openCLIP {
		conv = openCLIPConverter(cfg.NumHiddenLayers, proj)
	}
	load := func(src weights.Source, m map[string]weights.Mapping, p tensor.DType) (any, error) {
		model, err := clip.NewTextModel(cfg, proj)
		if err != nil {
			return nil, err
		}
		r, err := remapped(src, m, p)
		if err != nil {
			return nil, err
		}
		return model, model.Load(r)
	}
	return &component{convert: conv, load: load}, nil
}
