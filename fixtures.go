// Package fixtures carries the tiny random-weight checkpoints under
// testdata/ inside the binary, so the examples and the CLI can run a whole
// pipeline with nothing downloaded. The weights are random: the images are
// noise-like patterns, not pictures.
//
// Import it with a name: fixtures "github.com/goautopipe/autopipeline".
package fixtures

import (
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
)

//go:embed testdata/tiny-sd
var checkpoints embed.FS

// Names lists the embedded checkpoints.
var Names = []string{"tiny-sd"}

// Extract writes the embedded checkpoint name into a new folder under dir
// (os.TempDir() when empty) and returns the checkpoint's path. The caller
// removes it with os.RemoveAll(filepath.Dir(path)).
func Extract(dir, name string) (string, error) {
	root := path.Join("testdata", name)
	if _, err := fs.Stat(checkpoints, root); err != nil {
		return "", fmt.Errorf("fixtures: no embedded checkpoint %q (have %v)", name, Names)
	}
	base, err := os.MkdirTemp(dir, "autopipeline-"+name+"-")
	if err != nil {
		return "", err
	}
	out := filepath.Join(base, name)
	err = fs.WalkDir(checkpoints, root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, filepath.FromSlash(p))
		target := filepath.Join(out, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := checkpoints.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
	if err != nil {
		os.RemoveAll(base)
		return "", fmt.Errorf("fixtures: extract %s: %w", name, err)
	}
	return out, nil
}
