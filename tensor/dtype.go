package tensor

// DType is a storage precision for weights. Computation is float32
// whatever the storage.
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
