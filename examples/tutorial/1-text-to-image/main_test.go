package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/goautopipe/diffusers/autopipeline"
	"github.com/goautopipe/diffusers/examples/tutorial/internal/tutorialtest"
	"github.com/goautopipe/diffusers/internal/testutil"
	"github.com/stretchr/testify/require"
)

func TestRun(t *testing.T) {
	out := filepath.Join(t.TempDir(), "t2i.png")
	stdout, err := tutorialtest.Run(t, run, "-model", testutil.Testdata("tiny-sd"), "-steps", "2", "-seed", "3", "-out", out)
	require.NoError(t, err)
	require.Contains(t, stdout, "pipeline: StableDiffusionPipeline\n")
	require.Contains(t, stdout, "saved "+out+" (64x64)\n")

	f, err := os.Open(out)
	require.NoError(t, err)
	defer f.Close()
	text, err := autopipeline.ReadPNGText(f)
	require.NoError(t, err)
	p, err := autopipeline.ParseParameters(text["parameters"])
	require.NoError(t, err)
	require.Equal(t, "peasant and dragon combat, wood cutting style, viking era, bevel with rune", p.Prompt)
	require.Equal(t, 2, p.Steps)
	require.Equal(t, int64(3), p.Seed)
	require.Equal(t, "PLMS", p.Sampler) // A1111's name for PNDMScheduler

	_, err = tutorialtest.Run(t, run, "-no-such-flag")
	require.Error(t, err)
}
