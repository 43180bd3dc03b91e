package weights

import "fmt"

// Spec says how to make a model of type M (a pointer to a tagged struct)
// from a Source. LoadModel and Fill follow it; a model package keeps one
// Spec and never opens, fills or closes a source itself.
type Spec[M any] struct {
	// Name starts the model's errors ("unet", "vae", ...).
	Name string
	// Basename names the weight files in a component folder:
	// "diffusion_pytorch_model" for diffusers models, "model" for
	// transformers models (see OpenComponent).
	Basename string
	// New returns the unloaded model, sized from its config. It may look at
	// the source's names and infos, never its data (e.g. to tell two
	// architectures apart). Its errors are returned as they are.
	New func(src Source) (M, error)
	// View, when set, presents the source as the struct expects it (legacy
	// layouts of a tensor). It sees the stored tensors; a storage precision
	// (OpenOptions.Precision) applies to what it returns.
	View func(src Source) Source
	// Options, when set, returns the Load options for this source (renames,
	// tensors allowed to stay unused).
	Options func(src Source) []Option
	// Finish, when set, runs once every tensor is in place: derived state
	// (transposed copies) and cross-checks the tags cannot express.
	Finish func(m M) error
}

// LoadModel opens the weights of the component folder dir (OpenComponent
// with s.Basename), builds the model with s.New, fills it (Fill) and closes
// the source, whether the load succeeds or not: tensors already handed out
// stay valid after Close. Every missing, unused and mis-shaped tensor is
// reported together in one *LoadError, wrapped as "<name>: load <dir>: ...".
func LoadModel[M any](dir string, o OpenOptions, s Spec[M]) (M, error) {
	var zero M
	src, err := OpenComponent(dir, s.Basename, o)
	if err != nil {
		return zero, fmt.Errorf("%s: %w", s.Name, err)
	}
	m, err := s.New(src)
	if err == nil {
		err = Fill(src, m, s)
		if err != nil {
			err = fmt.Errorf("%s: load %s: %w", s.Name, dir, err)
		}
	}
	if cerr := src.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("%s: close %s: %w", s.Name, dir, cerr)
	}
	if err != nil {
		return zero, err
	}
	return m, nil
}

// Fill fills m from src as s says: the source seen through s.View, Load with
// s.Options and then opts (e.g. WithPrefix for one component of a
// single-file checkpoint), then s.Finish. It does not close src.
func Fill[M any](src Source, m M, s Spec[M], opts ...Option) error {
	if s.View != nil {
		src = viewed(src, s.View)
	}
	var all []Option
	if s.Options != nil {
		all = s.Options(src)
	}
	if err := Load(src, m, append(all, opts...)...); err != nil {
		return err
	}
	if s.Finish != nil {
		return s.Finish(m)
	}
	return nil
}

// viewed applies a Spec's View to the stored tensors, beneath the storage
// precision of src (so a view of float16 data can stay float16).
func viewed(src Source, view func(Source) Source) Source {
	if p, ok := src.(*precisionSource); ok {
		return WithPrecision(view(p.Source), p.p)
	}
	return view(src)
}
