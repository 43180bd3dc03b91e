// Package safety implements diffusers' StableDiffusionSafetyChecker (a CLIP
// vision tower, a projection and concept embeddings with thresholds) and
// the transformers CLIPImageProcessor that prepares its input.
//
// It flags images; it does not change them (the pipeline blacks out the
// flagged ones).
package safety
