package tensor

import (
	"math"
	"unsafe"

	gt "gorgonia.org/tensor"
)

// Bfloat16 weights: a weight tensor may hold bfloat16 bits (the top half
// of a float32) instead of float32, halving its memory. Linear and Conv2D
// multiply such a weight in bfloat16 on CPUs with AVX512_BF16 (see
// BF16Compute) and otherwise widen it to float32 per call.

// bfloat16 is the element type of a bfloat16 container: a distinct type so
// that the container's dtype tells it apart from float16 bits.
type bfloat16 uint16

// NewBF16 wraps bfloat16 bits (without copying) in a tensor of the given
// shape.
func NewBF16(bits []uint16, shape ...int) *Dense {
	sh := append([]int(nil), shape...)
	var b []bfloat16
	if len(bits) > 0 {
		b = unsafe.Slice((*bfloat16)(unsafe.Pointer(&bits[0])), len(bits))
	} else {
		b = []bfloat16{}
	}
	return gt.New(gt.WithBacking(b), gt.WithShape(sh...))
}

// IsBF16 reports whether t holds bfloat16 bits.
func IsBF16(t *Dense) bool {
	if t == nil {
		return false
	}
	_, ok := t.Data().([]bfloat16)
	return ok
}

// BF16Bits returns the bfloat16 bits of a bfloat16 tensor (no copy).
func BF16Bits(t *Dense) []uint16 {
	b := t.Data().([]bfloat16)
	if len(b) == 0 {
		return nil
	}
	return unsafe.Slice((*uint16)(unsafe.Pointer(&b[0])), len(b))
}

// BF16Round returns the bfloat16 nearest to v (ties to even) as its bits;
// NaNs stay NaNs (quiet).
func BF16Round(v float32) uint16 {
	b := math.Float32bits(v)
	if b&0x7fffffff > 0x7f800000 {
		return uint16(b>>16) | 0x40
	}
	b += 0x7fff + (b>>16)&1
	return uint16(b >> 16)
}

// BF16ToFloat32 widens bfloat16 bits to float32 (exact).
func BF16ToFloat32(dst []float32, src []uint16) {
	dst = dst[:len(src)]
	for i, h := range src {
		dst[i] = math.Float32frombits(uint32(h) << 16)
	}
}

// Float32ToBF16 rounds float32 values to bfloat16 bits (ties to even).
func Float32ToBF16(dst []uint16, src []float32) {
	dst = dst[:len(src)]
	for i, v := range src {
		dst[i] = BF16Round(v)
	}
}

// pairUp turns kb rows of w float32 values (packed layout [p][w]) into
// (kb+1)/2 rows of w bfloat16 pairs ([q][w] of uint32: row 2q in the low
// half, row 2q+1 in the high half, zero past kb), rounding to nearest
// even. This is the operand layout of VDPBF16PS.
func pairUp(dst []uint32, src []float32, kb, w int) {
	q := 0
	for ; 2*q+1 < kb; q++ {
		lo := src[2*q*w : 2*q*w+w]
		hi := src[(2*q+1)*w : (2*q+1)*w+w]
		d := dst[q*w : q*w+w]
		pairRows(d, lo, hi)
	}
	if 2*q < kb {
		lo := src[2*q*w : 2*q*w+w]
		d := dst[q*w : q*w+w]
		for j := range d {
			d[j] = uint32(BF16Round(lo[j]))
		}
	}
}

// asU32 views a scratch slice of float32 slots as uint32 (packed pairs).
func asU32(s []float32) []uint32 {
	if len(s) == 0 {
		return nil
	}
	return unsafe.Slice((*uint32)(unsafe.Pointer(&s[0])), len(s))
}

// pairRows sets d[j] = bf16(lo[j]) | bf16(hi[j])<<16 (len(d) values).
func pairRows(d []uint32, lo, hi []float32) {
	n := 0
	if hasPairAVX2 {
		if n = len(d) &^ 7; n > 0 {
			pairRowsAVX2(&d[0], &lo[0], &hi[0], n)
		}
	}
	lo, hi = lo[n:len(d)], hi[n:len(d)]
	for j := range lo {
		d[n+j] = uint32(BF16Round(lo[j])) | uint32(BF16Round(hi[j]))<<16
	}
}
