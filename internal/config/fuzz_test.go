package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goautopipe/diffusers/internal/config"
	"github.com/goautopipe/diffusers/models/clip"
	"github.com/goautopipe/diffusers/models/safety"
	"github.com/goautopipe/diffusers/models/unet"
	"github.com/goautopipe/diffusers/models/vae"
	"github.com/goautopipe/diffusers/schedulers"
)

// FuzzConfigLoading feeds arbitrary bytes to every config reader of a
// checkpoint and builds what a config that passes describes (the models'
// structure, a scheduler and its timesteps): nothing may panic, and a
// config that loads must describe a model within the bounds.
//
//	go test ./internal/config -run '^$' -fuzz FuzzConfigLoading -fuzztime 2m
func FuzzConfigLoading(f *testing.F) {
	for _, p := range []string{
		"../../testdata/tiny-sd/model_index.json", "../../testdata/tiny-sd/unet/config.json",
		"../../testdata/tiny-sd/vae/config.json", "../../testdata/tiny-sd/text_encoder/config.json",
		"../../testdata/tiny-sd/scheduler/scheduler_config.json", "../../testdata/tiny-sd/safety_checker/config.json",
		"../../testdata/tiny-sd/feature_extractor/preprocessor_config.json",
		"../../testdata/golden/pyjson/default/scheduler_config.json",
	} {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`{"layers_per_block": 1e9, "norm_num_groups": 0, "num_train_timesteps": 1e9, "x": NaN}`))
	f.Add([]byte(`{"_class_name": "DPMSolverMultistepScheduler", "lambda_min_clipped": -Infinity, "beta_start": 0.5}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		for _, name := range []string{"config.json", "model_index.json", "scheduler_config.json", "preprocessor_config.json"} {
			if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		cfg := filepath.Join(dir, "config.json")
		var m map[string]any
		_ = config.Unmarshal(data, &m)
		_, _ = config.ReadModelIndex(filepath.Join(dir, "model_index.json"))
		if c, err := unet.ReadConfig(cfg); err == nil {
			if _, err := unet.New(c); err != nil && strings.Contains(err.Error(), "internal error") {
				t.Fatal(err)
			}
		}
		if c, err := vae.ReadConfig(cfg); err == nil {
			_, _ = vae.New(c)
		}
		_, _ = clip.ReadTextConfig(cfg)
		_, _ = safety.LoadFeatureExtractor(dir)
		fuzzScheduler(t, data)
	})
}

func fuzzScheduler(t *testing.T, data []byte) {
	m, err := schedulers.ParseConfig(data)
	if err != nil {
		return
	}
	if _, ok := m["_class_name"].(string); !ok {
		m["_class_name"] = "DPMSolverMultistepScheduler"
	}
	s, err := schedulers.FromConfig(m)
	if err != nil {
		return
	}
	for _, steps := range []int{1, 4, 25} {
		if st, err := s.NewState(steps); err == nil && len(st.Timesteps()) > 100000 {
			t.Fatalf("%d timesteps for %d steps", len(st.Timesteps()), steps)
		}
	}
}
