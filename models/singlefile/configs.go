package singlefile

import (
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/goautopipe/diffusers/models/clip"
)

// configs holds, per reference repository, model_index.json, the component
// configs, the scheduler config and the tokenizer configs; clip/ holds the
// CLIP vocabulary and merges all of them share.
//
//go:embed configs
var configs embed.FS

// extractConfigs writes the reference configs of k into a new folder under
// dir in the diffusers layout and returns it; the caller removes it. The
// tokenizer folders hold their settings only: the vocabulary they share is
// parsed from the carried files once (carriedBPE).
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
			return os.MkdirAll(target, 0o755)
		}
		return copyEmbedded(p, target)
	})
	if err != nil {
		os.RemoveAll(out)
		return "", fmt.Errorf("singlefile: extract configs of %v: %w", k, err)
	}
	return out, nil
}

// carriedBPE starts parsing the CLIP vocabulary and merges every carried
// tokenizer shares, in the background (it takes about as long as mapping
// the models), and returns a function that waits for the result.
func carriedBPE() func() (*clip.BPE, error) {
	var bpe *clip.BPE
	var err error
	done := make(chan struct{})
	go func() {
		defer close(done)
		var vocab, merges []byte
		if vocab, err = configs.ReadFile("configs/clip/vocab.json"); err != nil {
			return
		}
		if merges, err = configs.ReadFile("configs/clip/merges.txt"); err != nil {
			return
		}
		bpe, err = clip.ParseBPE(vocab, merges)
	}()
	return func() (*clip.BPE, error) {
		<-done
		return bpe, err
	}
}

func copyEmbedded(name, target string) error {
	data, err := configs.ReadFile(name)
	if err != nil {
		return err
	}
	return os.WriteFile(target, data, 0o644)
}
