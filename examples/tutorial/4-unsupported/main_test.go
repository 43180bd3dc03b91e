package main

import (
	"testing"

	"github.com/goautopipe/diffusers/examples/tutorial/internal/tutorialtest"
	"github.com/goautopipe/diffusers/internal/testutil"
	"github.com/stretchr/testify/require"
)

func TestRun(t *testing.T) {
	stdout, err := tutorialtest.Run(t, run, "-model", testutil.Testdata("tiny-unsupported"))
	require.NoError(t, err)
	require.Contains(t, stdout, "error: AutoPipeline can't find a pipeline linked to ShapEImg2ImgPipeline for None")
	require.Contains(t, stdout, "errors.Is(err, autopipeline.ErrUnsupported): true\n")

	// A supported checkpoint is not what this example expects.
	_, err = tutorialtest.Run(t, run, "-model", testutil.Testdata("tiny-sd"))
	require.ErrorContains(t, err, "loaded as StableDiffusionImg2ImgPipeline")
}
