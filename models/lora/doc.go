// Package lora reads LoRA files and applies them to models without changing
// the models.
//
// Load reads the kohya/A1111 layout (lora_unet_*, lora_te_*, SDXL lora_te1_*
// and lora_te2_*; .lora_down, .lora_up and .alpha; diffusers-named or, as
// SDXL LoRAs are, named after the LDM UNet blocks; LoCon convolutions) and
// the diffusers/PEFT layout (unet.*, text_encoder.*, text_encoder_2.* with
// .lora_A/.lora_B, alphas from diffusers' lora_adapter_metadata). LoHa, LoKr,
// DoRA and other adapter types are refused with ErrUnsupported.
//
// Sharing is the design constraint: a loaded model is shared by every
// pipeline made from it with FromPipe, and by generations running at the
// same time. So a LoRA never changes a model. Apply returns a copy of the
// model in which the layers a LoRA updates carry a low-rank side path,
// y = W x + b + Σ weight·alpha/rank · Up(Down(x)), computed next to the
// unchanged weight: the copy shares every tensor with the model (only the
// structs on the way to the updated layers are copied, and the small
// per-selection Up and Down matrices made), so applying is cheap, several
// LoRAs with their weights (diffusers' set_adapters) are one selection, and
// "unloading" is using the model without the copy. Fuse computes W +
// Σ weight·alpha/rank · Up·Down into copies of the updated weights instead
// (diffusers' fuse_lora), for runs where the side paths' cost matters more
// than the memory of the copies.
//
// Alpha: a module's .alpha (kohya), or the component's lora_alpha and
// alpha_pattern from the file's metadata (PEFT); without either the scale is
// 1, as in diffusers. Modules of one file with different alphas each use
// their own, as kohya and A1111 do.
package lora
