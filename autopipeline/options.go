package autopipeline

import (
	"fmt"
	"sort"
	"strings"

	"github.com/goautopipe/diffusers/models/lora"
	"github.com/goautopipe/diffusers/pipelines"
)

// Option configures FromPretrained and FromPipe.
type Option func(*options)

type options struct {
	dtype      DType
	variant    string
	config     map[string]any
	configKeys []string
	components pipelines.Components
	defaults   *Request
	scheduler  string
	vae        string
	hub        hubOptions

	singleFileConfig, predictionType string // single-file checkpoints (singlefile.go)
	loraFiles                        []loraFile
	loras                            []lora.Weighted
	fuseLoRA                         bool
	embeddings                       []embeddingFile // adapters.go
}

func collect(opts []Option) (*options, error) {
	o := &options{config: map[string]any{}, components: pipelines.Components{}}
	for _, opt := range opts {
		if opt != nil {
			opt(o)
		}
	}
	if o.dtype < Float32 || o.dtype > BFloat16 {
		return nil, fmt.Errorf("autopipeline: unknown dtype %v", o.dtype)
	}
	return o, nil
}

// checkComponents refuses WithComponent names the class does not take.
func (o *options) checkComponents(class string, sig pipelines.Signature) error {
	var unknown []string
	for name := range o.components {
		if !sig.HasModule(name) {
			unknown = append(unknown, name)
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	sort.Strings(unknown)
	return fmt.Errorf("autopipeline: WithComponent: %s takes no component %s (its components: %s)",
		class, strings.Join(unknown, ", "), strings.Join(sig.Modules, ", "))
}

// WithDType sets the precision of the weights (Float32, Float16 or
// BFloat16), like diffusers' torch_dtype. With Float16 the Linear and
// Conv2D weights of the UNet, VAE, text encoders and safety checker (and
// the text encoders' token tables) are stored as float16
// (half the memory; a view of *.fp16.safetensors files, no copy) and
// widened per layer during computation; every other weight is rounded to
// float16 values. With BFloat16 those weights are stored as bfloat16 (a
// view of BF16 files) and their products run in bfloat16 where the CPU has
// AVX512_BF16 (activations rounded to bfloat16 as they enter the product,
// float32 sums and outputs), else in float32 on the widened weights; norms,
// softmax, attention, residual adds, the scheduler and the VAE decoder's
// conv_out stay float32 (tensor/README.md lists the split).
func WithDType(dt DType) Option { return func(o *options) { o.dtype = dt } }

// WithVariant loads weight files of a variant: "fp16" reads
// *.fp16.safetensors.
func WithVariant(v string) Option { return func(o *options) { o.variant = v } }

// WithConfig sets a pipeline config value, e.g.
// WithConfig("requires_safety_checker", false). It overrides the
// checkpoint's value and, in FromPipe, the source pipeline's.
func WithConfig(key string, value any) Option {
	return func(o *options) {
		if _, seen := o.config[key]; !seen {
			o.configKeys = append(o.configKeys, key)
		}
		o.config[key] = value
	}
}

// WithComponent replaces a component (e.g. "scheduler") by c; a component
// set to nil is left out (e.g. "safety_checker"). The name must be one of
// the pipeline class's components.
func WithComponent(name string, c any) Option {
	return func(o *options) { o.components[name] = c }
}

// WithDefaults sets call defaults: a field left zero in a Request takes the
// value from r, e.g. WithDefaults(Request{Strength: 0.3}).
func WithDefaults(r Request) Option {
	return func(o *options) { d := r; o.defaults = &d }
}

// WithScheduler swaps the pipeline's scheduler for another class built from
// the current scheduler's config, keeping only the keys that class knows —
// diffusers' `pipe.scheduler = EulerDiscreteScheduler.from_config(pipe.scheduler.config)`.
func WithScheduler(className string) Option {
	return func(o *options) { o.scheduler = className }
}
