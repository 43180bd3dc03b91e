package weights

import (
	"encoding/binary"
	"fmt"
	"math"
	"sync"
	"unsafe"

	"github.com/goautopipe/diffusers/internal/parallel"
	"github.com/goautopipe/diffusers/tensor"
)

func init() { tensor.SetHalfConverter(F16ToF32) }

// convert decodes little-endian raw data of the given dtype into dst.
func convert(dst []float32, raw []byte, dtype string) error {
	size := dtypeSize[dtype]
	if size == 0 || len(raw) != len(dst)*size {
		return fmt.Errorf("cannot convert %d bytes of %s into %d float32 values", len(raw), dtype, len(dst))
	}
	switch dtype {
	case "F16":
		inChunks(dst, halves(raw), F16ToF32)
		return nil
	case "BF16":
		inChunks(dst, halves(raw), BF16ToF32)
		return nil
	}
	decode, ok := decoders[dtype]
	if !ok {
		return fmt.Errorf("unsupported dtype %q", dtype)
	}
	for i := range dst {
		dst[i] = decode(raw[i*size:])
	}
	return nil
}

// decoders read one little-endian value of a dtype as float32.
var decoders = map[string]func(b []byte) float32{
	"F32": func(b []byte) float32 { return math.Float32frombits(binary.LittleEndian.Uint32(b)) },
	"F64": func(b []byte) float32 { return float32(math.Float64frombits(binary.LittleEndian.Uint64(b))) },
	"I64": func(b []byte) float32 { return float32(int64(binary.LittleEndian.Uint64(b))) },
	"I32": func(b []byte) float32 { return float32(int32(binary.LittleEndian.Uint32(b))) },
	"I16": func(b []byte) float32 { return float32(int16(binary.LittleEndian.Uint16(b))) },
	"I8":  func(b []byte) float32 { return float32(int8(b[0])) },
	"U8":  func(b []byte) float32 { return float32(b[0]) },
	"BOOL": func(b []byte) float32 {
		if b[0] != 0 {
			return 1
		}
		return 0
	},
}

// halves views little-endian 16-bit data as []uint16, copying only when the
// bytes are not 2-byte aligned. (Every platform Go supports for this
// package's mmap path is little-endian; big-endian ones take the copy.)
func halves(raw []byte) []uint16 {
	n := len(raw) / 2
	if n == 0 {
		return nil
	}
	if littleEndian && uintptr(unsafe.Pointer(&raw[0]))%2 == 0 {
		return unsafe.Slice((*uint16)(unsafe.Pointer(&raw[0])), n)
	}
	out := make([]uint16, n)
	for i := range out {
		out[i] = binary.LittleEndian.Uint16(raw[2*i:])
	}
	return out
}

var littleEndian = func() bool {
	x := uint16(1)
	return *(*byte)(unsafe.Pointer(&x)) == 1
}()

// F16ToF32 converts IEEE half-precision values to float32 (exactly: every
// half is a float32). It uses the F16C instruction VCVTPH2PS where the CPU
// has it and a 65536-entry table elsewhere; both give identical bits,
// including for subnormals, infinities and NaN payloads (signalling NaNs
// come out quiet, as the hardware makes them). len(dst) must be >= len(src).
func F16ToF32(dst []float32, src []uint16) {
	dst = dst[:len(src)]
	if hasF16C {
		n := len(src) &^ 7
		if n > 0 {
			f16ToF32F16C(&dst[0], &src[0], n)
		}
		f16ToF32Table(dst[n:], src[n:])
		return
	}
	f16ToF32Table(dst, src)
}

// BF16ToF32 converts bfloat16 values to float32 (the top half of the bits).
func BF16ToF32(dst []float32, src []uint16) {
	dst = dst[:len(src)]
	if hasAVX2 {
		n := len(src) &^ 7
		if n > 0 {
			bf16ToF32AVX2(&dst[0], &src[0], n)
		}
		dst, src = dst[n:], src[n:]
	}
	bf16ToF32Go(dst, src)
}

func bf16ToF32Go(dst []float32, src []uint16) {
	dst = dst[:len(src)]
	out := unsafe.Slice((*uint32)(unsafe.Pointer(unsafe.SliceData(dst))), len(dst))
	for i, h := range src {
		out[i] = uint32(h) << 16
	}
}

var (
	f16Once  sync.Once
	f16Table []uint32
)

func f16ToF32Table(dst []float32, src []uint16) {
	f16Once.Do(func() {
		f16Table = make([]uint32, 1<<16)
		for i := range f16Table {
			f16Table[i] = halfBits(uint16(i))
		}
	})
	dst = dst[:len(src)]
	out := unsafe.Slice((*uint32)(unsafe.Pointer(unsafe.SliceData(dst))), len(dst))
	t := f16Table[:1<<16]
	for i, h := range src {
		out[i] = t[h]
	}
}

// halfBits converts one half to float32 bits by integer arithmetic.
func halfBits(h uint16) uint32 {
	sign := uint32(h&0x8000) << 16
	exp := uint32(h>>10) & 0x1f
	man := uint32(h) & 0x3ff
	switch {
	case exp == 0x1f: // inf or NaN; NaNs are made quiet like VCVTPH2PS does
		if man != 0 {
			return sign | 0x7fc00000 | man<<13
		}
		return sign | 0x7f800000
	case exp != 0:
		return sign | (exp+112)<<23 | man<<13
	case man == 0:
		return sign
	}
	// Subnormal half: normalise the mantissa.
	e := uint32(113)
	for man&0x400 == 0 {
		man <<= 1
		e--
	}
	return sign | e<<23 | (man&0x3ff)<<13
}

// inChunks converts large tensors in chunks on every core: the cost of
// loading a half-precision checkpoint is mostly first-touch page faults
// on the float32 destination, which parallelise well.
func inChunks(dst []float32, src []uint16, f func([]float32, []uint16)) {
	chunks(len(dst), func(i, j int) { f(dst[i:j], src[i:j]) })
}

// chunks calls f on [i, j) ranges covering [0, n), in parallel on every
// core when n is large.
func chunks(n int, f func(i, j int)) {
	const chunk = 1 << 20
	if n < 2*chunk {
		f(0, n)
		return
	}
	parallel.For((n+chunk-1)/chunk, func(c int) { f(c*chunk, min((c+1)*chunk, n)) })
}
