//go:build !amd64 || purego

package tensor

// reluSlice sets x[i] = max(0, x[i]) (NaN and -0 unchanged).
func reluSlice(x []float32) { reluGo(x) }
