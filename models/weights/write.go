package weights

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"sort"

	"github.com/goautopipe/diffusers/tensor"
)

// WriteFile writes float32 tensors to a safetensors file (names sorted,
// header padded to 8 bytes so every tensor is aligned). metadata may be nil.
func WriteFile(path string, tensors map[string]*tensor.Dense, metadata map[string]string) (err error) {
	names := make([]string, 0, len(tensors))
	for n := range tensors {
		names = append(names, n)
	}
	sort.Strings(names)
	hdr := map[string]any{}
	if len(metadata) > 0 {
		hdr["__metadata__"] = metadata
	}
	var off int64
	for _, n := range names {
		t := tensors[n]
		if t == nil {
			return fmt.Errorf("weights: write %s: tensor %q is nil", path, n)
		}
		size := int64(4 * len(tensor.F32(t)))
		hdr[n] = map[string]any{"dtype": "F32", "shape": tensor.Shape(t), "data_offsets": []int64{off, off + size}}
		off += size
	}
	js, err := json.Marshal(hdr)
	if err != nil {
		return fmt.Errorf("weights: write %s: %w", path, err)
	}
	for len(js)%8 != 0 {
		js = append(js, ' ')
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("weights: %w", err)
	}
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("weights: write %s: %w", path, cerr)
		}
	}()
	w := bufio.NewWriter(f)
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], uint64(len(js)))
	w.Write(b[:])
	w.Write(js)
	for _, n := range names {
		for _, v := range tensor.F32(tensors[n]) {
			binary.LittleEndian.PutUint32(b[:4], math.Float32bits(v))
			w.Write(b[:4])
		}
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("weights: write %s: %w", path, err)
	}
	return nil
}
