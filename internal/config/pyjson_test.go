package config

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestUnmarshalPythonWords(t *testing.T) {
	type cfg struct {
		A float64   `json:"a"`
		B float32   `json:"b"`
		C []float64 `json:"c"`
		D *float64  `json:"d"`
		S string    `json:"s"`
		M map[string]float64
	}
	var c cfg
	in := `{"a": -Infinity, "b": NaN, "c": [1, Infinity, -Infinity, NaN], "d": Infinity,
		"s": "NaN Infinity -Infinity", "M": {"x": NaN, "y": 2.5}}`
	require.NoError(t, Unmarshal([]byte(in), &c))
	assert.True(t, math.IsInf(c.A, -1))
	assert.True(t, math.IsNaN(float64(c.B)))
	require.Len(t, c.C, 4)
	assert.Equal(t, 1.0, c.C[0])
	assert.True(t, math.IsInf(c.C[1], 1))
	assert.True(t, math.IsInf(c.C[2], -1))
	assert.True(t, math.IsNaN(c.C[3]))
	require.NotNil(t, c.D)
	assert.True(t, math.IsInf(*c.D, 1))
	assert.Equal(t, "NaN Infinity -Infinity", c.S, "words inside strings are text")
	assert.True(t, math.IsNaN(c.M["x"]))
	assert.Equal(t, 2.5, c.M["y"])
}

func TestUnmarshalPythonWordsAny(t *testing.T) {
	var m map[string]any
	in := `{"lambda_min_clipped": -Infinity, "nested": {"l": [NaN, {"v": Infinity}]}, "q": "a\"NaN"}`
	require.NoError(t, Unmarshal([]byte(in), &m))
	assert.True(t, math.IsInf(m["lambda_min_clipped"].(float64), -1))
	l := m["nested"].(map[string]any)["l"].([]any)
	assert.True(t, math.IsNaN(l[0].(float64)))
	assert.True(t, math.IsInf(l[1].(map[string]any)["v"].(float64), 1))
	assert.Equal(t, `a"NaN`, m["q"])
}

func TestUnmarshalPythonWordsErrors(t *testing.T) {
	cases := []struct {
		name, in, want string
		dst            any
	}{
		{"int field", `{"n": NaN}`, "NaN", &struct{ N int }{}},
		{"int list", `{"n": [1, -Infinity]}`, "-Infinity", &struct{ N IntOrList }{}},
		{"identifier prefix", `{"n": NaNa}`, "invalid character", &map[string]any{}},
		{"lower case", `{"n": nan}`, "invalid character", &map[string]any{}},
		{"Infinityx", `{"n": Infinityx}`, "invalid character", &map[string]any{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := Decode([]byte(tc.in), tc.dst)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestModelIndexPythonWords(t *testing.T) {
	m, err := ParseModelIndex([]byte(`{"_class_name": "StableDiffusionPipeline", "x": NaN,
		"unet": ["diffusers", "UNet2DConditionModel"]}`))
	require.NoError(t, err)
	assert.True(t, math.IsNaN(m.Extra["x"].(float64)))
	assert.Equal(t, "UNet2DConditionModel", m.Components["unet"].Class)
}
