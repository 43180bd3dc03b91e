package weights

import (
	"encoding/binary"
	"testing"
)

// FuzzParseHeader feeds arbitrary bytes to the header parser as the start of
// a file of arbitrary size: it must return an error or a header whose every
// tensor lies inside the data section with a size matching its dtype and
// shape, without overlaps, and never panic.
func FuzzParseHeader(f *testing.F) {
	seeds := []string{
		`{}`,
		`{"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}}`,
		`{"a":{"dtype":"F16","shape":[3],"data_offsets":[0,6]},"b":{"dtype":"BF16","shape":[],"data_offsets":[6,8]}}`,
		`{"a":{"dtype":"F8_E4M3","shape":[1],"data_offsets":[0,1]}}`,
		`{"a":{"dtype":"I64","shape":[0],"data_offsets":[0,0]}}`,
		`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}`,
	}
	for _, s := range seeds {
		f.Add(rawFile(s, 0), int64(8+len(s)+16))
	}
	f.Add([]byte("PK\x03\x04"), int64(100))
	f.Fuzz(func(t *testing.T, buf []byte, extra int64) {
		if extra < 0 {
			extra = -extra
		}
		fileSize := int64(len(buf)) + extra%(1<<20)
		h, err := parseHeader(buf, fileSize)
		if err != nil {
			return
		}
		if int64(len(buf)) == fileSize {
			_ = crossCheck(buf) // the second validation must not panic either
		}
		dataLen := fileSize - 8 - h.size
		if h.size != int64(binary.LittleEndian.Uint64(buf)) || dataLen < 0 {
			t.Fatalf("bad header size %d for file of %d", h.size, fileSize)
		}
		if len(h.names) != len(h.entries) {
			t.Fatalf("%d names for %d entries", len(h.names), len(h.entries))
		}
		for _, name := range h.names {
			e := h.entries[name]
			if e.begin < 0 || e.end < e.begin || e.end > dataLen {
				t.Fatalf("%q: range [%d,%d) outside %d", name, e.begin, e.end, dataLen)
			}
			if int64(numel(e.shape)*dtypeSize[e.dtype]) != e.end-e.begin {
				t.Fatalf("%q: size mismatch", name)
			}
		}
		// No two non-empty ranges overlap.
		for i, a := range h.names {
			for _, b := range h.names[i+1:] {
				ea, eb := h.entries[a], h.entries[b]
				if ea.end > ea.begin && eb.end > eb.begin && ea.begin < eb.end && eb.begin < ea.end {
					t.Fatalf("%q and %q overlap", a, b)
				}
			}
		}
	})
}
