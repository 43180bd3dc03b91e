package safety

import (
	"context"
	"encoding/json"
	"image"
	"image/png"
	"math"
	"os"
	"testing"

	"github.com/goautopipe/diffusers/models/weights"
	"github.com/goautopipe/diffusers/tensor"
	"github.com/stretchr/testify/require"
)

const td = "../../testdata/"

func golden(t *testing.T) (weights.Source, map[string]any, []image.Image) {
	src, err := weights.Open(td + "golden/safety.safetensors")
	require.NoError(t, err)
	t.Cleanup(func() { src.Close() })
	data, err := os.ReadFile(td + "golden/safety.json")
	require.NoError(t, err)
	var meta map[string]any
	require.NoError(t, json.Unmarshal(data, &meta))
	var imgs []image.Image
	for i := 0; i < 3; i++ {
		f, err := os.Open(td + "golden/safety_in_" + string(rune('0'+i)) + ".png")
		require.NoError(t, err)
		img, err := png.Decode(f)
		f.Close()
		require.NoError(t, err)
		imgs = append(imgs, img)
	}
	return src, meta, imgs
}

func maxDiff(a, b []float32) float64 {
	m := 0.0
	for i := range a {
		m = math.Max(m, math.Abs(float64(a[i]-b[i])))
	}
	return m
}

func bools(v any) []bool {
	var out []bool
	for _, x := range v.([]any) {
		out = append(out, x.(bool))
	}
	return out
}

func TestSafetyMatchesDiffusers(t *testing.T) {
	src, meta, imgs := golden(t)
	fe, err := LoadFeatureExtractor(td + "tiny-sd/feature_extractor")
	require.NoError(t, err)
	px, err := fe.Preprocess(imgs)
	require.NoError(t, err)
	want, err := src.Tensor("pixel_values")
	require.NoError(t, err)
	require.Equal(t, want.Shape(), px.Shape())
	d := maxDiff(tensor.F32(want), tensor.F32(px))
	t.Logf("pixel values: max |diff| %.3g", d)
	require.Less(t, d, 1e-5)

	c, err := Load(td+"tiny-sd/safety_checker", weights.OpenOptions{})
	require.NoError(t, err)
	emb, err := c.embed(context.Background(), px)
	require.NoError(t, err)
	wantEmb, err := src.Tensor("image_embeds")
	require.NoError(t, err)
	d = maxDiff(tensor.F32(wantEmb), tensor.F32(emb))
	t.Logf("image embeds: max |diff| %.3g", d)
	require.Less(t, d, 1e-4)

	flags, err := c.Flags(context.Background(), px)
	require.NoError(t, err)
	require.Equal(t, bools(meta["flags"]), flags)

	thr, err := src.Tensor("lowered_concept_thresholds")
	require.NoError(t, err)
	c.ConceptThresholds = thr
	flags, err = c.Flags(context.Background(), px)
	require.NoError(t, err)
	require.Equal(t, bools(meta["flags_lowered"]), flags)
	require.Contains(t, flags, true)
}

func TestSafetyBadInput(t *testing.T) {
	c, err := Load(td+"tiny-sd/safety_checker", weights.OpenOptions{})
	require.NoError(t, err)
	_, err = c.Flags(context.Background(), tensor.New(1, 3, 16, 16))
	require.ErrorContains(t, err, "want [N,3,32,32]")
	_, err = Load(td+"tiny-sd/unet", weights.OpenOptions{})
	require.Error(t, err)
	_, err = LoadFeatureExtractor(t.TempDir())
	require.Error(t, err)
}
