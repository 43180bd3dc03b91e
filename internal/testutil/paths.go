package testutil

import (
	"os"
	"path/filepath"
	"runtime"
)

// Root returns the repository root (the folder holding go.mod), relative
// to the working directory when it can be, so that paths in test messages
// stay short: "../.." from a package two levels down.
func Root() string {
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..", "..")
	if wd, err := os.Getwd(); err == nil {
		if rel, err := filepath.Rel(wd, root); err == nil {
			return rel
		}
	}
	return root
}

// Testdata returns the path of elem under the repository's testdata folder.
func Testdata(elem ...string) string {
	return filepath.Join(append([]string{Root(), "testdata"}, elem...)...)
}

// Golden returns the path of elem under testdata/golden, where the
// reference outputs of tools/reference live.
func Golden(elem ...string) string {
	return filepath.Join(append([]string{Root(), "testdata", "golden"}, elem...)...)
}
