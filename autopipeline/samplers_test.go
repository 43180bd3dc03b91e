package autopipeline_test

import (
	"context"
	"testing"

	"github.com/goautopipe/diffusers/autopipeline"
	"github.com/stretchr/testify/require"
)

func TestLookupSampler(t *testing.T) {
	for name, want := range map[string]string{
		"euler_a": "Euler a", "Euler a": "Euler a", "EulerAncestralDiscreteScheduler": "Euler a",
		"dpm++2m_karras": "DPM++ 2M Karras", "DPM++ 2M Karras": "DPM++ 2M Karras", "dpm++-2m": "DPM++ 2M",
		"pndm": "PLMS", "PLMS": "PLMS", "ddim": "DDIM", "unipc": "UniPC", "lms": "LMS", "heun": "Heun",
	} {
		s, err := autopipeline.LookupSampler(name)
		require.NoError(t, err, name)
		require.Equal(t, want, s.A1111, name)
	}
	_, err := autopipeline.LookupSampler("dpm_fancy")
	require.ErrorContains(t, err, `unknown sampler "dpm_fancy"; choose one of: euler_a, euler,`)
}

// Every sampler builds from a checkpoint's scheduler config, and the
// A1111 name read back from the scheduler it built is its own.
func TestSamplerRoundTrip(t *testing.T) {
	pipe, err := autopipeline.Text2Image.FromPretrained(context.Background(), td+"tiny-sd")
	require.NoError(t, err)
	base := pipe.Components().Scheduler().Config()
	require.Equal(t, "PLMS", autopipeline.SamplerName("PNDMScheduler", base))
	require.GreaterOrEqual(t, len(autopipeline.Samplers()), 13)
	for _, s := range autopipeline.Samplers() {
		sched, err := s.NewScheduler(base)
		require.NoError(t, err, s.Short)
		require.Equal(t, s.Class, sched.ClassName())
		require.Equal(t, s.A1111, autopipeline.SamplerName(sched.ClassName(), sched.Config()), s.Short)
		require.Equal(t, base["beta_end"], sched.Config()["beta_end"], "the checkpoint's betas are kept")
	}
	require.Equal(t, "FancyScheduler", autopipeline.SamplerName("FancyScheduler", nil))
}
