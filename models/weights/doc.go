// Package weights reads checkpoint tensors and fills model structs with them.
//
// A Source is a set of named tensors: a single .safetensors file (memory
// mapped; float32 tensors are returned as zero-copy views of the mapping, F16
// and BF16 are converted to float32), a sharded checkpoint described by a
// *.safetensors.index.json, or an in-memory map. Open picks the right one
// from a path and OpenComponent finds a diffusers/transformers component's
// weights (with an optional variant such as "fp16") in a folder.
//
// Load walks the `st:"..."` struct tags of a model struct and fills its
// *tensor.Dense fields from a Source. It checks every shape against the
// shapes the model declares (the Shaper interface) before reading any data,
// and reports every missing, unused and mis-shaped tensor together in one
// *LoadError.
//
// Struct tags:
//
//	W *tensor.Dense `st:"weight"`          loaded; missing is reported
//	B *tensor.Dense `st:"bias,optional"`   missing is fine (stays as it was, usually nil)
//	N GroupNorm     `st:"norm1"`           nested struct: names "norm1.<...>"
//	P *Linear       `st:"proj"`            nil: skipped (its tensors count as unused);
//	                                       with optional: set to nil when the source has nothing under "proj."
//	R []Resnet      `st:"resnets"`         slice or array of structs, struct pointers or tensors:
//	                                       elements named "resnets.0", "resnets.1", ...
//	C Common        `st:",inline"`         recurse without adding a name segment
//
// Fields without an st tag (or with `st:"-"`) are ignored. Names are joined
// with ".", and with WithPrefix(p) looked up as p + "." + name. A layer
// whose configuration decides whether an optional tensor exists (a bias)
// says so through Requirer: a missing one is then reported as missing, and
// a stray one is not loaded and reported as unused.
//
// Every model package loads through LoadModel and a Spec: open the
// component folder, build the unloaded model from its config (Spec.New),
// fill it (Fill: Load with the model's renames and allowances, then
// Spec.Finish for derived state), and close the source whether the load
// succeeded or not. Tensors handed out by a Source stay valid after Close.
//
// Pickle-based PyTorch files (.bin, .ckpt, .pt, .pth) are never read: they
// can execute code when loaded. Convert them to safetensors first.
//
// The package does no computation on tensors and knows no model.
package weights
