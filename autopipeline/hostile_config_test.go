//go:build unix

package autopipeline_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goautopipe/diffusers/autopipeline"
	"github.com/goautopipe/diffusers/internal/config"
)

// setKey rewrites the JSON object in file so that key (one level of
// nesting with a dot: "vision_config.num_hidden_layers") holds raw, a JSON
// text that may be what Python writes (NaN, -Infinity).
func setKey(t *testing.T, file, key, raw string) {
	t.Helper()
	data, err := os.ReadFile(file)
	require.NoError(t, err)
	outer, inner, nested := strings.Cut(key, ".")
	if nested {
		var obj map[string]json.RawMessage
		require.NoError(t, json.Unmarshal(data, &obj))
		raw = writeObject(with(obj[outer], inner, raw))
		key = outer
	}
	var obj map[string]json.RawMessage
	require.NoError(t, config.Unmarshal(data, &obj))
	require.NoError(t, os.WriteFile(file, []byte(writeObject(with(nil, key, raw, obj))), 0o644))
}

// with returns the members of the object text base (or of objs[0]) with
// key set to raw.
func with(base json.RawMessage, key, raw string, objs ...map[string]json.RawMessage) map[string]string {
	out := map[string]string{}
	var obj map[string]json.RawMessage
	if len(objs) > 0 {
		obj = objs[0]
	} else if base != nil {
		json.Unmarshal(base, &obj)
	}
	for k, v := range obj {
		out[k] = string(v)
	}
	out[key] = raw
	return out
}

func writeObject(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b bytes.Buffer
	b.WriteString("{")
	for i, k := range keys {
		if i > 0 {
			b.WriteString(", ")
		}
		q, _ := json.Marshal(k)
		b.Write(q)
		b.WriteString(": " + m[k])
	}
	b.WriteString("}")
	return b.String()
}

// Config values outside what any checkpoint uses are refused with an error
// naming the key, before they size any allocation.
func TestHostileConfigs(t *testing.T) {
	cases := []struct {
		file, key, value, want string
	}{
		{"unet/config.json", "layers_per_block", "1e9", "layers_per_block"},
		{"unet/config.json", "norm_num_groups", "0", "norm_num_groups"},
		{"unet/config.json", "sample_size", "1000000000", "sample_size"},
		{"unet/config.json", "block_out_channels", "[16, 1000000000]", "block_out_channels"},
		{"unet/config.json", "norm_eps", "-1e-5", "norm_eps"},
		{"unet/config.json", "norm_eps", "NaN", "norm_eps"},
		{"unet/config.json", "transformer_layers_per_block", "1000000000", "transformer_layers_per_block"},
		{"vae/config.json", "layers_per_block", "1000000000", "layers_per_block"},
		{"vae/config.json", "norm_num_groups", "0", "norm_num_groups"},
		{"vae/config.json", "scaling_factor", "Infinity", "scaling_factor"},
		{"text_encoder/config.json", "num_hidden_layers", "1e9", "num_hidden_layers"},
		{"text_encoder/config.json", "hidden_size", "1000000000", "hidden_size"},
		{"text_encoder/config.json", "layer_norm_eps", "-1", "layer_norm_eps"},
		{"scheduler/scheduler_config.json", "num_train_timesteps", "1e9", "num_train_timesteps"},
		{"scheduler/scheduler_config.json", "beta_start", "0.5", "beta_start"},
		{"scheduler/scheduler_config.json", "beta_end", "NaN", "beta_end"},
		{"scheduler/scheduler_config.json", "trained_betas", "[0.1, Infinity]", "trained_betas"},
		{"feature_extractor/preprocessor_config.json", "crop_size", "1000000000", "crop_size"},
		{"safety_checker/config.json", "vision_config.num_hidden_layers", "1000000000", "num_hidden_layers"},
		{"tokenizer/tokenizer_config.json", "model_max_length", "0", "model_max_length"},
		{"tokenizer/tokenizer_config.json", "model_max_length", "-5", "model_max_length"},
	}
	for _, tc := range cases {
		t.Run(tc.file+" "+tc.key+"="+tc.value, func(t *testing.T) {
			dir := copyFixture(t, "tiny-sd")
			setKey(t, filepath.Join(dir, tc.file), tc.key, tc.value)
			_, err := autopipeline.Text2Image.FromPretrained(context.Background(), dir)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			assert.NotContains(t, err.Error(), "internal error")
		})
	}
}

