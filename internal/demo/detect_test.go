package demo_test

import (
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"math"
	"os"
	"sort"
	"testing"

	"github.com/stretchr/testify/require"
)

// scene is what a prompt asks for, or what the detector sees in an image.
type scene struct {
	Prompt     string `json:"prompt"`
	Colour     string `json:"colour"`
	Shape      string `json:"shape"`
	Position   string `json:"position"`
	Background string `json:"background"`
}

// cases are the held-out prompts of tools/reference/demo_data.py with the
// palette and the 3x3 grid of positions.
type cases struct {
	Palette   map[string][3]float64 `json:"palette"`
	Positions map[string][2]int     `json:"positions"`
	Cases     []scene               `json:"cases"`
}

func loadCases(t *testing.T) cases {
	t.Helper()
	data, err := os.ReadFile("../../testdata/demo/prompts.json")
	require.NoError(t, err)
	var c cases
	require.NoError(t, json.Unmarshal(data, &c))
	require.GreaterOrEqual(t, len(c.Cases), 30)
	return c
}

// nearest is the palette colour closest to c.
func (c cases) nearest(px [3]float64) string {
	best, bestD := "", math.Inf(1)
	for name, p := range c.Palette {
		d := dist(px, p)
		if d < bestD || (d == bestD && name < best) {
			best, bestD = name, d
		}
	}
	return best
}

func dist(a, b [3]float64) float64 {
	return math.Sqrt((a[0]-b[0])*(a[0]-b[0]) + (a[1]-b[1])*(a[1]-b[1]) + (a[2]-b[2])*(a[2]-b[2]))
}

func rgb(img image.Image, x, y int) [3]float64 {
	c := color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)
	return [3]float64{float64(c.R), float64(c.G), float64(c.B)}
}

// detect reads a scene from img: the background is the per-channel median
// of the border pixels; the shape is every pixel farther than 80 from it
// (in RGB), its colour the palette colour most of them are nearest to,
// its position the grid cell of its centroid, its kind from how much of
// its bounding box it fills.
func (c cases) detect(img image.Image, region image.Rectangle) (scene, error) {
	b := img.Bounds()
	var border [3][]float64
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if x-b.Min.X < 2 || y-b.Min.Y < 2 || b.Max.X-x <= 2 || b.Max.Y-y <= 2 {
				px := rgb(img, x, y)
				for k := range border {
					border[k] = append(border[k], px[k])
				}
			}
		}
	}
	var bg [3]float64
	for k := range border {
		sort.Float64s(border[k])
		bg[k] = border[k][len(border[k])/2]
	}
	s := scene{Background: c.nearest(bg)}
	votes := map[string]int{}
	var n, sx, sy float64
	box := image.Rectangle{Min: b.Max, Max: b.Min}
	for y := region.Min.Y; y < region.Max.Y; y++ {
		for x := region.Min.X; x < region.Max.X; x++ {
			px := rgb(img, x, y)
			if dist(px, bg) <= 80 {
				continue
			}
			votes[c.nearest(px)]++
			n, sx, sy = n+1, sx+float64(x)+0.5, sy+float64(y)+0.5
			box = box.Union(image.Rect(x, y, x+1, y+1))
		}
	}
	if n < 12 {
		return s, fmt.Errorf("no shape: %v pixels differ from the background", n)
	}
	for name, v := range votes {
		if v > votes[s.Colour] || (v == votes[s.Colour] && name < s.Colour) {
			s.Colour = name
		}
	}
	third := float64(b.Dx()) / 3
	col, row := int((sx/n-float64(b.Min.X))/third), int((sy/n-float64(b.Min.Y))/third)
	for name, p := range c.Positions {
		if p == [2]int{min(col, 2), min(row, 2)} {
			s.Position = name
		}
	}
	switch fill := n / float64(box.Dx()*box.Dy()); {
	case fill > 0.88:
		s.Shape = "square"
	case fill > 0.64:
		s.Shape = "circle"
	default:
		s.Shape = "triangle"
	}
	return s, nil
}
