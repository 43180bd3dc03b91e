package safety

import (
	"encoding/json"
	"fmt"
	"image"
	"path/filepath"

	"github.com/goautopipe/diffusers/internal/config"
	"github.com/goautopipe/diffusers/internal/imaging"
	"github.com/goautopipe/diffusers/tensor"
)

// FeatureExtractor is transformers' CLIPImageProcessor: resize the
// shortest edge (bicubic), center crop, rescale to [0,1], normalize.
type FeatureExtractor struct {
	ResizeShortest int
	CropH, CropW   int
	Mean, Std      [3]float32
	DoResize       bool
	DoCrop         bool
	DoNormalize    bool
	Rescale        float64
}

type sizeSpec struct {
	v map[string]int
}

func (s *sizeSpec) UnmarshalJSON(b []byte) error {
	var n int
	if err := json.Unmarshal(b, &n); err == nil {
		s.v = map[string]int{"shortest_edge": n, "height": n, "width": n}
		return nil
	}
	return json.Unmarshal(b, &s.v)
}

// preprocessorConfig is preprocessor_config.json; absent keys keep
// CLIPImageProcessor's defaults.
type preprocessorConfig struct {
	Size        *sizeSpec `json:"size"`
	CropSize    *sizeSpec `json:"crop_size"`
	DoResize    bool      `json:"do_resize"`
	DoCrop      bool      `json:"do_center_crop"`
	DoNormalize bool      `json:"do_normalize"`
	Rescale     float64   `json:"rescale_factor"`
	Mean        []float32 `json:"image_mean"`
	Std         []float32 `json:"image_std"`
	Resample    *int      `json:"resample"`
}

// LoadFeatureExtractor reads dir/preprocessor_config.json.
func LoadFeatureExtractor(dir string) (*FeatureExtractor, error) {
	path := filepath.Join(dir, "preprocessor_config.json")
	raw := preprocessorConfig{DoResize: true, DoCrop: true, DoNormalize: true, Rescale: 1.0 / 255}
	if err := config.ReadJSON(path, &raw); err != nil {
		return nil, fmt.Errorf("safety: %w", err)
	}
	fe, err := raw.extractor()
	if err != nil {
		return nil, fmt.Errorf("safety: %s: %w", path, err)
	}
	return fe, nil
}

// extractor checks the config and returns the feature extractor it describes.
func (raw preprocessorConfig) extractor() (*FeatureExtractor, error) {
	fe := &FeatureExtractor{ResizeShortest: 224, CropH: 224, CropW: 224, DoResize: raw.DoResize, DoCrop: raw.DoCrop,
		DoNormalize: raw.DoNormalize, Rescale: raw.Rescale,
		Mean: [3]float32{0.48145466, 0.4578275, 0.40821073}, Std: [3]float32{0.26862954, 0.26130258, 0.27577711}}
	if raw.Size != nil {
		v, ok := raw.Size.v["shortest_edge"]
		if !ok {
			return nil, fmt.Errorf("key \"size\": want an int or {\"shortest_edge\": n}")
		}
		fe.ResizeShortest = v
	}
	if raw.CropSize != nil {
		fe.CropH, fe.CropW = raw.CropSize.v["height"], raw.CropSize.v["width"]
	}
	if len(raw.Mean) == 3 {
		copy(fe.Mean[:], raw.Mean)
	}
	if len(raw.Std) == 3 {
		copy(fe.Std[:], raw.Std)
	}
	if raw.Resample != nil && *raw.Resample != 3 {
		return nil, fmt.Errorf("key \"resample\": only 3 (bicubic) is supported, got %d", *raw.Resample)
	}
	if err := fe.checkBounds(); err != nil {
		return nil, err
	}
	return fe, nil
}

// Preprocess returns the pixel values [N,3,CropH,CropW] of images.
func (fe *FeatureExtractor) Preprocess(images []image.Image) (*tensor.Dense, error) {
	if len(images) == 0 {
		return nil, fmt.Errorf("safety: no images")
	}
	out := tensor.New(len(images), 3, fe.CropH, fe.CropW)
	d := tensor.F32(out)
	plane := fe.CropH * fe.CropW
	for n, img := range images {
		pix, w, h := imaging.RGB8(img)
		if fe.DoResize {
			ow, oh := w, h
			if w <= h {
				ow, oh = fe.ResizeShortest, int(float64(fe.ResizeShortest)*float64(h)/float64(w))
			} else {
				oh, ow = fe.ResizeShortest, int(float64(fe.ResizeShortest)*float64(w)/float64(h))
			}
			if ow != w || oh != h {
				pix = imaging.ResizeTorch(imaging.Bicubic, pix, w, h, 3, ow, oh)
			}
			w, h = ow, oh
		}
		top, left := 0, 0
		if fe.DoCrop {
			top, left = (h-fe.CropH)/2, (w-fe.CropW)/2
		}
		if top < 0 || left < 0 {
			return nil, fmt.Errorf("safety: image %dx%d is smaller than the crop %dx%d", w, h, fe.CropW, fe.CropH)
		}
		base := n * 3 * plane
		for y := 0; y < fe.CropH; y++ {
			for x := 0; x < fe.CropW; x++ {
				for c := 0; c < 3; c++ {
					v := float32(float64(pix[((y+top)*w+x+left)*3+c]) * fe.Rescale)
					if fe.DoNormalize {
						v = (v - fe.Mean[c]) / fe.Std[c]
					}
					d[base+c*plane+y*fe.CropW+x] = v
				}
			}
		}
	}
	return out, nil
}
