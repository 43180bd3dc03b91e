package tensor

// ResizeNearest is torch's F.interpolate(x, size=(oh, ow), mode="nearest")
// on an [N, C, H, W] tensor: output pixel (y, x) takes input pixel
// (floor(y*H/oh), floor(x*W/ow)), the scales computed in float32.
func ResizeNearest(x *Dense, oh, ow int) *Dense {
	s := Shape(x)
	n, c, h, w := s[0], s[1], s[2], s[3]
	out := New(n, c, oh, ow)
	src, dst := F32(x), F32(out)
	sy, sx := float32(h)/float32(oh), float32(w)/float32(ow)
	xi := make([]int, ow)
	for j := range xi {
		xi[j] = min(int(float32(j)*sx), w-1)
	}
	for p := 0; p < n*c; p++ {
		for y := 0; y < oh; y++ {
			yy := min(int(float32(y)*sy), h-1)
			row := src[(p*h+yy)*w:]
			d := dst[(p*oh+y)*ow:]
			for j := 0; j < ow; j++ {
				d[j] = row[xi[j]]
			}
		}
	}
	return out
}
