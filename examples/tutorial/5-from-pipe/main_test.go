package main

import (
	"strings"
	"testing"

	"github.com/goautopipe/diffusers/examples/tutorial/internal/tutorialtest"
	"github.com/goautopipe/diffusers/internal/testutil"
	"github.com/stretchr/testify/require"
)

func TestRun(t *testing.T) {
	stdout, err := tutorialtest.Run(t, run, "-model", testutil.Testdata("tiny-sd"))
	require.NoError(t, err)
	require.Contains(t, stdout, "text-to-image: StableDiffusionPipeline\nimage-to-image: StableDiffusionImg2ImgPipeline\n")
	for _, name := range []string{"unet", "vae", "text_encoder", "tokenizer", "scheduler", "safety_checker", "feature_extractor"} {
		require.Regexp(t, `\n  `+name+` +shared: true\n`, stdout)
	}
	require.False(t, strings.Contains(stdout, "shared: false"), "every component is shared")
}

func TestSame(t *testing.T) {
	a, b := new(int), new(int)
	require.True(t, same(a, a))
	require.False(t, same(a, b))
	require.False(t, same(a, nil))
	require.True(t, same(map[string]int{}, map[string]int(nil)) == false)
	require.True(t, same(3, 3))
}
