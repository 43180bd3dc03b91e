package schedulers

import (
	"fmt"
	"math"

	"github.com/goautopipe/diffusers/internal/limits"
)

// maxSolverOrder bounds solver_order (diffusers implements orders 1 to 3).
const maxSolverOrder = 3

// mayBeNegInf lists the keys whose value may be -Infinity: diffusers'
// DPMSolverMultistepScheduler saves lambda_min_clipped = -inf by default.
var mayBeNegInf = map[string]bool{"lambda_min_clipped": true}

// validateConfig refuses, in an effective config, non-finite floats and
// counts or ranges no scheduler uses, before a schedule is built from them.
func validateConfig(cfg map[string]any) error {
	for k, v := range cfg {
		if err := finiteValue(k, v); err != nil {
			return err
		}
	}
	p := &params{m: cfg}
	errs := []error{intKey(p, "num_train_timesteps", 1, limits.MaxTrainTimesteps)}
	if _, ok := cfg["steps_offset"]; ok {
		errs = append(errs, intKey(p, "steps_offset", 0, limits.MaxTrainTimesteps))
	}
	if _, ok := cfg["solver_order"]; ok {
		errs = append(errs, intKey(p, "solver_order", 1, maxSolverOrder))
	}
	errs = append(errs, betaRange(p), trainedBetas(p))
	for _, k := range []string{"clip_sample_range", "sample_max_value", "sigma_min", "sigma_max", "flow_shift"} {
		if f, ok := toFloat(cfg[k]); ok {
			errs = append(errs, limits.Positive(k, f))
		}
	}
	if f, ok := toFloat(cfg["dynamic_thresholding_ratio"]); ok {
		errs = append(errs, limits.Float("dynamic_thresholding_ratio", f, 0, 1))
	}
	if err := limits.First(errs...); err != nil {
		return err
	}
	return p.err
}

// finiteValue refuses NaN and the infinities in a config value (lists
// included), except -Infinity for the keys of mayBeNegInf.
func finiteValue(key string, v any) error {
	switch x := v.(type) {
	case []any:
		for i, e := range x {
			if err := finiteValue(fmt.Sprintf("%s[%d]", key, i), e); err != nil {
				return err
			}
		}
	case []float64:
		return limits.Floats(key, x)
	default:
		f, ok := toFloat(v)
		if !ok || (mayBeNegInf[key] && math.IsInf(f, -1)) {
			return nil
		}
		return limits.Finite(key, f)
	}
	return nil
}

func intKey(p *params, key string, lo, hi int) error {
	f := p.float(key)
	if p.err != nil {
		return p.err
	}
	if f < float64(lo) || f > float64(hi) {
		return fmt.Errorf("config key %q: %v is outside [%d, %d]: %w", key, f, lo, hi, limits.ErrOutOfRange)
	}
	return nil
}

// betaRange checks beta_start and beta_end: within [0, 1), and ordered for
// the linear schedules (a decreasing noise schedule is a broken config).
func betaRange(p *params) error {
	start, end := p.float("beta_start"), p.float("beta_end")
	if p.err != nil {
		return p.err
	}
	if err := limits.First(limits.Float("beta_start", start, 0, 1), limits.Float("beta_end", end, 0, 1)); err != nil {
		return err
	}
	s, _ := p.m["beta_schedule"].(string)
	if (s == "linear" || s == "scaled_linear") && p.m["trained_betas"] == nil && start > end {
		return fmt.Errorf("beta_start %v is above beta_end %v: %w", start, end, limits.ErrOutOfRange)
	}
	return nil
}

// trainedBetas checks a trained_betas list: its length and each beta in
// [0, 1].
func trainedBetas(p *params) error {
	betas := p.floats("trained_betas")
	if p.err != nil || betas == nil {
		return p.err
	}
	if err := limits.Int("len(trained_betas)", len(betas), 1, limits.MaxTrainTimesteps); err != nil {
		return err
	}
	for i, b := range betas {
		if err := limits.Float(fmt.Sprintf("trained_betas[%d]", i), b, 0, 1); err != nil {
			return err
		}
	}
	return nil
}

// CheckCustom checks explicit timesteps and sigmas (WithTimesteps,
// WithSigmas) as the schedulers need them: at most MaxTrainTimesteps
// values, finite; timesteps strictly decreasing within [0, numTrain);
// sigmas non-increasing, non-negative, the first above zero.
func CheckCustom(timesteps, sigmas []float64, numTrain int) error {
	for _, l := range []struct {
		name string
		v    []float64
	}{{"timesteps", timesteps}, {"sigmas", sigmas}} {
		if err := limits.Int("len("+l.name+")", len(l.v), 0, limits.MaxTrainTimesteps); err != nil {
			return err
		}
		if err := limits.Floats(l.name, l.v); err != nil {
			return err
		}
	}
	if err := checkTimesteps(timesteps, numTrain); err != nil {
		return err
	}
	return checkSigmas(sigmas)
}

func checkTimesteps(timesteps []float64, numTrain int) error {
	for i, t := range timesteps {
		if t < 0 || (numTrain > 0 && t >= float64(numTrain)) {
			return fmt.Errorf("timesteps[%d]: %v is outside [0, num_train_timesteps %d): %w", i, t, numTrain, limits.ErrOutOfRange)
		}
		if i > 0 && t >= timesteps[i-1] {
			return fmt.Errorf("timesteps must be in strictly decreasing order, but timesteps[%d] = %v follows %v: %w", i, t, timesteps[i-1], limits.ErrOutOfRange)
		}
	}
	return nil
}

func checkSigmas(sigmas []float64) error {
	for i, s := range sigmas {
		if s < 0 || (i == 0 && s == 0) {
			return fmt.Errorf("sigmas[%d]: %v must be above zero (the last may be zero): %w", i, s, limits.ErrOutOfRange)
		}
		if i > 0 && s > sigmas[i-1] {
			return fmt.Errorf("sigmas must be in decreasing order, but sigmas[%d] = %v follows %v: %w", i, s, sigmas[i-1], limits.ErrOutOfRange)
		}
	}
	return nil
}
