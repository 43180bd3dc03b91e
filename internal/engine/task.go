package engine

import (
	"math"

	"github.com/goautopipe/diffusers/pipelines"
)

// Task is what a pipeline class does. The public task type is
// autopipeline.Task; families pass this one to the engine.
type Task int

// The tasks.
const (
	Text2Image Task = iota + 1
	Image2Image
	Inpainting
)

func (t Task) String() string {
	switch t {
	case Text2Image:
		return "text-to-image"
	case Image2Image:
		return "image-to-image"
	case Inpainting:
		return "inpainting"
	}
	return "unknown task"
}

// Defaults are one class's call defaults: what a zero Request field means.
type Defaults struct {
	Steps    int
	Guidance float64
	Strength float64
	// AestheticScore and NegativeAestheticScore are SDXL's
	// image-to-image and inpainting conditioning defaults.
	AestheticScore, NegativeAestheticScore float64
	// SizeMultiple is what Width and Height must be multiples of; zero
	// means the VAE scale factor.
	SizeMultiple int
}

// DefaultsTable holds a family's defaults per task.
type DefaultsTable map[Task]Defaults

// apply fills the zero fields of r from d; one image per prompt unless
// asked. NoGuidance stays in the request (it is what the caller asked
// for); GuidanceScale reads it as 0.
func (d Defaults) apply(r pipelines.Request) pipelines.Request {
	if r.NumInferenceSteps == 0 {
		r.NumInferenceSteps = d.Steps
	}
	if r.NumImagesPerPrompt == 0 {
		r.NumImagesPerPrompt = 1
	}
	if r.GuidanceScale == 0 {
		r.GuidanceScale = d.Guidance
	}
	if r.Strength == 0 {
		r.Strength = d.Strength
	}
	if r.AestheticScore == 0 {
		r.AestheticScore = d.AestheticScore
	}
	if r.NegativeAestheticScore == 0 {
		r.NegativeAestheticScore = d.NegativeAestheticScore
	}
	return r
}

// GuidanceScale is the guidance weight a request runs with: NoGuidance
// reads as diffusers' 0.0.
func GuidanceScale(r pipelines.Request) float64 {
	if r.GuidanceScale == pipelines.NoGuidance {
		return 0
	}
	return r.GuidanceScale
}

// DoCFG reports whether a request runs classifier-free guidance
// (diffusers' do_classifier_free_guidance: guidance_scale > 1).
func DoCFG(r pipelines.Request) bool { return GuidanceScale(r) > 1 }

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
