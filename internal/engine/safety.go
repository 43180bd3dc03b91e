package engine

import (
	"context"
	"fmt"
	"github.com/goautopipe/diffusers/pipelines"
	"image"

	"github.com/goautopipe/diffusers/tensor"
)

// SafetyChecker flags images; flagged images are returned black.
type SafetyChecker interface {
	// Check takes the decoded images as 8-bit images and reports, per
	// image, whether it is flagged.
	Check(ctx context.Context, images []image.Image) ([]bool, error)
}

// FeatureExtractor turns images into a model's pixel values
// (transformers' CLIPImageProcessor).
type FeatureExtractor interface {
	Preprocess(images []image.Image) (*tensor.Dense, error)
}

// SafetyModel flags pixel values (diffusers' StableDiffusionSafetyChecker).
type SafetyModel interface {
	Flags(ctx context.Context, pixelValues *tensor.Dense) ([]bool, error)
}

type safetyRunner struct {
	fe FeatureExtractor
	m  SafetyModel
}

func (s safetyRunner) Check(ctx context.Context, images []image.Image) ([]bool, error) {
	px, err := s.fe.Preprocess(images)
	if err != nil {
		return nil, err
	}
	return s.m.Flags(ctx, px)
}

// SafetyFrom builds the safety check from the "safety_checker" and
// "feature_extractor" components; nil when there is no safety checker.
func SafetyFrom(class string, comps pipelines.Components) (SafetyChecker, error) {
	sc, ok := comps["safety_checker"]
	if !ok || sc == nil {
		return nil, nil
	}
	m, ok := sc.(SafetyModel)
	if !ok {
		return nil, fmt.Errorf("%s: component safety_checker is a %T, not a safety checker", class, sc)
	}
	fe, ok := comps["feature_extractor"].(FeatureExtractor)
	if !ok || fe == nil {
		return nil, fmt.Errorf("Make sure to define a feature extractor when loading %s if you want to use the safety checker. If you do not want to use the safety checker, you can pass `'safety_checker=None'` instead.", class)
	}
	return safetyRunner{fe: fe, m: m}, nil
}
