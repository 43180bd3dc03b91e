package tensor

// ReLUInPlace applies max(x, 0) to x in place and returns x.
func ReLUInPlace(x *Dense) *Dense {
	d := F32(x)
	mapSlices(d, d, func(d, _ []float32) { reluSlice(d) })
	return x
}

// reluGo is the scalar ReLU: a negative value becomes 0; NaN and -0 stay.
func reluGo(x []float32) {
	for i, v := range x {
		if v < 0 {
			x[i] = 0
		}
	}
}
