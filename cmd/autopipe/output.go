package main

import (
	"fmt"
	"image"
	"os"
	"path/filepath"
	"strings"

	"github.com/goautopipe/diffusers/autopipeline"
)

// outputFormat checks that --out names a format the command writes.
func outputFormat(path string) error {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".png", ".jpg", ".jpeg":
		return nil
	case "":
		return usagef("--out %s: give a .png, .jpg or .jpeg file name", path)
	}
	return usagef("--out %s: cannot write %s files; use .png, .jpg or .jpeg", path, filepath.Ext(path))
}

// writeImage saves img with its parameters: a PNG "parameters" text chunk,
// or for .jpg/.jpeg the EXIF UserComment (where AUTOMATIC1111 puts them).
// The file appears only when complete.
func writeImage(path string, img image.Image, params autopipeline.Parameters) error {
	ext := strings.ToLower(filepath.Ext(path))
	if ext == ".png" {
		return autopipeline.SavePNG(path, img, params)
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("save %s: %w", path, err)
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	err = encodeJPEG(f, img, params.String())
	if err == nil {
		err = f.Chmod(0o644)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		return fmt.Errorf("save %s: %w", path, err)
	}
	return nil
}
