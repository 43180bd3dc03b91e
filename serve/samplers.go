package serve

import (
	"fmt"
	"sort"
	"strings"

	"github.com/goautopipe/diffusers/autopipeline"
)

// sampler pairs an A1111 sampler name with the diffusers scheduler class
// that implements it.
type sampler struct{ a1111, class string }

// samplers are the schedulers a request may pick: autopipeline's samplers
// that are a scheduler class as configured by the checkpoint (variants such
// as "DPM++ 2M Karras" change the config and are not offered here).
var samplers = func() []sampler {
	var out []sampler
	for _, s := range autopipeline.Samplers() {
		if len(s.Config) == 0 {
			out = append(out, sampler{s.A1111, s.Class})
		}
	}
	return out
}()

// SchedulerNames lists the scheduler classes requests may name.
func SchedulerNames() []string {
	out := make([]string, len(samplers))
	for i, s := range samplers {
		out[i] = s.class
	}
	sort.Strings(out)
	return out
}

func knownScheduler(class string) bool {
	for _, s := range samplers {
		if s.class == class {
			return true
		}
	}
	return false
}

// schedulerFor accepts a diffusers class name or an A1111 sampler name
// (case-insensitive) and returns the class name; "" stays "".
func schedulerFor(name string) (string, error) {
	if name == "" {
		return "", nil
	}
	for _, s := range samplers {
		if strings.EqualFold(name, s.class) || strings.EqualFold(name, s.a1111) {
			return s.class, nil
		}
	}
	return "", badRequestf("unknown scheduler %q: use one of %s", name, strings.Join(SchedulerNames(), ", "))
}

func parseDType(s string) (autopipeline.DType, error) {
	switch strings.ToLower(s) {
	case "", "float32", "fp32":
		return autopipeline.Float32, nil
	case "float16", "fp16":
		return autopipeline.Float16, nil
	case "bfloat16", "bf16":
		return autopipeline.BFloat16, nil
	}
	return autopipeline.Float32, fmt.Errorf("dtype %q: use float32, float16 or bfloat16", s)
}
