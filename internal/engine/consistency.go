package engine

import (
	"fmt"

	"github.com/goautopipe/diffusers/pipelines"
	"github.com/goautopipe/diffusers/schedulers"
)

// maxOriginalSteps bounds original_inference_steps from a request.
const maxOriginalSteps = 10000

// consistencyTimesteps is step 3 of the latent consistency pipelines: the
// scheduler picks the timesteps with the strength applied (diffusers passes
// strength and original_inference_steps to set_timesteps), and no
// strength cut follows.
func (c *Core) consistencyTimesteps(r pipelines.Request, steps int) (schedule, error) {
	if r.OriginalInferenceSteps < 0 || r.OriginalInferenceSteps > maxOriginalSteps {
		return schedule{}, invalid("`original_inference_steps` has to be in [1, %d] but is %d", maxOriginalSteps, r.OriginalInferenceSteps)
	}
	if c.Scheduler.ClassName() != "LCMScheduler" {
		return schedule{}, fmt.Errorf("%s.set_timesteps() got an unexpected keyword argument 'original_inference_steps' (latent consistency pipelines need the LCMScheduler)", c.Scheduler.ClassName())
	}
	opts := schedulerOptions(r)
	if r.OriginalInferenceSteps > 0 {
		opts = append(opts, schedulers.WithOriginalInferenceSteps(r.OriginalInferenceSteps))
	}
	if c.Task != Text2Image {
		opts = append(opts, schedulers.WithStrength(r.Strength))
	}
	st, err := c.Scheduler.NewState(steps, opts...)
	if err != nil {
		return schedule{}, invalid("%v", err)
	}
	if len(st.Timesteps()) == 0 {
		return schedule{}, invalid("no timesteps to run with strength %v", r.Strength)
	}
	return schedule{state: st, timesteps: st.Timesteps()}, nil
}
