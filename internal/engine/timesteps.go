package engine

import (
	"github.com/goautopipe/diffusers/pipelines"
	"github.com/goautopipe/diffusers/schedulers"
)

// schedule is step 3's outcome: the scheduler state of this generation and
// the timesteps the loop runs.
type schedule struct {
	state     schedulers.State
	timesteps []float64
	// fromImage is set when SDXL's denoising_start hands over partly
	// denoised latents: the image latents are not re-noised.
	fromImage bool
}

// timesteps sets the scheduler up for a request and cuts its timesteps by
// strength (or SDXL's denoising_start) and denoising_end.
func (c *Core) timesteps(r pipelines.Request) (schedule, error) {
	steps := r.NumInferenceSteps
	if len(r.Timesteps) > 0 || len(r.Sigmas) > 0 {
		steps = 0
	}
	st, err := c.Scheduler.NewState(steps, schedulerOptions(r)...)
	if err != nil {
		return schedule{}, err
	}
	s := schedule{state: st, timesteps: st.Timesteps()}
	s.fromImage = c.Traits.DenoisingRange && inOpenUnit(r.DenoisingStart)
	if c.Task != Text2Image {
		if s.timesteps, err = c.cutStart(st, r, s.fromImage); err != nil {
			return schedule{}, err
		}
	}
	if c.Traits.DenoisingRange && inOpenUnit(r.DenoisingEnd) {
		if s.fromImage && r.DenoisingStart >= r.DenoisingEnd {
			return schedule{}, invalid("`denoising_start`: %v cannot be larger than or equal to `denoising_end`: %v  when using type float.", r.DenoisingStart, r.DenoisingEnd)
		}
		s.timesteps = schedulers.DenoisingEndCut(s.timesteps, c.numTrainTimesteps(), r.DenoisingEnd)
	}
	return s, nil
}

// cutStart drops the first timesteps of image-to-image and inpainting:
// by strength (diffusers' get_timesteps) or from denoising_start.
func (c *Core) cutStart(st schedulers.State, r pipelines.Request, fromImage bool) ([]float64, error) {
	var ts []float64
	var steps int
	if fromImage {
		ts, steps = schedulers.DenoisingStartCut(st, c.numTrainTimesteps(), r.DenoisingStart)
	} else {
		ts, steps = schedulers.StrengthCut(st, st.NumInferenceSteps(), r.Strength)
	}
	if steps < 1 || len(ts) == 0 {
		return nil, invalid("After adjusting the num_inference_steps by strength parameter: %v, the number of pipeline steps is %d which is < 1 and not appropriate for this pipeline.", r.Strength, steps)
	}
	return ts, nil
}

func schedulerOptions(r pipelines.Request) []schedulers.Option {
	var opts []schedulers.Option
	if len(r.Timesteps) > 0 {
		opts = append(opts, schedulers.WithTimesteps(r.Timesteps))
	}
	if len(r.Sigmas) > 0 {
		opts = append(opts, schedulers.WithSigmas(r.Sigmas))
	}
	if r.Eta != 0 {
		opts = append(opts, schedulers.WithEta(r.Eta))
	}
	return opts
}

func (c *Core) numTrainTimesteps() int {
	switch v := c.Scheduler.Config()["num_train_timesteps"].(type) {
	case float64:
		return int(v)
	case int:
		return v
	}
	return 1000
}

func inOpenUnit(v float64) bool { return v > 0 && v < 1 }
