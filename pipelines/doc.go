// Package pipelines defines what a diffusion pipeline is to this module:
// the Pipeline interface, its Request and Output, typed access to its
// Components, and the registry of pipeline families that AutoPipeline
// resolves classes from.
//
// Most programs never import it: package autopipeline re-exports the
// everyday names (autopipeline.Request, autopipeline.Pipeline, ...). It is
// for the author of a new family, who implements Class for each task and
// registers them from init:
//
//	func init() {
//		pipelines.Register(pipelines.Family{
//			Name:        "stable-diffusion",
//			Text2Image:  text2img{},  // a pipelines.Class
//			Image2Image: img2img{},
//			Inpainting:  inpaint{},
//		})
//	}
//
// The families of this module live in the sub-packages sd (Stable
// Diffusion 1.x/2.x) and sdxl (Stable Diffusion XL); the denoising flow
// they share is internal to the module.
package pipelines
