package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goautopipe/diffusers/internal/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseModelIndex(t *testing.T) {
	m, err := ParseModelIndex([]byte(`{
  "_class_name": "StableDiffusionXLImg2ImgPipeline",
  "_diffusers_version": "0.19.0.dev0",
  "_name_or_path": "stabilityai/stable-diffusion-xl-refiner-1.0",
  "vae": ["diffusers", "AutoencoderKL"],
  "text_encoder": [null, null],
  "requires_aesthetics_score": true,
  "force_zeros_for_empty_prompt": false,
  "unet": ["diffusers", "UNet2DConditionModel"],
  "scheduler": ["diffusers", "EulerDiscreteScheduler"],
  "extra_list": [1, 2, 3],
  "extra_null": null
}`))
	require.NoError(t, err)
	require.Equal(t, "StableDiffusionXLImg2ImgPipeline", m.ClassName, "header fields: %+v", m)
	require.Equal(t, "0.19.0.dev0", m.DiffusersVersion, "header fields: %+v", m)
	require.Equal(t, "stabilityai/stable-diffusion-xl-refiner-1.0", m.NameOrPath, "header fields: %+v", m)
	want := []string{"vae", "text_encoder", "unet", "scheduler"}
	require.Equal(t, want, m.Order, "order %v", m.Order)
	c := m.Components["text_encoder"]
	require.False(t, c.Present(), "text_encoder %+v", c)
	require.Equal(t, Component{}, c, "text_encoder %+v", c)
	c = m.Components["unet"]
	require.True(t, c.Present(), "unet %+v", c)
	require.Equal(t, "diffusers", c.Library, "unet %+v", c)
	require.Equal(t, "UNet2DConditionModel", c.Class, "unet %+v", c)
	wantExtra := map[string]any{
		"requires_aesthetics_score": true, "force_zeros_for_empty_prompt": false,
		"extra_list": []any{1.0, 2.0, 3.0}, "extra_null": nil,
	}
	require.Equal(t, wantExtra, m.Extra, "extra %#v", m.Extra)
	v, ok := m.Bool("requires_aesthetics_score")
	require.True(t, v, "Bool")
	require.True(t, ok, "Bool")
	_, ok = m.Bool("extra_list")
	require.False(t, ok, "Bool on a list")
}

func TestParseModelIndexErrors(t *testing.T) {
	cases := map[string]string{
		`{"unet": ["diffusers", "UNet2DConditionModel"]}`:            `key "_class_name" missing`,
		`{"_class_name": 3}`:                                         `key "_class_name": want a string`,
		`{"_class_name": "P", "vae": ["a", "b"], "vae": ["a", "b"]}`: `key "vae" appears twice`,
		`{"_class_name": "P",}`:                                      `invalid JSON`,
		`{"_class_name": "P"`:                                        `unexpected end of JSON`,
		`["_class_name"]`:                                            `want a JSON object`,
		`{"_class_name": "P"} []`:                                    `unexpected data after the JSON object`,
	}
	for in, want := range cases {
		_, err := ParseModelIndex([]byte(in))
		assert.ErrorContains(t, err, want, "%s: got %v, want %q", in, err, want)
	}
	p := filepath.Join(t.TempDir(), "model_index.json")
	os.WriteFile(p, []byte(`{"_class_name": 1}`), 0o644)
	_, err := ReadModelIndex(p)
	require.Error(t, err, "file not named: %v", err)
	require.True(t, strings.HasPrefix(err.Error(), "config: "+p+": "), "file not named: %v", err)
}

// TestTinyModelIndexes reads the model_index.json of every tiny fixture and
// checks it against the keys and values of the file decoded generically.
func TestTinyModelIndexes(t *testing.T) {
	files, _ := filepath.Glob(testutil.Testdata("tiny-*", "model_index.json"))
	if len(files) == 0 {
		t.Skip("no tiny fixtures")
	}
	for _, f := range files {
		m, err := ReadModelIndex(f)
		require.NoError(t, err)
		keys, err := Keys(f)
		require.NoError(t, err)
		var raw map[string]any
		require.NoError(t, ReadJSON(f, &raw))
		assert.Equal(t, raw["_class_name"], m.ClassName, "%s: class %q", f, m.ClassName)
		assert.True(t, strings.HasSuffix(m.ClassName, "Pipeline"), "%s: class %q", f, m.ClassName)
		// The unsupported-pipeline fixture is a bare model_index.json.
		_, statErr := os.Stat(filepath.Join(filepath.Dir(f), "unet"))
		unsupported := os.IsNotExist(statErr)
		n := 0
		for _, k := range keys {
			if strings.HasPrefix(k, "_") {
				continue
			}
			if c, ok := m.Components[k]; ok {
				assert.Equal(t, k, m.Order[n], "%s: order %v at %d, want %s", f, m.Order, n, k)
				n++
				pair := raw[k].([]any)
				assert.Equal(t, !c.Present(), pair[0] == nil, "%s: %s = %+v, file %v", f, k, c, pair)
				if c.Present() {
					assert.Equal(t, c.Library, pair[0], "%s: %s = %+v, file %v", f, k, c, pair)
					assert.Equal(t, c.Class, pair[1], "%s: %s = %+v, file %v", f, k, c, pair)
				}
				if c.Present() && !unsupported {
					_, err := os.Stat(filepath.Join(filepath.Dir(f), k))
					assert.NoError(t, err, "%s: component %s has no folder", f, k)
				}
			} else {
				assert.Equal(t, raw[k], m.Extra[k], "%s: extra %s", f, k)
			}
		}
		assert.Equal(t, len(m.Components), n, "%s: %d components in order, %d in map", f, n, len(m.Components))
		assert.Equal(t, len(m.Order), n, "%s: %d components in order, %d in map", f, n, len(m.Components))
		_, ok := m.Components["unet"]
		assert.True(t, ok || unsupported, "%s: no unet", f)
	}
}

func TestTinyRefinerAndUnsupported(t *testing.T) {
	m, err := ReadModelIndex(testutil.Testdata("tiny-sdxl-refiner", "model_index.json"))
	if os.IsNotExist(errors.Unwrap(err)) {
		t.Skip("fixture missing")
	}
	require.NoError(t, err)
	require.Equal(t, "StableDiffusionXLImg2ImgPipeline", m.ClassName, "refiner: %+v", m)
	require.False(t, m.Components["text_encoder"].Present(), "refiner: %+v", m)
	require.True(t, m.Components["text_encoder_2"].Present(), "refiner: %+v", m)
	require.Equal(t, "CLIPTextModelWithProjection", m.Components["text_encoder_2"].Class, "refiner: %+v", m)
	v, ok := m.Bool("requires_aesthetics_score")
	require.True(t, ok, "refiner: requires_aesthetics_score")
	require.True(t, v, "refiner: requires_aesthetics_score")
	u, err := ReadModelIndex(testutil.Testdata("tiny-unsupported", "model_index.json"))
	require.NoError(t, err)
	require.Equal(t, "ShapEImg2ImgPipeline", u.ClassName, "unsupported: %+v", u)
	require.Equal(t, Component{"shap_e", "ShapERenderer"}, u.Components["shap_e_renderer"], "unsupported: %+v", u)
}
