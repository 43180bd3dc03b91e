package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
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
	if err != nil {
		t.Fatal(err)
	}
	if m.ClassName != "StableDiffusionXLImg2ImgPipeline" || m.DiffusersVersion != "0.19.0.dev0" || m.NameOrPath != "stabilityai/stable-diffusion-xl-refiner-1.0" {
		t.Fatalf("header fields: %+v", m)
	}
	if want := []string{"vae", "text_encoder", "unet", "scheduler"}; !reflect.DeepEqual(m.Order, want) {
		t.Fatalf("order %v", m.Order)
	}
	if c := m.Components["text_encoder"]; c.Present() || c != (Component{}) {
		t.Fatalf("text_encoder %+v", c)
	}
	if c := m.Components["unet"]; !c.Present() || c.Library != "diffusers" || c.Class != "UNet2DConditionModel" {
		t.Fatalf("unet %+v", c)
	}
	wantExtra := map[string]any{
		"requires_aesthetics_score": true, "force_zeros_for_empty_prompt": false,
		"extra_list": []any{1.0, 2.0, 3.0}, "extra_null": nil,
	}
	if !reflect.DeepEqual(m.Extra, wantExtra) {
		t.Fatalf("extra %#v", m.Extra)
	}
	if v, ok := m.Bool("requires_aesthetics_score"); !v || !ok {
		t.Fatal("Bool")
	}
	if _, ok := m.Bool("extra_list"); ok {
		t.Fatal("Bool on a list")
	}
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
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v, want %q", in, err, want)
		}
	}
	p := filepath.Join(t.TempDir(), "model_index.json")
	os.WriteFile(p, []byte(`{"_class_name": 1}`), 0o644)
	if _, err := ReadModelIndex(p); err == nil || !strings.HasPrefix(err.Error(), "config: "+p+": ") {
		t.Fatalf("file not named: %v", err)
	}
}

// TestTinyModelIndexes reads the model_index.json of every tiny fixture and
// checks it against the keys and values of the file decoded generically.
func TestTinyModelIndexes(t *testing.T) {
	files, _ := filepath.Glob("../../testdata/tiny-*/model_index.json")
	if len(files) == 0 {
		t.Skip("no tiny fixtures")
	}
	for _, f := range files {
		m, err := ReadModelIndex(f)
		if err != nil {
			t.Fatal(err)
		}
		keys, err := Keys(f)
		if err != nil {
			t.Fatal(err)
		}
		var raw map[string]any
		if err := ReadJSON(f, &raw); err != nil {
			t.Fatal(err)
		}
		if m.ClassName != raw["_class_name"] || !strings.HasSuffix(m.ClassName, "Pipeline") {
			t.Errorf("%s: class %q", f, m.ClassName)
		}
		// The unsupported-pipeline fixture is a bare model_index.json.
		_, statErr := os.Stat(filepath.Join(filepath.Dir(f), "unet"))
		unsupported := os.IsNotExist(statErr)
		n := 0
		for _, k := range keys {
			if strings.HasPrefix(k, "_") {
				continue
			}
			if c, ok := m.Components[k]; ok {
				if m.Order[n] != k {
					t.Errorf("%s: order %v at %d, want %s", f, m.Order, n, k)
				}
				n++
				pair := raw[k].([]any)
				if (pair[0] == nil) != !c.Present() || (c.Present() && (pair[0] != c.Library || pair[1] != c.Class)) {
					t.Errorf("%s: %s = %+v, file %v", f, k, c, pair)
				}
				if c.Present() && !unsupported {
					if _, err := os.Stat(filepath.Join(filepath.Dir(f), k)); err != nil {
						t.Errorf("%s: component %s has no folder", f, k)
					}
				}
			} else if !reflect.DeepEqual(m.Extra[k], raw[k]) {
				t.Errorf("%s: extra %s = %v, file %v", f, k, m.Extra[k], raw[k])
			}
		}
		if n != len(m.Components) || n != len(m.Order) {
			t.Errorf("%s: %d components in order, %d in map", f, n, len(m.Components))
		}
		if _, ok := m.Components["unet"]; !ok && !unsupported {
			t.Errorf("%s: no unet", f)
		}
	}
}

func TestTinyRefinerAndUnsupported(t *testing.T) {
	m, err := ReadModelIndex("../../testdata/tiny-sdxl-refiner/model_index.json")
	if os.IsNotExist(errors.Unwrap(err)) {
		t.Skip("fixture missing")
	}
	if err != nil {
		t.Fatal(err)
	}
	if m.ClassName != "StableDiffusionXLImg2ImgPipeline" || m.Components["text_encoder"].Present() ||
		!m.Components["text_encoder_2"].Present() || m.Components["text_encoder_2"].Class != "CLIPTextModelWithProjection" {
		t.Fatalf("refiner: %+v", m)
	}
	if v, ok := m.Bool("requires_aesthetics_score"); !ok || !v {
		t.Fatal("refiner: requires_aesthetics_score")
	}
	u, err := ReadModelIndex("../../testdata/tiny-unsupported/model_index.json")
	if err != nil {
		t.Fatal(err)
	}
	if u.ClassName != "ShapEImg2ImgPipeline" || u.Components["shap_e_renderer"] != (Component{"shap_e", "ShapERenderer"}) {
		t.Fatalf("unsupported: %+v", u)
	}
}
