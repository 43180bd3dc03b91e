package tensor

// ReLUInPlace applies max(x, 0) to x in place and returns x.
func ReLUInPlace(x *Dense) *Dense {
	d := F32(x)
	mapSlices(d, d, func(d, s []float32) {
		for i, v := range s {
			if v < 0 {
				d[i] = 0
			} else {
				d[i] = v
			}
		}
	})
	return x
}
