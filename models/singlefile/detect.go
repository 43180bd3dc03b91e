package singlefile

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/goautopipe/diffusers/models/weights"
)

// ErrUnknownLayout is wrapped by Detect's error when the tensors do not form
// a checkpoint layout this package knows.
var ErrUnknownLayout = errors.New("unknown single-file checkpoint layout")

// Prediction types for SD 2.x checkpoints, which do not record theirs.
const (
	Epsilon     = "epsilon"
	VPrediction = "v_prediction"
)

// Detect finds the model type of a single-file checkpoint from its tensor
// names and shapes, as diffusers' infer_diffusers_model_type does: the text
// encoders present give the family (CLIP-L: SD 1.x, OpenCLIP: SD 2.x, both:
// SDXL base, OpenCLIP under embedder 0: SDXL refiner) and the UNet's input
// channels (9) an inpainting model. A file cannot tell SD 2.x 768
// v-prediction from the 512 epsilon model: prediction selects ("" means
// v-prediction, diffusers' default for SD 2.x). The error for an unknown
// layout lists what was recognised.
func Detect(src weights.Source, prediction string) (Kind, error) {
	found := recognised(src)
	has := func(p string) bool { return found[p] }
	unknown := func(why string) (Kind, error) {
		return Unknown, fmt.Errorf("%w: %s (found %s)", ErrUnknownLayout, why, describe(found))
	}
	if !has(unetPrefix) {
		return unknown("no UNet (model.diffusion_model.*)")
	}
	if !has(vaePrefix) {
		return unknown("no VAE (first_stage_model.*)")
	}
	info, ok := src.Info(unetPrefix + ".input_blocks.0.0.weight")
	if !ok || len(info.Shape) != 4 || (info.Shape[1] != 4 && info.Shape[1] != 9) {
		return unknown("UNet input convolution is not 4- or 9-channel")
	}
	inpaint := info.Shape[1] == 9
	var fam family
	switch {
	case has("conditioner.embedders.0.transformer") && has("conditioner.embedders.1.model"):
		fam = familySDXL
	case has("conditioner.embedders.0.model"):
		fam = familyRefiner
	case has("cond_stage_model.model"):
		fam = familySD2
	case has("cond_stage_model.transformer"):
		fam = familySD1
	default:
		return unknown("no known text encoder layout")
	}
	return pick(fam, inpaint, prediction, src, unknown)
}

func pick(fam family, inpaint bool, prediction string, src weights.Source, unknown func(string) (Kind, error)) (Kind, error) {
	switch prediction {
	case "", Epsilon, VPrediction:
	default:
		return Unknown, fmt.Errorf("singlefile: prediction type %q (want %q or %q)", prediction, Epsilon, VPrediction)
	}
	switch {
	case fam == familySD1 && inpaint:
		return SD1Inpaint, nil
	case fam == familySD1:
		return SD1, nil
	case fam == familySD2 && inpaint:
		return SD2Inpaint, nil
	case fam == familySD2 && prediction == Epsilon:
		return SD2Base, nil
	case fam == familySD2:
		return SD2, nil
	case fam == familySDXL && inpaint:
		return SDXLInpaint, nil
	case fam == familySDXL:
		return SDXL, nil
	case fam == familyRefiner && !inpaint:
		return SDXLRefiner, nil
	}
	return unknown("an inpainting SDXL refiner")
}

// knownPrefixes are the component prefixes Detect looks for.
var knownPrefixes = []string{
	unetPrefix, vaePrefix, "cond_stage_model.transformer", "cond_stage_model.model",
	"conditioner.embedders.0.transformer", "conditioner.embedders.0.model", "conditioner.embedders.1.model",
}

// recognised returns the known component prefixes that hold tensors.
func recognised(src weights.Source) map[string]bool {
	found := map[string]bool{}
	for _, n := range src.Names() {
		for _, p := range knownPrefixes {
			if strings.HasPrefix(n, p+".") {
				found[p] = true
			}
		}
	}
	return found
}

func describe(found map[string]bool) string {
	if len(found) == 0 {
		return "no known component"
	}
	var list []string
	for p := range found {
		list = append(list, p+".*")
	}
	sort.Strings(list)
	return strings.Join(list, ", ")
}
