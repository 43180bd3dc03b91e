// Command demogrid puts images of the same size in rows of four, three
// times larger (nearest neighbour), for the README's pictures of the demo
// model (docs/demo/make.sh).
package main

import (
	"flag"
	"fmt"
	"image"
	"image/draw"
	"os"

	"github.com/goautopipe/diffusers/autopipeline"
)

func main() {
	out := flag.String("out", "grid.png", "output PNG")
	flag.Parse()
	if err := run(*out, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "demogrid:", err)
		os.Exit(1)
	}
}

func run(out string, paths []string) error {
	const scale, gap, cols = 3, 6, 4
	var tiles []image.Image
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		img, _, err := image.Decode(f)
		f.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		tiles = append(tiles, img)
	}
	if len(tiles) == 0 {
		return fmt.Errorf("no images")
	}
	w, h := tiles[0].Bounds().Dx()*scale, tiles[0].Bounds().Dy()*scale
	rows := (len(tiles) + cols - 1) / cols
	dst := image.NewNRGBA(image.Rect(0, 0, min(len(tiles), cols)*(w+gap)-gap, rows*(h+gap)-gap))
	draw.Draw(dst, dst.Bounds(), image.White, image.Point{}, draw.Src)
	for i, t := range tiles {
		b := t.Bounds()
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				dst.Set(i%cols*(w+gap)+x, i/cols*(h+gap)+y, t.At(b.Min.X+x/scale, b.Min.Y+y/scale))
			}
		}
	}
	return autopipeline.SavePNG(out, dst, autopipeline.Parameters{})
}
