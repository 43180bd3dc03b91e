package singlefile

import (
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// configs holds, per reference repository, model_index.json, the component
// configs, the scheduler config and the tokenizer configs; clip/ holds the
// CLIP vocabulary and merges all of them share.
//
//go:embed configs
var configs embed.FS

// extractConfigs writes the reference configs of k into a new folder under
// dir in the diffusers layout (the shared vocabulary copied into each
// tokenizer folder) and returns it; the caller removes it.
func extractConfigs(k Kind, dir string) (string, error) {
	info, ok := kinds[k]
	if !ok {
		return "", fmt.Errorf("singlefile: no reference configs for %v", k)
	}
	out, err := os.MkdirTemp(dir, "singlefile-config-")
	if err != nil {
		return "", fmt.Errorf("singlefile: %w", err)
	}
	root := path.Join("configs", info.ref)
	err = fs.WalkDir(configs, root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel := strings.TrimPrefix(strings.TrimPrefix(p, root), "/")
		target := filepath.Join(out, filepath.FromSlash(rel))
		if d.IsDir() {
			if err := os.MkdirAll(target, 0o755); err != nil {
				return err
			}
			if strings.HasPrefix(d.Name(), "tokenizer") {
				return copyVocab(target)
			}
			return nil
		}
		return copyEmbedded(p, target)
	})
	if err != nil {
		os.RemoveAll(out)
		return "", fmt.Errorf("singlefile: extract configs of %v: %w", k, err)
	}
	return out, nil
}

func copyVocab(dir string) error {
	for _, name := range []string{"vocab.json", "merges.txt"} {
		if err := copyEmbedded("configs/clip/"+name, filepath.Join(dir, name)); err != nil {
			return err
		}
	}
	return nil
}

func copyEmbedded(name, target string) error {
	data, err := configs.ReadFile(name)
	if err != nil {
		return err
	}
	return os.WriteFile(target, data, 0o644)
}
