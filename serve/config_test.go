package serve

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseConfig(t *testing.T) {
	cfg, err := ParseConfig([]byte(`
listen: 0.0.0.0:8080
workers: 0
api_keys: [abcdefgh12]
limits: {max_steps: 30, ack_wait: 5s, result_ttl: 1h}
models:
  - {name: sd15, path: runwayml/stable-diffusion-v1-5, steps: 25, scheduler: EulerDiscreteScheduler}
  - {name: xl, path: /models/sdxl, dtype: float16, variant: fp16}
`))
	require.NoError(t, err)
	assert.Equal(t, "0.0.0.0:8080", cfg.Listen)
	assert.Equal(t, 0, *cfg.Workers)
	assert.Equal(t, 30, cfg.Limits.MaxSteps)
	assert.Equal(t, Duration(5*time.Second), cfg.Limits.AckWait)
	assert.Equal(t, Duration(time.Hour), cfg.Limits.ResultTTL)
	assert.Equal(t, 64, cfg.Limits.QueueSize, "default")
	assert.Equal(t, int64(16<<20), cfg.Limits.MaxBodyBytes, "default")
	assert.Equal(t, []string{"sd15", "xl"}, cfg.ModelNames())
	assert.Equal(t, 25, cfg.Models[0].Steps)
	assert.Equal(t, "autopipe-data", cfg.DataDir)

	for _, tt := range []struct{ yaml, msg string }{
		{`models: [{name: a, path: p}]` + "\nlisen: x", "field lisen not found"},
		{`models: []`, "no models"},
		{`models: [{name: "../x", path: p}]`, `name "../x"`},
		{`models: [{name: a, path: p}, {name: a, path: q}]`, `duplicate name "a"`},
		{`models: [{name: a}]`, `model "a": no path`},
		{`models: [{name: a, path: p, dtype: int8}]`, `dtype "int8"`},
		{`models: [{name: a, path: p, scheduler: Fast}]`, `unknown scheduler "Fast"`},
		{`models: [{name: a, path: p}]` + "\nlimits: {ack_wait: soon}", `invalid duration "soon"`},
		{`models: [{name: a, path: p}]` + "\napi_keys: [short]", "shorter than 8"},
	} {
		_, err := ParseConfig([]byte(tt.yaml))
		require.Error(t, err, tt.yaml)
		assert.Contains(t, err.Error(), tt.msg)
	}
}

func TestNameFor(t *testing.T) {
	for in, want := range map[string]string{
		"testdata/tiny-sd":                         "tiny-sd",
		"stabilityai/stable-diffusion-xl-base-1.0": "stable-diffusion-xl-base-1.0",
		"/models/v1-5-pruned.safetensors":          "v1-5-pruned",
		"models/my model/":                         "my-model",
	} {
		assert.Equal(t, want, NameFor(in))
	}
}
