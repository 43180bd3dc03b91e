// Package pngout reads back, in tests, the PNG files the command and the
// example programs write: the image and the generation parameters stored
// in its "parameters" text chunk.
//
// It is apart from testutil because it imports autopipeline, whose own
// tests use testutil.
package pngout

import (
	"bytes"
	"image"
	"image/png"
	"os"
	"testing"

	"github.com/goautopipe/diffusers/autopipeline"
	"github.com/stretchr/testify/require"
)

// Read decodes the PNG at path and parses its parameters chunk, failing
// the test on any error.
func Read(tb testing.TB, path string) (image.Image, autopipeline.Parameters) {
	tb.Helper()
	data, err := os.ReadFile(path)
	require.NoError(tb, err)
	img, err := png.Decode(bytes.NewReader(data))
	require.NoError(tb, err, "%s", path)
	text, err := autopipeline.ReadPNGText(bytes.NewReader(data))
	require.NoError(tb, err, "%s", path)
	p, err := autopipeline.ParseParameters(text["parameters"])
	require.NoError(tb, err, "%s: parameters", path)
	return img, p
}
