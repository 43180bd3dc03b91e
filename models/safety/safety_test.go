package safety

import (
	"context"
	"image"
	"testing"

	"github.com/goautopipe/diffusers/internal/testutil"
	"github.com/goautopipe/diffusers/internal/testutil/weightstest"
	"github.com/goautopipe/diffusers/models/weights"
	"github.com/goautopipe/diffusers/tensor"
	"github.com/stretchr/testify/require"
)

var td = testutil.Root() + "/testdata/"

func golden(t *testing.T) (weights.Source, map[string]any, []image.Image) {
	src := weightstest.Open(t, testutil.Golden("safety.safetensors"))
	var meta map[string]any
	testutil.LoadJSON(t, testutil.Golden("safety.json"), &meta)
	var imgs []image.Image
	for i := 0; i < 3; i++ {
		imgs = append(imgs, testutil.LoadPNG(t, testutil.Golden("safety_in_"+string(rune('0'+i))+".png")))
	}
	return src, meta, imgs
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
	d := testutil.DenseMaxAbsDiff(t, px, want)
	t.Logf("pixel values: max |diff| %.3g", d)
	require.Less(t, d, 1e-5)

	c, err := Load(td+"tiny-sd/safety_checker", weights.OpenOptions{})
	require.NoError(t, err)
	emb, err := c.embed(context.Background(), px)
	require.NoError(t, err)
	wantEmb, err := src.Tensor("image_embeds")
	require.NoError(t, err)
	d = testutil.DenseMaxAbsDiff(t, emb, wantEmb)
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
