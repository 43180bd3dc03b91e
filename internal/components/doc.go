// Package components loads the component objects a diffusers checkpoint
// names in model_index.json ("UNet2DConditionModel", "AutoencoderKL",
// "CLIPTextModel", a scheduler class, ...), each from its folder: a
// registry from class name to loader, and the loaders of the classes this
// module implements.
package components
