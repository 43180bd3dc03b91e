// Package schedulers implements the diffusers noise schedulers used by
// Stable Diffusion 1.x/2.x and SDXL pipelines, with diffusers' numerics.
//
// A Scheduler is an immutable configuration, built from a parsed
// scheduler_config.json by its "_class_name":
//
//	m, _ := schedulers.ParseConfig(data)
//	s, err := schedulers.FromConfig(m)             // class named by the config
//	s, err = schedulers.FromConfigAs("EulerDiscreteScheduler", m) // swap class
//
// FromConfigAs keeps only the keys the target class accepts (the others are
// dropped, keys listed in "_use_default_values" too) and takes the class's
// defaults for the rest, as diffusers' from_config does; an unknown class is
// an *UnknownClassError. New classes join through Register.
//
// Stepping happens on a State, made per generation, so one Scheduler can
// serve concurrent generations:
//
//	st, err := s.NewState(30)                       // or WithTimesteps / WithSigmas / WithEta
//	ts, _ := schedulers.StrengthCut(st, 30, 0.75)   // img2img: keep the last 75% (optional)
//	latents := scale(noise, st.InitNoiseSigma())
//	for _, t := range ts {
//		in, _ := st.ScaleModelInput(latents, t)
//		eps := unet(in, t)
//		latents, _ = st.Step(eps, t, latents, gen) // gen: *rng.Generator for noise-injecting schedulers
//	}
//
// Implemented classes: PNDMScheduler (PRK+PLMS or PLMS only), DDIMScheduler,
// DDPMScheduler (fixed variances), EulerDiscreteScheduler,
// EulerAncestralDiscreteScheduler, LMSDiscreteScheduler,
// HeunDiscreteScheduler, DPMSolverMultistepScheduler (dpmsolver,
// dpmsolver++, sde-dpmsolver, sde-dpmsolver++; orders 1-3) and
// UniPCMultistepScheduler and LCMScheduler (latent consistency models:
// WithOriginalInferenceSteps, WithStrength); prediction types epsilon, v_prediction and
// sample where the reference supports them; Karras and exponential sigmas,
// zero-terminal-SNR rescaling, all timestep spacings.
//
// The noise schedule itself (betas, alphas_cumprod, timestep spacing,
// sigma tables, interpolation, Karras/exponential sigmas, sigma-to-timestep)
// lives in one module of float64 slice functions (schedule.go) that every
// scheduler uses. Values are rounded to float32 where the reference holds
// float32 tensors, and the per-element step arithmetic is float32 in the
// reference's operation order, so trajectories agree with diffusers to a
// few float32 ulps. Noise is drawn from a tensor/rng Generator in the order
// and shapes diffusers draws it, so seeded runs reproduce.
//
// Known differences: PyTorch computes the float32 training sigmas with an
// MKL square root that is not correctly rounded, so sigmas can differ in
// the last bit and timesteps derived from sigmas (Karras, exponential,
// explicit sigmas, continuous) by ~1e-6 relative; integer and linspace
// timesteps are exact. Where the reference produces NaN (UniPC bh1 or
// predict_x0=false stepping to a zero final sigma) so does this package.
// Not implemented: thresholding, learned variances, beta/flow/Lu sigmas,
// UniPC solver_p, dynamic shifting.
package schedulers
