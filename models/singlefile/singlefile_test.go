package singlefile

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goautopipe/diffusers/models/clip"
	"github.com/goautopipe/diffusers/models/unet"
	"github.com/goautopipe/diffusers/models/vae"
	"github.com/goautopipe/diffusers/models/weights"
	"github.com/goautopipe/diffusers/tensor"
)

var fixtures = []struct {
	name  string
	kind  Kind
	class string
	parts []string
}{
	{"tiny-sd", SD1, "StableDiffusionPipeline", []string{"unet", "vae", "text_encoder"}},
	{"tiny-sd2", SD2, "StableDiffusionPipeline", []string{"unet", "vae", "text_encoder"}},
	{"tiny-sd-inpaint", SD1Inpaint, "StableDiffusionInpaintPipeline", []string{"unet", "vae", "text_encoder"}},
	{"tiny-sdxl", SDXL, "StableDiffusionXLPipeline", []string{"unet", "vae", "text_encoder", "text_encoder_2"}},
	{"tiny-sdxl-refiner", SDXLRefiner, "StableDiffusionXLImg2ImgPipeline", []string{"unet", "vae", "text_encoder_2"}},
}

func folderComponent(t *testing.T, fixture, comp string, p tensor.DType) any {
	dir := filepath.Join(testdata, fixture, comp)
	o := weights.OpenOptions{Precision: p}
	var m any
	var err error
	switch comp {
	case "unet":
		m, err = unet.Load(dir, o)
	case "vae":
		m, err = vae.Load(dir, o)
	default:
		m, err = clip.LoadTextModel(dir, o)
	}
	require.NoError(t, err)
	return m
}

// The single file written by tools/reference/singlefile_fixtures.py's
// recipe (which diffusers' from_single_file loads bit-identical to the
// folder) loads here bit-identical to the folder too.
func TestLoadMatchesFolder(t *testing.T) {
	for _, f := range fixtures {
		t.Run(f.name, func(t *testing.T) {
			path := writeFixture(t, f.name, nil)
			p, err := Load(context.Background(), path, Options{ConfigDir: filepath.Join(testdata, f.name)})
			require.NoError(t, err)
			assert.Equal(t, f.kind, p.Kind)
			assert.Equal(t, f.class, p.ClassName)
			for _, comp := range f.parts {
				requireSameModel(t, comp, folderComponent(t, f.name, comp, tensor.Float32), p.Components[comp])
			}
			tokName := map[bool]string{true: "tokenizer_2", false: "tokenizer"}[f.name == "tiny-sdxl-refiner"]
			require.IsType(t, &clip.Tokenizer{}, p.Components[tokName])
			assert.Equal(t, p.Scheduler["_class_name"] != nil, true)
		})
	}
}

// Under Float16 the UNet's weights are kept as halves, equal to the
// folder's rounded to half.
func TestLoadFloat16(t *testing.T) {
	path := writeFixture(t, "tiny-sd", nil)
	p, err := Load(context.Background(), path, Options{ConfigDir: filepath.Join(testdata, "tiny-sd"), Precision: tensor.Float16})
	require.NoError(t, err)
	u := p.Components["unet"].(*unet.Model)
	require.True(t, tensor.IsHalf(u.ConvIn.Weight))
	require.True(t, tensor.IsHalf(p.Components["vae"].(*vae.AutoencoderKL).Encoder.ConvIn.Weight))
	for _, comp := range []string{"unet", "vae", "text_encoder"} {
		requireSameModel(t, comp, folderComponent(t, "tiny-sd", comp, tensor.Float16), p.Components[comp])
	}
}

func TestDetect(t *testing.T) {
	for _, f := range fixtures {
		path := writeFixture(t, f.name, nil)
		src, err := weights.Open(path)
		require.NoError(t, err)
		k, err := Detect(src, "")
		require.NoError(t, err)
		assert.Equal(t, f.kind, k, f.name)
		if f.kind == SD2 {
			k, err = Detect(src, Epsilon)
			require.NoError(t, err)
			assert.Equal(t, SD2Base, k)
		}
		src.Close()
	}
}

func TestDetectUnknown(t *testing.T) {
	path := writeFixture(t, "tiny-sd", func(m map[string]*tensor.Dense) {
		for k := range m {
			if len(k) > 16 && k[:16] == "cond_stage_model" {
				delete(m, k)
			}
		}
	})
	_, err := Load(context.Background(), path, Options{})
	require.ErrorIs(t, err, ErrUnknownLayout)
	assert.Contains(t, err.Error(), "no known text encoder layout")
	assert.Contains(t, err.Error(), "first_stage_model.*, model.diffusion_model.*")
}

// Missing and unknown tensors are reported together, by name.
func TestLoadReportsMissingAndUnknown(t *testing.T) {
	path := writeFixture(t, "tiny-sd", func(m map[string]*tensor.Dense) {
		delete(m, "model.diffusion_model.out.2.weight")
		delete(m, "first_stage_model.decoder.up.0.block.0.conv1.bias")
	})
	_, err := Load(context.Background(), path, Options{ConfigDir: filepath.Join(testdata, "tiny-sd")})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "unet: weights: load: 1 missing: conv_out.weight")
	assert.Contains(t, err.Error(), "decoder.up_blocks.1.resnets.0.conv1.bias")

	path = writeFixture(t, "tiny-sd", func(m map[string]*tensor.Dense) {
		m["model.diffusion_model.input_blocks.1.0.extra.weight"] = tensor.FromSlice([]float32{1}, 1)
		m["something_else"] = tensor.FromSlice([]float32{1}, 1)
	})
	_, err = Load(context.Background(), path, Options{ConfigDir: filepath.Join(testdata, "tiny-sd")})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "unused: model.diffusion_model.input_blocks.1.0.extra.weight")
	assert.Contains(t, err.Error(), "1 tensors of no component: something_else")
}

func TestPickleRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "model.ckpt")
	require.NoError(t, os.WriteFile(path, []byte("PK\x03\x04rest"), 0o644))
	_, err := Load(context.Background(), path, Options{})
	require.ErrorIs(t, err, weights.ErrPickle)
	assert.Contains(t, err.Error(), "convert it to .safetensors")
}

// carriedPad is the pad id transformers' CLIPTokenizer.from_pretrained
// gives each carried tokenizer folder (its special_tokens_map.json wins over
// tokenizer_config.json): OpenCLIP tokenizers pad with "!" (0).
var carriedPad = map[string]int{
	"runwayml--stable-diffusion-v1-5/tokenizer":                     49407,
	"runwayml--stable-diffusion-inpainting/tokenizer":               49407,
	"stabilityai--stable-diffusion-2-1/tokenizer":                   0,
	"stabilityai--stable-diffusion-2-1-base/tokenizer":              0,
	"stabilityai--stable-diffusion-2-inpainting/tokenizer":          0,
	"stabilityai--stable-diffusion-xl-base-1.0/tokenizer":           49407,
	"stabilityai--stable-diffusion-xl-base-1.0/tokenizer_2":         0,
	"stabilityai--stable-diffusion-xl-refiner-1.0/tokenizer_2":      0,
	"diffusers--stable-diffusion-xl-1.0-inpainting-0.1/tokenizer":   49407,
	"diffusers--stable-diffusion-xl-1.0-inpainting-0.1/tokenizer_2": 0,
}

// Every kind's carried configs build its models and tokenizers.
func TestEmbeddedConfigs(t *testing.T) {
	want, err := clip.LoadTokenizer(filepath.Join(testdata, "clip-tokenizer", "sd15"))
	require.NoError(t, err)
	bpe, err := carriedBPE()()
	require.NoError(t, err)
	for k := range kinds {
		dir, err := extractConfigs(k, t.TempDir())
		require.NoError(t, err, k)
		ps := append([]part{{component: "unet", prefix: unetPrefix}, {component: "vae", prefix: vaePrefix}},
			parts[kinds[k].family]...)
		_, err = componentLoaders(ps, dir)
		require.NoError(t, err, k)
		cfg, err := unet.ReadConfig(filepath.Join(dir, "unet", "config.json"))
		require.NoError(t, err)
		_, err = unet.New(cfg)
		require.NoError(t, err, k)
		for _, tok := range []string{"tokenizer", "tokenizer_2"} {
			if _, err := os.Stat(filepath.Join(dir, tok)); err != nil {
				continue
			}
			got, err := clip.LoadTokenizerBPE(filepath.Join(dir, tok), bpe)
			require.NoError(t, err, k)
			assert.Equal(t, want.Tokenize("a photo of a cat, 8k"), got.Tokenize("a photo of a cat, 8k"))
			assert.Equal(t, want.VocabSize(), got.VocabSize())
			assert.Equal(t, carriedPad[kinds[k].ref+"/"+tok], got.Pad(), "%v %s pad", k, tok)
		}
		_, err = schedulerConfig(dir, "")
		require.NoError(t, err)
	}
	assert.Equal(t, "stabilityai/stable-diffusion-xl-base-1.0", SDXL.Reference())
	assert.Equal(t, "xl_refiner", SDXLRefiner.String())
}

// A 9-channel UNet input makes the inpainting kind of each family.
func TestDetectInpainting(t *testing.T) {
	for fixture, want := range map[string]Kind{"tiny-sd2": SD2Inpaint, "tiny-sdxl": SDXLInpaint, "tiny-sd": SD1Inpaint} {
		path := writeFixture(t, fixture, func(m map[string]*tensor.Dense) {
			const conv = "model.diffusion_model.input_blocks.0.0.weight"
			sh := tensor.Shape(m[conv])
			m[conv] = tensor.FromSlice(make([]float32, sh[0]*9*sh[2]*sh[3]), sh[0], 9, sh[2], sh[3])
		})
		src, err := weights.Open(path)
		require.NoError(t, err)
		k, err := Detect(src, "")
		require.NoError(t, err)
		assert.Equal(t, want, k, fixture)
		src.Close()
	}
	path := writeFixture(t, "tiny-sdxl-refiner", func(m map[string]*tensor.Dense) {
		const conv = "model.diffusion_model.input_blocks.0.0.weight"
		sh := tensor.Shape(m[conv])
		m[conv] = tensor.FromSlice(make([]float32, sh[0]*5*sh[2]*sh[3]), sh[0], 5, sh[2], sh[3])
	})
	_, err := Load(context.Background(), path, Options{})
	assert.ErrorContains(t, err, "UNet input convolution is not 4- or 9-channel")
}
