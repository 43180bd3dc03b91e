package pipelines

import (
	"errors"
	"fmt"
	"image"
	"time"

	"github.com/goautopipe/diffusers/tensor"
)

// NoGuidance as a Request's GuidanceScale turns classifier-free guidance
// off: it is diffusers' guidance_scale=0.0, the value the SD-Turbo and
// SDXL-Turbo model cards use. (A GuidanceScale of zero means the
// pipeline's default, 7.5 or 5.0.) Any value in (0, 1] also runs without
// guidance, as in diffusers.
const NoGuidance = -1.0

// Request holds the parameters of one call. A zero field means the
// pipeline's default (diffusers' default unless the pipeline was given
// other defaults); the fields whose zero is meaningful in diffusers say how
// to ask for it.
type Request struct {
	Prompt, NegativePrompt string
	// Prompt2 and NegativePrompt2 go to SDXL's second text encoder; empty
	// means the same as Prompt / NegativePrompt.
	Prompt2, NegativePrompt2 string

	// Image is the input of image-to-image and inpainting; MaskImage the
	// inpainting mask (white is repainted, black kept).
	Image, MaskImage image.Image

	// Width and Height default to the UNet's sample size times the VAE
	// scale factor (512 for SD 1.5); image-to-image uses the input's size.
	Width, Height      int
	NumInferenceSteps  int
	NumImagesPerPrompt int
	// GuidanceScale is the classifier-free guidance weight. Zero means the
	// default (7.5; 5.0 for SDXL, 7.5 for SDXL inpainting); NoGuidance
	// turns guidance off (diffusers' guidance_scale=0.0), as does any
	// value of 1 or less.
	GuidanceScale float64
	// Strength is how much of the input image is re-noised, in (0, 1]
	// (img2img default 0.8, inpainting 1.0; SDXL 0.3 and 0.9999).
	Strength float64
	// GuidanceRescale is diffusers' guidance_rescale (default 0: off).
	GuidanceRescale float64
	// Eta is DDIM's eta (default 0: deterministic DDIM).
	Eta float64
	// ClipSkip uses the output of that many layers before the last of the
	// text encoder (default 0: the last layer).
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

	// PromptSyntax "a1111" reads Prompt and NegativePrompt in
	// AUTOMATIC1111's syntax, beyond diffusers: (word:1.2), (word), [word]
	// weights and BREAK, and prompts longer than 77 tokens encoded in
	// windows of 75 (see internal/promptsyntax). Empty (the default) is
	// diffusers' behaviour: brackets are text, prompts are cut at 77 tokens.
	// SD pipelines only.
	PromptSyntax string

	// SDXL micro-conditioning and ensembles. A zero size means the image
	// size; zero aesthetic scores mean diffusers' 6.0 and 2.5.
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

// ErrInvalidRequest is wrapped by every request validation error.
var ErrInvalidRequest = errors.New("invalid request")

type invalid string

// InvalidRequest returns a request error (errors.Is(err, ErrInvalidRequest)).
func InvalidRequest(format string, args ...any) error {
	return invalid(fmt.Sprintf(format, args...))
}

func (e invalid) Error() string        { return string(e) }
func (e invalid) Is(target error) bool { return target == ErrInvalidRequest }
