package autopipeline

import (
	"fmt"
	"slices"
	"strings"

	"github.com/goautopipe/diffusers/schedulers"
)

// Sampler is a scheduler under the names the other Stable Diffusion tools
// use: a short name as stable-diffusion.cpp and ComfyUI write it
// ("euler_a", "dpm++2m_karras") and the name AUTOMATIC1111's web UI shows
// and writes into a PNG's parameters ("Euler a", "DPM++ 2M Karras"),
// mapped to a diffusers scheduler class and the config values that select
// the variant (the mapping of the diffusers documentation's scheduler
// table).
type Sampler struct {
	Short, A1111 string
	Class        string
	// Config holds the scheduler config values this sampler sets on top of
	// the checkpoint's (e.g. use_karras_sigmas).
	Config map[string]any
}

var karras = map[string]any{"use_karras_sigmas": true}

// samplerTable lists the samplers in A1111's order; an entry is offered only when its class
// is registered in the schedulers package.
var samplerTable = []Sampler{
	{"euler_a", "Euler a", "EulerAncestralDiscreteScheduler", nil},
	{"euler", "Euler", "EulerDiscreteScheduler", nil},
	{"heun", "Heun", "HeunDiscreteScheduler", nil},
	{"lms", "LMS", "LMSDiscreteScheduler", nil},
	{"lms_karras", "LMS Karras", "LMSDiscreteScheduler", karras},
	{"dpm++2m", "DPM++ 2M", "DPMSolverMultistepScheduler", nil},
	{"dpm++2m_karras", "DPM++ 2M Karras", "DPMSolverMultistepScheduler", karras},
	{"dpm++2m_sde", "DPM++ 2M SDE", "DPMSolverMultistepScheduler", map[string]any{"algorithm_type": "sde-dpmsolver++"}},
	{"dpm++2m_sde_karras", "DPM++ 2M SDE Karras", "DPMSolverMultistepScheduler",
		map[string]any{"algorithm_type": "sde-dpmsolver++", "use_karras_sigmas": true}},
	{"ddim", "DDIM", "DDIMScheduler", nil},
	{"ddpm", "DDPM", "DDPMScheduler", nil},
	{"pndm", "PLMS", "PNDMScheduler", nil},
	{"unipc", "UniPC", "UniPCMultistepScheduler", nil},
	{"lcm", "LCM", "LCMScheduler", nil},
}

// Samplers returns the samplers available, in table order.
func Samplers() []Sampler {
	classes := schedulers.Classes()
	var out []Sampler
	for _, s := range samplerTable {
		if slices.Contains(classes, s.Class) {
			out = append(out, s)
		}
	}
	return out
}

// LookupSampler finds a sampler by its short name, its A1111 name or its
// diffusers class name (case-insensitive; "-" and " " read as "_").
func LookupSampler(name string) (Sampler, error) {
	key := samplerKey(name)
	for _, s := range Samplers() {
		if key == samplerKey(s.Short) || key == samplerKey(s.A1111) || key == samplerKey(s.Class) {
			return s, nil
		}
	}
	var names []string
	for _, s := range Samplers() {
		names = append(names, s.Short)
	}
	return Sampler{}, fmt.Errorf("unknown sampler %q; choose one of: %s", name, strings.Join(names, ", "))
}

func samplerKey(s string) string {
	return strings.NewReplacer("-", "_", " ", "_").Replace(strings.ToLower(strings.TrimSpace(s)))
}

// NewScheduler builds the sampler's scheduler from a checkpoint's scheduler
// config (its betas and spacing kept), with the sampler's values set.
func (s Sampler) NewScheduler(base map[string]any) (schedulers.Scheduler, error) {
	cfg := make(map[string]any, len(base)+len(s.Config))
	for k, v := range base {
		cfg[k] = v
	}
	for k, v := range s.Config {
		cfg[k] = v
	}
	return schedulers.FromConfigAs(s.Class, cfg)
}

// SamplerName returns the A1111 name of a scheduler class with its config
// ("DPM++ 2M Karras"), or the class name when A1111 has no name for it.
func SamplerName(class string, cfg map[string]any) string {
	best, bestN := "", -1
	for _, s := range samplerTable {
		if s.Class != class || !configHas(cfg, s.Config) || len(s.Config) <= bestN {
			continue
		}
		best, bestN = s.A1111, len(s.Config)
	}
	if best == "" {
		return class
	}
	return best
}

// configHas reports whether cfg holds every value of want; a missing key
// counts as false / the empty default.
func configHas(cfg, want map[string]any) bool {
	for k, v := range want {
		if fmt.Sprint(cfg[k]) != fmt.Sprint(v) {
			return false
		}
	}
	return true
}
