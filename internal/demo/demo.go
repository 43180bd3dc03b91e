// Package demo carries the demo model inside the binary, so the examples
// and the command line draw a picture with nothing downloaded. Extract
// writes it to a temporary folder, which FromPretrained then loads like any
// diffusers folder.
//
// The model (shapes-sd, a StableDiffusionPipeline folder of a few MB) is a
// tiny latent diffusion model trained by tools/reference/train_demo.py on
// the synthetic scenes of tools/reference/demo_data.py: one to three
// circles, squares or triangles in eight colours, three sizes and nine
// positions, on a plain background ("a small yellow triangle at the top
// left on a black background"). Its tests measure, on held-out prompts and
// for all three tasks, how often it draws the colour, the position and the
// background it is asked for (text-to-image: 92%, 97% and 100%).
//
// It is internal: the model is part of this module's programs, not of the
// library's API.
package demo

import (
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
)

// Name is the folder name of the embedded checkpoint.
const Name = "shapes-sd"

//go:embed shapes-sd
var checkpoint embed.FS

// Extract writes the embedded checkpoint into a new folder under dir
// (os.TempDir() when empty) and returns the checkpoint's path. The caller
// removes it with os.RemoveAll(filepath.Dir(path)).
func Extract(dir string) (string, error) {
	base, err := os.MkdirTemp(dir, "autopipe-"+Name+"-")
	if err != nil {
		return "", err
	}
	out := filepath.Join(base, Name)
	err = fs.WalkDir(checkpoint, Name, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(Name, filepath.FromSlash(p))
		target := filepath.Join(out, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := checkpoint.ReadFile(path.Clean(p))
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
	if err != nil {
		os.RemoveAll(base)
		return "", fmt.Errorf("demo: extract %s: %w", Name, err)
	}
	return out, nil
}
