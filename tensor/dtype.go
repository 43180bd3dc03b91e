package tensor

// DType is a storage precision for weights. Computation is float32
// except for the products of Linear and Conv2D with bfloat16 weights
// (NewBF16), which run in bfloat16 where the CPU has a bfloat16
// instruction (see BF16Gemm).
type DType int

// Storage precisions.
const (
	Float32 DType = iota
	Float16
	BFloat16
)

func (d DType) String() string {
	switch d {
	case Float32:
		return "float32"
	case Float16:
		return "float16"
	case BFloat16:
		return "bfloat16"
	}
	return "unknown dtype"
}
