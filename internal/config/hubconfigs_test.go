package config

import (
	"io/fs"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goautopipe/diffusers/internal/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// unetKeys covers the config keys whose JSON type varies between
// checkpoints (an integer in SD 1.x, a list in SD 2.x and SDXL).
type unetKeys struct {
	ClassName                 string    `json:"_class_name"`
	AttentionHeadDim          IntOrList `json:"attention_head_dim"`
	NumAttentionHeads         IntOrList `json:"num_attention_heads"`
	TransformerLayersPerBlock IntOrList `json:"transformer_layers_per_block"`
	LayersPerBlock            IntOrList `json:"layers_per_block"`
	CrossAttentionDim         IntOrList `json:"cross_attention_dim"`
	BlockOutChannels          []int     `json:"block_out_channels"`
	DownBlockTypes            []string  `json:"down_block_types"`
	SampleSize                IntOrList `json:"sample_size"`
	InChannels                int       `json:"in_channels"`
}

// TestHubConfigs reads every JSON file under testdata/configs/ (real
// configs of Hub checkpoints): model indexes with ReadModelIndex, everything
// else generically, and UNet configs into a typed struct.
func TestHubConfigs(t *testing.T) {
	root := testutil.Testdata("configs")
	var files []string
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".json") {
			files = append(files, p)
		}
		return nil
	})
	if len(files) == 0 {
		t.Skip("no testdata/configs")
	}
	var indexes, unets int
	for _, f := range files {
		if filepath.Base(f) == "model_index.json" {
			m, err := ReadModelIndex(f)
			if !assert.NoError(t, err) {
				continue
			}
			assert.NotEmpty(t, m.Components, "%s: components %v order %v", f, m.Components, m.Order)
			assert.Len(t, m.Order, len(m.Components), "%s: components %v order %v", f, m.Components, m.Order)
			indexes++
			continue
		}
		var generic map[string]any
		if err := ReadJSON(f, &generic); !assert.NoError(t, err) {
			continue
		}
		if generic["_class_name"] == "UNet2DConditionModel" {
			var u unetKeys
			if err := ReadJSON(f, &u); !assert.NoError(t, err) {
				continue
			}
			assert.NotEmpty(t, u.BlockOutChannels, "%s: %+v", f, u)
			assert.Len(t, u.DownBlockTypes, len(u.BlockOutChannels), "%s: %+v", f, u)
			_, err := u.LayersPerBlock.Expand(len(u.BlockOutChannels))
			assert.NoError(t, err, "%s: layers_per_block", f)
			unets++
		}
	}
	// Values that distinguish the families, as in the files.
	unet := func(repo string) unetKeys {
		var u unetKeys
		require.NoError(t, ReadJSON(filepath.Join(root, repo, "unet", "config.json"), &u))
		return u
	}
	checks := []struct {
		repo              string
		headDim, tlpb     IntOrList
		crossDim, inChans int
	}{
		{"runwayml--stable-diffusion-v1-5", IntOrList{8}, nil, 768, 4},
		{"runwayml--stable-diffusion-inpainting", IntOrList{8}, nil, 768, 9},
		{"stabilityai--stable-diffusion-2-1", IntOrList{5, 10, 20, 20}, nil, 1024, 4},
		{"stabilityai--stable-diffusion-xl-base-1.0", IntOrList{5, 10, 20}, IntOrList{1, 2, 10}, 2048, 4},
		{"stabilityai--stable-diffusion-xl-refiner-1.0", IntOrList{6, 12, 24, 24}, IntOrList{4}, 1280, 4},
	}
	for _, c := range checks {
		u := unet(c.repo)
		assert.Equal(t, c.headDim, u.AttentionHeadDim, "%s: %+v", c.repo, u)
		assert.Equal(t, c.tlpb, u.TransformerLayersPerBlock, "%s: %+v", c.repo, u)
		assert.Equal(t, IntOrList{c.crossDim}, u.CrossAttentionDim, "%s: %+v", c.repo, u)
		assert.Equal(t, c.inChans, u.InChannels, "%s: %+v", c.repo, u)
	}
	ref, err := ReadModelIndex(filepath.Join(root, "stabilityai--stable-diffusion-xl-refiner-1.0", "model_index.json"))
	require.NoError(t, err)
	v, ok := ref.Bool("requires_aesthetics_score")
	assert.True(t, ok, "refiner index: %+v", ref)
	assert.True(t, v, "refiner index: %+v", ref)
	assert.False(t, ref.Components["text_encoder"].Present(), "refiner index: %+v", ref)
	assert.Equal(t, "StableDiffusionXLImg2ImgPipeline", ref.ClassName, "refiner index: %+v", ref)
	t.Logf("%d files: %d model indexes, %d UNet configs", len(files), indexes, unets)
}
