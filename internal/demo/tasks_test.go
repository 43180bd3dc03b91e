package demo_test

import (
	"context"
	"image"
	"image/color"
	"image/draw"
	"sort"
	"testing"

	"github.com/goautopipe/diffusers/autopipeline"
	"github.com/stretchr/testify/require"
)

// other is a palette colour that is neither of the scene's.
func (c cases) other(s scene, k int) string {
	var names []string
	for name := range c.Palette {
		if name != s.Colour && name != s.Background {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return names[k%len(names)]
}

// Image-to-image recolours a shape as the prompt asks (strength 0.5 keeps
// the layout of the input) and moves one (strength 0.8, the shape drawn on
// the other side of the picture from where the prompt puts it).
func TestDemoImage2Image(t *testing.T) {
	c := loadCases(t)
	pipe := loadDemo(t, autopipeline.Image2Image)
	var recolour, move score
	for i, want := range c.Cases[:16] {
		in, strength, s := want, 0.5, &recolour
		if i%2 == 0 {
			in.Colour = c.other(want, i)
		} else {
			in.Position, strength, s = mirrored(want.Position), 0.8, &move
		}
		out, err := pipe.Generate(context.Background(), autopipeline.Request{Prompt: want.Prompt, Image: c.draw(in, 11),
			Strength: strength, NumInferenceSteps: demoSteps, GuidanceScale: demoGuidance, Seed: int64(i)})
		require.NoError(t, err)
		got, derr := c.detect(out.Images[0], out.Images[0].Bounds())
		s.add(t, want, got, derr)
		saveForInspection(t, "i2i", i, out.Images[0])
	}
	t.Logf("image-to-image, recolour: %v", recolour)
	t.Logf("image-to-image, move: %v", move)
	// Measured: recolour colour 100%, position 88% (7 of 8), background
	// 100%; move colour, position and background 100% (8 of 8).
	require.GreaterOrEqual(t, recolour.rate(recolour.colour), 0.87)
	require.GreaterOrEqual(t, recolour.rate(recolour.background), 0.87)
	require.GreaterOrEqual(t, move.rate(move.position), 0.87)
	require.GreaterOrEqual(t, move.rate(move.colour), 0.87)
	require.GreaterOrEqual(t, move.rate(move.background), 0.87)
}

// mirrored is the position across the centre ("center" stays).
func mirrored(pos string) string {
	swap := map[string]string{"top left": "bottom right", "top": "bottom", "top right": "bottom left", "left": "right", "center": "center"}
	for a, b := range swap {
		if pos == a {
			return b
		}
		if pos == b {
			return a
		}
	}
	return pos
}

// Inpainting fills a masked square of a plain background (where the prompt
// places the shape) with the shape asked for, and leaves the rest alone.
func TestDemoInpainting(t *testing.T) {
	c := loadCases(t)
	pipe := loadDemo(t, autopipeline.Inpainting)
	var s score
	for i, want := range c.Cases[12:24] {
		p := c.Positions[want.Position]
		cx, cy := 16+16*p[0], 16+16*p[1]
		hole := image.Rect(cx-12, cy-12, cx+12, cy+12) // the prompt's place
		bg := c.Palette[want.Background]
		in := image.NewNRGBA(image.Rect(0, 0, 64, 64))
		draw.Draw(in, in.Bounds(), image.NewUniform(color.NRGBA{uint8(bg[0]), uint8(bg[1]), uint8(bg[2]), 255}), image.Point{}, draw.Src)
		mask := image.NewGray(in.Bounds())
		draw.Draw(mask, hole, image.White, image.Point{}, draw.Src)
		out, err := pipe.Generate(context.Background(), autopipeline.Request{Prompt: want.Prompt, Image: in, MaskImage: mask,
			NumInferenceSteps: demoSteps, GuidanceScale: demoGuidance, Seed: int64(i)})
		require.NoError(t, err)
		got, derr := c.detect(out.Images[0], hole)
		s.add(t, want, got, derr)
		saveForInspection(t, "inpaint", i, out.Images[0])
	}
	t.Logf("inpainting: %v", s)
	// Measured: colour, position and background 100% (12 of 12; the rest
	// of the picture kept).
	require.GreaterOrEqual(t, s.rate(s.colour), 0.9)
	require.GreaterOrEqual(t, s.rate(s.position), 0.9)
	require.GreaterOrEqual(t, s.rate(s.background), 0.9)
}
