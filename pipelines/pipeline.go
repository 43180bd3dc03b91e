package pipelines

import (
	"context"
	"image"
	"time"

	"github.com/goautopipe/diffusers/tensor"
)

// Task names what a pipeline does.
type Task int

// The tasks AutoPipeline knows.
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

// Pipeline is a loaded diffusion pipeline of one class.
type Pipeline interface {
	// ClassName is the diffusers class name, e.g. "StableDiffusionImg2ImgPipeline".
	ClassName() string
	// Components returns the component objects by their model_index.json
	// names. The map is new; the objects are the pipeline's own, shared
	// with every pipeline made from it by FromPipe.
	Components() Components
	// Config returns a copy of the pipeline's configuration:
	// requires_safety_checker, _name_or_path, keys carried over by FromPipe...
	Config() map[string]any
	// Generate runs the pipeline. It is safe to call from several goroutines.
	Generate(ctx context.Context, r Request) (*Output, error)
}

// Request holds the parameters of one call. A zero field means the
// pipeline's default (diffusers' default unless the pipeline was given
// other defaults).
type Request struct {
	Prompt, NegativePrompt string
	// Prompt2 and NegativePrompt2 go to SDXL's second text encoder; empty
	// means the same as Prompt / NegativePrompt.
	Prompt2, NegativePrompt2 string

	// Image is the input of image-to-image and inpainting; MaskImage the
	// inpainting mask (white is repainted, black kept).
	Image, MaskImage image.Image

	Width, Height      int
	NumInferenceSteps  int
	NumImagesPerPrompt int
	// GuidanceScale is the classifier-free guidance weight (default 7.5;
	// 5.0 for SDXL); a value of 1 or less turns guidance off.
	GuidanceScale float64
	// Strength is how much of the input image is re-noised (img2img default
	// 0.8, inpainting 1.0, SDXL inpainting 0.9999).
	Strength        float64
	GuidanceRescale float64
	Eta             float64
	// ClipSkip uses the output of that many layers before the last of the
	// text encoder.
	ClipSkip int

	// Seed seeds the torch-compatible generator: the same seed gives the
	// same image as diffusers with torch.Generator("cpu").manual_seed(Seed).
	// Zero is seed 0: generations are always reproducible (diffusers without
	// a generator draws a random seed instead).
	Seed int64
	// Latents, when set, are used instead of drawing the initial noise.
	Latents *tensor.Dense

	// Timesteps or Sigmas, when set, replace the scheduler's spacing.
	Timesteps []float64
	Sigmas    []float64

	// PaddingMaskCrop crops the inpainting region with that margin.
	PaddingMaskCrop int

	// OutputType "latent" returns latents instead of images (for SDXL
	// base + refiner).
	OutputType string

	// SDXL micro-conditioning and ensembles.
	OriginalSize, TargetSize, CropsCoordsTopLeft                         [2]int
	NegativeOriginalSize, NegativeTargetSize, NegativeCropsCoordsTopLeft [2]int
	AestheticScore, NegativeAestheticScore                               float64
	DenoisingStart, DenoisingEnd                                         float64

	// Callback is called after each UNet evaluation with its number
	// (1-based) and the number of evaluations this call runs. That is the
	// number of timesteps actually run: strength cuts it, and schedulers
	// of order 2 (Heun) or with a warm-up (PNDM's PLMS repeats one
	// timestep) run more evaluations than NumInferenceSteps.
	Callback func(step, total int)
}

// Output is what Generate returns.
type Output struct {
	Images []image.Image
	// NSFWContentDetected has one entry per image when the pipeline has a
	// safety checker; flagged images are black.
	NSFWContentDetected []bool
	// Latents holds the final latents when OutputType is "latent".
	Latents *tensor.Dense
	// Pixels holds the images as a [N,3,H,W] tensor in [0,1] before 8-bit
	// rounding (diffusers' output_type "pt").
	Pixels *tensor.Dense
	// Timings splits the call's wall time by phase.
	Timings Timings
	// Request is the request as it ran: every default (the family's and
	// WithDefaults') filled in.
	Request Request
}

// Timings is the wall time of each phase of a generation.
type Timings struct {
	// Encode is prompt encoding; Prepare the latent preparation (including
	// VAE encoding of input images); Denoise the denoising loop; Decode the
	// VAE decoding, safety check and postprocessing.
	Encode, Prepare, Denoise, Decode time.Duration
}
