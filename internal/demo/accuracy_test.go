package demo_test

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/goautopipe/diffusers/autopipeline"
	"github.com/goautopipe/diffusers/internal/demo"
	"github.com/stretchr/testify/require"
)

// draw renders a scene as tools/reference/demo_data.py does (one shape of
// half extent r centred in its grid cell), without anti-aliasing.
func (c cases) draw(s scene, r float64) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, 64, 64))
	bg, fg := c.Palette[s.Background], c.Palette[s.Colour]
	p := c.Positions[s.Position]
	cx, cy := float64(16+16*p[0]), float64(16+16*p[1])
	for y := 0; y < 64; y++ {
		for x := 0; x < 64; x++ {
			dx, dy := float64(x)+0.5-cx, float64(y)+0.5-cy
			var in bool
			switch s.Shape {
			case "circle":
				in = dx*dx+dy*dy <= r*r
			case "square":
				in = math.Abs(dx) <= 0.9*r && math.Abs(dy) <= 0.9*r
			default: // apex up, base at 0.8 r below the centre
				in = dy >= -r && dy <= 0.8*r && math.Abs(dx) <= (dy+r)/1.8
			}
			px := bg
			if in {
				px = fg
			}
			img.SetNRGBA(x, y, color.NRGBA{uint8(px[0]), uint8(px[1]), uint8(px[2]), 255})
		}
	}
	return img
}

// The detector reads back every drawn test scene.
func TestDetector(t *testing.T) {
	c := loadCases(t)
	for _, want := range c.Cases {
		got, err := c.detect(c.draw(want, 11), image.Rect(0, 0, 64, 64))
		require.NoError(t, err, want.Prompt)
		want.Prompt = ""
		require.Equal(t, want, got)
	}
	flat := c.draw(scene{Background: "blue", Colour: "blue", Shape: "circle", Position: "center"}, 11)
	_, err := c.detect(flat, flat.Bounds())
	require.ErrorContains(t, err, "no shape")
}

// loadDemo extracts the embedded checkpoint and loads task from it.
func loadDemo(t *testing.T, task autopipeline.Task) autopipeline.Pipeline {
	t.Helper()
	dir, err := demo.Extract(t.TempDir())
	require.NoError(t, err)
	pipe, err := task.FromPretrained(context.Background(), dir)
	require.NoError(t, err)
	return pipe
}

// score counts, over the cases, the images whose colour, background,
// position and shape kind match the prompt, and those where colour,
// position and background all match.
type score struct{ colour, background, position, shape, all, total int }

func (s *score) add(t *testing.T, want, got scene, err error) {
	s.total++
	hit := func(n *int, ok bool) bool {
		if ok {
			*n++
		}
		return ok
	}
	b := hit(&s.background, got.Background == want.Background)
	if err != nil {
		t.Logf("miss: %q: %v", want.Prompt, err)
		return
	}
	c := hit(&s.colour, got.Colour == want.Colour)
	p := hit(&s.position, got.Position == want.Position)
	hit(&s.shape, got.Shape == want.Shape)
	if !hit(&s.all, c && b && p) {
		t.Logf("miss: %q: got %s %s at %s on %s", want.Prompt, got.Colour, got.Shape, got.Position, got.Background)
	}
}

func (s score) rate(n int) float64 { return float64(n) / float64(s.total) }

func (s score) String() string {
	return fmt.Sprintf("all three right %d/%d (%.0f%%): colour %.0f%%, background %.0f%%, position %.0f%%; shape kind %.0f%%",
		s.all, s.total, 100*s.rate(s.all), 100*s.rate(s.colour), 100*s.rate(s.background), 100*s.rate(s.position), 100*s.rate(s.shape))
}

// The demo model draws what it is asked for (colour, position, background)
// on held-out prompts, combinations never seen whole in training; the log
// reports shape kinds too.
func TestDemoDrawsWhatItIsAsked(t *testing.T) {
	c := loadCases(t)
	pipe := loadDemo(t, autopipeline.Text2Image)
	var s score
	for i, want := range c.Cases {
		out, err := pipe.Generate(context.Background(), autopipeline.Request{Prompt: want.Prompt,
			NumInferenceSteps: demoSteps, GuidanceScale: demoGuidance, Seed: int64(i)})
		require.NoError(t, err)
		got, derr := c.detect(out.Images[0], out.Images[0].Bounds())
		s.add(t, want, got, derr)
		saveForInspection(t, "t2i", i, out.Images[0])
	}
	t.Logf("text-to-image, held-out prompts: %v", s)
	// Measured: colour 92% (33 of 36; the misses are orange read as yellow,
	// and a yellow shape on orange, 80 apart, too close for the detector),
	// position 97%, background 100%. The bounds leave one case of margin
	// for other CPUs' rounding; a model with random weights scores below
	// 10% on colour, and the previous demo model, which had not learned
	// positions, 8% on position.
	require.GreaterOrEqual(t, s.rate(s.colour), 0.88)
	require.GreaterOrEqual(t, s.rate(s.position), 0.94)
	require.GreaterOrEqual(t, s.rate(s.background), 0.97)
	require.GreaterOrEqual(t, s.rate(s.all), 0.88)
}

// The tests run 12 DPM++ 2M steps with guidance 5 (the pipeline's 7.5
// over-saturates this small model's colours a little).
const (
	demoSteps    = 12
	demoGuidance = 5
)

// saveForInspection writes the image under $DEMO_IMAGES when set.
func saveForInspection(t *testing.T, kind string, i int, img image.Image) {
	dir := os.Getenv("DEMO_IMAGES")
	if dir == "" {
		return
	}
	name := filepath.Join(dir, kind+"-"+string(rune('a'+i/26))+string(rune('a'+i%26))+".png")
	require.NoError(t, autopipeline.SavePNG(name, img, autopipeline.Parameters{}))
}
