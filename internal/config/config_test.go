package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
	return p
}

type unetLike struct {
	BlockOutChannels []int     `json:"block_out_channels"`
	AttentionHeadDim IntOrList `json:"attention_head_dim"`
	SampleSize       int       `json:"sample_size"`
	Flip             bool      `json:"flip_sin_to_cos"`
	Scale            *float64  `json:"shift_factor"`
	Nested           struct {
		Q int `json:"q"`
	} `json:"nested"`
}

func TestReadJSON(t *testing.T) {
	p := writeFile(t, "config.json", `{
  "_class_name": "UNet2DConditionModel",
  "block_out_channels": [32, 64],
  "attention_head_dim": 8,
  "sample_size": 64,
  "flip_sin_to_cos": true,
  "shift_factor": null,
  "unknown_key": {"anything": [1, "x"]}
}`)
	var c unetLike
	require.NoError(t, ReadJSON(p, &c))
	want := unetLike{BlockOutChannels: []int{32, 64}, AttentionHeadDim: IntOrList{8}, SampleSize: 64, Flip: true}
	require.Equal(t, want, c, "got %+v", c)
}

func TestReadJSONErrors(t *testing.T) {
	cases := []struct {
		name, content, want string
	}{
		{"wrong type", `{"block_out_channels": "32"}`, `key "block_out_channels": cannot use JSON string as []int`},
		{"wrong element type", `{"block_out_channels": [32, "64"]}`, `key "block_out_channels": cannot use JSON string as int`},
		{"float for int", `{"sample_size": 64.5}`, `key "sample_size": cannot use JSON number 64.5 as int`},
		{"nested key", "{\"nested\": {\"q\": true}}", `key "nested.q": cannot use JSON bool as int`},
		{"int or list wrong", `{"attention_head_dim": "8"}`, `key "attention_head_dim": cannot use JSON "8" as an integer or a list of integers`},
		{"int or list float", `{"attention_head_dim": [8, 2.5]}`, `key "attention_head_dim": cannot use JSON [8, 2.5] as an integer or a list of integers`},
		{"syntax", "{\n  \"sample_size\": 64,\n  }", `line 3, column 3: invalid JSON`},
		{"truncated", `{"sample_size": 64`, `unexpected end of JSON`},
		{"trailing data", `{"sample_size": 64} {}`, `line 1, column 21: unexpected data after the JSON value`},
		{"not an object", `[1, 2]`, `line 1, column 1: cannot use JSON array as config.unetLike`},
		{"empty", ``, `unexpected end of JSON`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := writeFile(t, "config.json", c.content)
			var dst unetLike
			err := ReadJSON(p, &dst)
			want := "config: " + p + ": " + c.want
			require.Error(t, err, "got  %v\nwant %s...", err, want)
			require.True(t, strings.HasPrefix(err.Error(), want), "got  %v\nwant %s...", err, want)
		})
	}
	var dst unetLike
	err := ReadJSON(filepath.Join(t.TempDir(), "none.json"), &dst)
	require.ErrorIs(t, err, os.ErrNotExist, "missing file: %v", err)
}

func TestIntOrList(t *testing.T) {
	var v struct {
		A IntOrList `json:"a"`
	}
	for in, want := range map[string]IntOrList{
		`{"a": 8}`:           {8},
		`{"a": 8.0}`:         {8},
		`{"a": [5, 10, 20]}`: {5, 10, 20},
		`{"a": []}`:          {},
		`{"a": null}`:        nil,
		`{}`:                 nil,
	} {
		v.A = nil
		err := Decode([]byte(in), &v)
		assert.NoError(t, err, "%s: got %v, %v", in, v.A, err)
		assert.Equal(t, want, v.A, "%s: got %v, %v", in, v.A, err)
	}
	got, err := (IntOrList{8}).Expand(3)
	assert.NoError(t, err, "expand single: %v %v", got, err)
	assert.Equal(t, []int{8, 8, 8}, got, "expand single: %v %v", got, err)
	got, err = (IntOrList{1, 2, 3}).Expand(3)
	assert.NoError(t, err, "expand list: %v %v", got, err)
	assert.Equal(t, []int{1, 2, 3}, got, "expand list: %v %v", got, err)
	_, err = (IntOrList{1, 2}).Expand(3)
	assert.Error(t, err, "expand 2 to 3: no error")
	n, ok := (IntOrList{4}).Single()
	assert.True(t, ok, "single")
	assert.Equal(t, 4, n, "single")
}