// Every JSON file of a checkpoint may hold NaN, Infinity and -Infinity as
// Python's json writes them.
func TestPythonJSONEverywhere(t *testing.T) {
	dir := copyFixture(t, "tiny-sd")
	for _, f := range []string{"model_index.json", "unet/config.json", "vae/config.json", "text_encoder/config.json",
		"safety_checker/config.json", "feature_extractor/preprocessor_config.json", "tokenizer/tokenizer_config.json",
		"tokenizer/special_tokens_map.json"} {
		setKey(t, filepath.Join(dir, f), "python_floats", "[NaN, Infinity, -Infinity]")
	}
	setKey(t, filepath.Join(dir, "scheduler/scheduler_config.json"), "_class_name", `"DPMSolverMultistepScheduler"`)
	setKey(t, filepath.Join(dir, "scheduler/scheduler_config.json"), "lambda_min_clipped", "-Infinity")
	p, err := autopipeline.Text2Image.FromPretrained(context.Background(), dir)
	require.NoError(t, err)
	assert.Equal(t, "DPMSolverMultistepScheduler", p.Components().Scheduler().ClassName())
}

// Files that are not regular files, or too large, fail at once.
func TestHostileFiles(t *testing.T) {
	cases := []struct {
		name  string
		setup func(t *testing.T, dir string)
		want  error
	}{
		{"model_index.json is a named pipe", func(t *testing.T, d string) {
			p := filepath.Join(d, "model_index.json")
			require.NoError(t, os.Remove(p))
			require.NoError(t, syscall.Mkfifo(p, 0o600))
		}, config.ErrNotRegular},
		{"unet config.json is a named pipe", func(t *testing.T, d string) {
			p := filepath.Join(d, "unet", "config.json")
			require.NoError(t, os.Remove(p))
			require.NoError(t, syscall.Mkfifo(p, 0o600))
		}, config.ErrNotRegular},
		{"vocab.json is /dev/zero", func(t *testing.T, d string) {
			p := filepath.Join(d, "tokenizer", "vocab.json")
			require.NoError(t, os.Remove(p))
			require.NoError(t, os.Symlink("/dev/zero", p))
		}, config.ErrNotRegular},
		{"scheduler config is /dev/zero", func(t *testing.T, d string) {
			p := filepath.Join(d, "scheduler", "scheduler_config.json")
			require.NoError(t, os.Remove(p))
			require.NoError(t, os.Symlink("/dev/zero", p))
		}, config.ErrNotRegular},
		{"vae config.json of 5 MB", func(t *testing.T, d string) {
			p := filepath.Join(d, "vae", "config.json")
			require.NoError(t, os.WriteFile(p, append([]byte("{}"), bytes.Repeat([]byte(" "), 5<<20)...), 0o644))
		}, config.ErrTooLarge},
		{"unet weights are a named pipe", func(t *testing.T, d string) {
			p := filepath.Join(d, "unet", "diffusion_pytorch_model.safetensors")
			require.NoError(t, os.Remove(p))
			require.NoError(t, syscall.Mkfifo(p, 0o600))
		}, nil},
		{"merges.txt is a named pipe", func(t *testing.T, d string) {
			p := filepath.Join(d, "tokenizer", "merges.txt")
			require.NoError(t, os.Remove(p))
			require.NoError(t, syscall.Mkfifo(p, 0o600))
		}, config.ErrNotRegular},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := copyFixture(t, "tiny-sd")
			tc.setup(t, dir)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			start := time.Now()
			_, err := autopipeline.Text2Image.FromPretrained(ctx, dir)
			require.Error(t, err)
			if tc.want != nil {
				assert.True(t, errors.Is(err, tc.want), "%v", err)
			}
			assert.Less(t, time.Since(start), 10*time.Second)
		})
	}
}

// WithVariant on a folder without that variant is an error, as diffusers;
// so are an unknown component and a nil context.
func TestVariantMissing(t *testing.T) {
	_, err := autopipeline.Text2Image.FromPretrained(context.Background(), td+"tiny-sd", autopipeline.WithVariant("fp16"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "fp16")
	_, err = autopipeline.Text2Image.FromPretrained(context.Background(), td+"tiny-sd", autopipeline.WithComponent("bogus", 5))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "bogus")
	//nolint:staticcheck // a nil context is what is being tested
	_, err = autopipeline.Text2Image.FromPretrained(nil, td+"tiny-sd")
	require.EqualError(t, err, "autopipeline: FromPretrained: nil context")
}

// Config values out of range match ErrOutOfRange.
func TestConfigOutOfRangeSentinel(t *testing.T) {
	dir := copyFixture(t, "tiny-sd")
	setKey(t, filepath.Join(dir, "unet/config.json"), "layers_per_block", "1e9")
	_, err := autopipeline.Text2Image.FromPretrained(context.Background(), dir)
	require.ErrorIs(t, err, autopipeline.ErrOutOfRange)
}
