package schedulers_test

import (
	"fmt"

	"github.com/goautopipe/diffusers/schedulers"
)

func ExampleFromConfigAs() {
	// The scheduler_config.json of Stable Diffusion 1.5, used with Euler.
	cfg, _ := schedulers.ParseConfig([]byte(`{"_class_name": "PNDMScheduler", "beta_end": 0.012,
		"beta_schedule": "scaled_linear", "beta_start": 0.00085, "num_train_timesteps": 1000,
		"set_alpha_to_one": false, "skip_prk_steps": true, "steps_offset": 1, "clip_sample": false}`))
	s, err := schedulers.FromConfigAs("EulerDiscreteScheduler", cfg)
	if err != nil {
		panic(err)
	}
	st, _ := s.NewState(4)
	fmt.Println(s.ClassName(), st.Timesteps())
	fmt.Printf("%.4f\n", st.InitNoiseSigma())
	// Output:
	// EulerDiscreteScheduler [999 666 333 0]
	// 14.6146
}
