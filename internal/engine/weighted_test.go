package engine_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"image"
	"strings"
	"testing"

	"github.com/goautopipe/diffusers/autopipeline"
	"github.com/stretchr/testify/require"
)

const td = "../../testdata/"

// pix is a digest of the image generated for r (2 steps, seed 7).
func pix(t *testing.T, p autopipeline.Pipeline, r autopipeline.Request) string {
	t.Helper()
	r.NumInferenceSteps, r.Seed = 2, 7
	out, err := p.Generate(context.Background(), r)
	require.NoError(t, err)
	return fmt.Sprintf("%x", sha256.Sum256(out.Images[0].(*image.NRGBA).Pix))
}

// The A1111 syntax is opt-in: without brackets or long prompts it gives
// diffusers' image bit for bit; weights, BREAK and long prompts change the
// conditioning; an unknown syntax and SDXL are refused.
func TestPromptSyntaxA1111(t *testing.T) {
	ctx := context.Background()
	sd, err := autopipeline.Text2Image.FromPretrained(ctx, td+"tiny-sd")
	require.NoError(t, err)
	a1111 := func(prompt, negative string) autopipeline.Request {
		return autopipeline.Request{Prompt: prompt, NegativePrompt: negative, PromptSyntax: "a1111"}
	}
	plain := pix(t, sd, autopipeline.Request{Prompt: "a photo of a cat", NegativePrompt: "blurry"})
	require.Equal(t, plain, pix(t, sd, a1111("a photo of a cat", "blurry")))

	weighted := pix(t, sd, a1111("a photo of a (cat:1.5)", "blurry"))
	require.NotEqual(t, plain, weighted)
	literal := pix(t, sd, autopipeline.Request{Prompt: "a photo of a (cat:1.5)", NegativePrompt: "blurry"})
	require.NotEqual(t, weighted, literal, "off by default: brackets are text")
	require.NotEqual(t, plain, pix(t, sd, a1111("a photo BREAK of a cat", "blurry")), "BREAK starts a window")
	require.Equal(t, plain, pix(t, sd, a1111("a photo of a cat BREAK", "blurry")), "a trailing BREAK adds no window (as in A1111)")

	long := strings.Repeat("cat ", 60) + strings.Repeat("dog ", 60)
	cut := pix(t, sd, autopipeline.Request{Prompt: long})
	require.NotEqual(t, cut, pix(t, sd, a1111(long, "")), "the words after 77 tokens count")
	require.Equal(t, pix(t, sd, a1111(long+" BREAK", "")), pix(t, sd, a1111(long+" BREAK", "")))
	require.NotEmpty(t, pix(t, sd, a1111("short", long)), "a long negative prompt is matched by empty windows")
	require.NotEmpty(t, pix(t, sd, a1111(long, "short")))

	_, err = sd.Generate(ctx, autopipeline.Request{Prompt: "x", PromptSyntax: "compel"})
	require.ErrorIs(t, err, autopipeline.ErrInvalidRequest)
	xl, err := autopipeline.Text2Image.FromPretrained(ctx, td+"tiny-sdxl")
	require.NoError(t, err)
	_, err = xl.Generate(ctx, autopipeline.Request{Prompt: "x", PromptSyntax: "a1111", NumInferenceSteps: 1})
	require.ErrorIs(t, err, autopipeline.ErrInvalidRequest)
}
