//go:build amd64 && !purego

package tensor

import "golang.org/x/sys/cpu"

//go:noescape
func reluAVX(x *float32, n int)

var useReLUAVX = cpu.X86.HasAVX

// reluSlice sets x[i] = max(0, x[i]) (NaN and -0 unchanged).
func reluSlice(x []float32) {
	n := 0
	if useReLUAVX {
		if n = len(x) &^ 31; n > 0 {
			reluAVX(&x[0], n)
		}
	}
	reluGo(x[n:])
}
