package singlefile

import "fmt"

// Kind is a model type diffusers' single_file_utils recognises, among the
// Stable Diffusion families this module runs.
type Kind int

// The recognised kinds. Each names the reference repository whose configs
// describe it (see Reference), as diffusers' DIFFUSERS_DEFAULT_PIPELINE_PATHS.
const (
	Unknown     Kind = iota
	SD1              // SD 1.x ("v1")
	SD1Inpaint       // SD 1.x inpainting, 9-channel UNet ("inpainting")
	SD2              // SD 2.x 768, v-prediction ("v2")
	SD2Base          // SD 2.x 512, epsilon prediction ("v2" with prediction type "epsilon")
	SD2Inpaint       // SD 2.x inpainting ("inpainting_v2")
	SDXL             // SDXL base ("xl_base")
	SDXLRefiner      // SDXL refiner ("xl_refiner")
	SDXLInpaint      // SDXL inpainting ("xl_inpaint")
)

type kindInfo struct {
	name, ref string // diffusers' model type; reference repo folder (org--name)
	family    family
}

var kinds = map[Kind]kindInfo{
	SD1:         {"v1", "runwayml--stable-diffusion-v1-5", familySD1},
	SD1Inpaint:  {"inpainting", "runwayml--stable-diffusion-inpainting", familySD1},
	SD2:         {"v2", "stabilityai--stable-diffusion-2-1", familySD2},
	SD2Base:     {"v2 (epsilon)", "stabilityai--stable-diffusion-2-1-base", familySD2},
	SD2Inpaint:  {"inpainting_v2", "stabilityai--stable-diffusion-2-inpainting", familySD2},
	SDXL:        {"xl_base", "stabilityai--stable-diffusion-xl-base-1.0", familySDXL},
	SDXLRefiner: {"xl_refiner", "stabilityai--stable-diffusion-xl-refiner-1.0", familyRefiner},
	SDXLInpaint: {"xl_inpaint", "diffusers--stable-diffusion-xl-1.0-inpainting-0.1", familySDXL},
}

// String returns diffusers' name of the model type ("v1", "xl_base", ...).
func (k Kind) String() string {
	if i, ok := kinds[k]; ok {
		return i.name
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Reference returns the Hub repository whose configs describe the kind
// (e.g. "stabilityai/stable-diffusion-xl-base-1.0"); the library carries
// those configs.
func (k Kind) Reference() string {
	i, ok := kinds[k]
	if !ok {
		return ""
	}
	for j := 0; j+1 < len(i.ref); j++ {
		if i.ref[j:j+2] == "--" {
			return i.ref[:j] + "/" + i.ref[j+2:]
		}
	}
	return i.ref
}

// family is the component layout of a checkpoint.
type family int

const (
	familySD1     family = iota // CLIP-L text encoder
	familySD2                   // OpenCLIP-H text encoder (penultimate layer)
	familySDXL                  // CLIP-L and OpenCLIP-bigG with projection
	familyRefiner               // OpenCLIP-bigG with projection only
)

// part is one component stored in a single-file checkpoint.
type part struct {
	component string // diffusers component name: unet, vae, text_encoder, text_encoder_2
	prefix    string // checkpoint name prefix (without the final ".")
	openCLIP  bool   // text encoder in OpenCLIP layout
}

const (
	unetPrefix = "model.diffusion_model"
	vaePrefix  = "first_stage_model"
)

// parts lists the components of each family and where the checkpoint keeps them.
var parts = map[family][]part{
	familySD1: {{component: "text_encoder", prefix: "cond_stage_model.transformer"}},
	familySD2: {{component: "text_encoder", prefix: "cond_stage_model.model", openCLIP: true}},
	familySDXL: {
		{component: "text_encoder", prefix: "conditioner.embedders.0.transformer"},
		{component: "text_encoder_2", prefix: "conditioner.embedders.1.model", openCLIP: true},
	},
	familyRefiner: {{component: "text_encoder_2", prefix: "conditioner.embedders.0.model", openCLIP: true}},
}

// ignored are checkpoint tensors that belong to no component: the training
// noise schedule buffers of LDM's DDPM, EMA copies and the v-prediction flag.
var ignored = map[string]bool{
	"betas": true, "alphas_cumprod": true, "alphas_cumprod_prev": true, "sqrt_alphas_cumprod": true,
	"sqrt_one_minus_alphas_cumprod": true, "log_one_minus_alphas_cumprod": true, "sqrt_recip_alphas_cumprod": true,
	"sqrt_recipm1_alphas_cumprod": true, "posterior_variance": true, "posterior_log_variance_clipped": true,
	"posterior_mean_coef1": true, "posterior_mean_coef2": true, "logvar": true, "v_pred": true,
	"model_ema.decay": true, "model_ema.num_updates": true,
}

// ignoredPrefixes are name prefixes of tensors that belong to no component.
var ignoredPrefixes = []string{"model_ema.", "denoiser.", "first_stage_model.loss."}
