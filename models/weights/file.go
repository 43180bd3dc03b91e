package weights

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/nlpodyssey/safetensors"

	"github.com/goautopipe/diffusers/internal/config"
	"github.com/goautopipe/diffusers/tensor"
)

// Info describes a tensor without reading it. DType is the dtype stored in
// the checkpoint ("F32", "F16", "BF16", ...): Tensor always returns float32,
// and a storage-precision option can use DType to decide what to keep.
type Info struct {
	Shape []int
	DType string
}

// Source is a set of named tensors.
//
// Tensors returned by a Source stay valid after Close: Close releases the
// file handles, but memory backing tensors already handed out is kept.
type Source interface {
	Names() []string // sorted
	Info(name string) (Info, bool)
	Tensor(name string) (*tensor.Dense, error) // float32
	Close() error
}

// MetadataSource is implemented by sources that carry the safetensors
// __metadata__ string map.
type MetadataSource interface {
	Metadata() map[string]string
}

// ErrPickle is wrapped by the error returned for pickle-based PyTorch
// checkpoints (.bin, .ckpt, .pt, .pth), which this package refuses to read.
var ErrPickle = errors.New("pickle-based PyTorch checkpoints are not loaded; convert to safetensors")

var pickleExt = map[string]bool{".bin": true, ".ckpt": true, ".pt": true, ".pth": true, ".pkl": true}

// Open opens a .safetensors file or a sharded checkpoint's
// *.safetensors.index.json. Pickle-based files are refused, whether
// recognised by their extension or by their content.
func Open(path string) (Source, error) {
	ext := strings.ToLower(filepath.Ext(path))
	if pickleExt[ext] {
		return nil, fmt.Errorf("weights: open %s: %w", path, ErrPickle)
	}
	if ext == ".json" {
		return openIndex(path)
	}
	return openFile(path)
}

// file is a memory-mapped safetensors file.
type file struct {
	path    string
	hdr     *header
	data    []byte // the whole file
	release func() error
	views   atomic.Bool  // a zero-copy view was handed out
	mu      sync.RWMutex // held for reading while data is read
	closed  bool
}

func openFile(path string) (*file, error) {
	f, st, err := config.OpenRegular(path) // never blocks on a named pipe
	if err != nil {
		return nil, fmt.Errorf("weights: %w", err)
	}
	defer f.Close()
	size := st.Size()
	var head [16]byte
	n, _ := io.ReadFull(f, head[:])
	if kind := sniffPickle(head[:n]); kind != "" {
		return nil, fmt.Errorf("weights: open %s: content is a %s: %w", path, kind, ErrPickle)
	}
	data, release, err := mapFile(f, size)
	if err != nil {
		return nil, fmt.Errorf("weights: open %s: %w", path, err)
	}
	h, err := parseHeader(data, size)
	if err == nil {
		err = crossCheck(data)
	}
	if err != nil {
		release()
		return nil, fmt.Errorf("weights: open %s: %w", path, err)
	}
	return &file{path: path, hdr: h, data: data, release: release}, nil
}

// crossCheck validates the file a second time with
// github.com/nlpodyssey/safetensors, the reference Go reader of the format
// (header bounds, data offsets covering the buffer without gaps or
// overlaps, dtype sizes), after parseHeader has given its own, more
// specific errors.
func crossCheck(data []byte) error {
	if _, _, err := safetensors.ReadMetadata(data); err != nil {
		return fmt.Errorf("invalid safetensors file: %w", err)
	}
	return nil
}

// sniffPickle recognises the first bytes of torch.save outputs: a zip
// archive (the default since PyTorch 1.6) or a raw pickle stream (protocol
// 2 to 5, legacy format and Lightning .ckpt files).
func sniffPickle(b []byte) string {
	switch {
	case bytes.HasPrefix(b, []byte("PK\x03\x04")), bytes.HasPrefix(b, []byte("PK\x05\x06")):
		return "zip archive (torch.save format)"
	case len(b) >= 2 && b[0] == 0x80 && b[1] >= 2 && b[1] <= 5:
		return "pickle stream"
	}
	return ""
}

func readWhole(f *os.File, size int64) ([]byte, func() error, error) {
	if int64(int(size)) != size {
		return nil, nil, fmt.Errorf("file of %d bytes too large for this platform", size)
	}
	// Backed by []uint64 so float32 views of it are aligned.
	words := make([]uint64, (size+7)/8)
	buf := unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(words))), len(words)*8)[:size]
	if _, err := f.ReadAt(buf, 0); err != nil && err != io.EOF {
		return nil, nil, err
	}
	return buf, func() error { return nil }, nil
}

func (f *file) Names() []string { return append([]string(nil), f.hdr.names...) }

func (f *file) Info(name string) (Info, bool) {
	e, ok := f.hdr.entries[name]
	if !ok {
		return Info{}, false
	}
	return Info{Shape: append([]int(nil), e.shape...), DType: e.dtype}, true
}

func (f *file) Metadata() map[string]string {
	out := make(map[string]string, len(f.hdr.metadata))
	for k, v := range f.hdr.metadata {
		out[k] = v
	}
	return out
}

// Tensor returns the named tensor as float32. F32 data that is 4-byte
// aligned in the mapping is returned without copying.
func (f *file) Tensor(name string) (*tensor.Dense, error) {
	e, ok := f.hdr.entries[name]
	if !ok {
		return nil, fmt.Errorf("weights: %s: no tensor %q", f.path, name)
	}
	f.mu.RLock()
	defer f.mu.RUnlock()
	if f.closed {
		return nil, fmt.Errorf("weights: %s: tensor %q: source is closed", f.path, name)
	}
	start := 8 + f.hdr.size
	raw := f.data[start+e.begin : start+e.end]
	n := numel(e.shape)
	if e.dtype == "F32" && littleEndian && n > 0 && uintptr(unsafe.Pointer(&raw[0]))%4 == 0 {
		f.views.Store(true)
		view := unsafe.Slice((*float32)(unsafe.Pointer(&raw[0])), n)
		return newDense(view, e.shape), nil
	}
	out := make([]float32, n)
	if err := convert(out, raw, e.dtype); err != nil {
		return nil, fmt.Errorf("weights: %s: tensor %q: %w", f.path, name, err)
	}
	return newDense(out, e.shape), nil
}

// raw16 views a tensor stored as dtype (F16 or BF16, 2-byte aligned)
// without copying.
func (f *file) raw16(name, dtype string) ([]uint16, []int, bool) {
	e, ok := f.hdr.entries[name]
	if !ok || e.dtype != dtype || !littleEndian {
		return nil, nil, false
	}
	f.mu.RLock()
	defer f.mu.RUnlock()
	if f.closed {
		return nil, nil, false
	}
	start := 8 + f.hdr.size
	raw := f.data[start+e.begin : start+e.end]
	n := numel(e.shape)
	if n == 0 || uintptr(unsafe.Pointer(&raw[0]))%2 != 0 {
		return nil, nil, false
	}
	f.views.Store(true)
	shape := e.shape
	if len(shape) == 0 {
		shape = []int{1}
	}
	return unsafe.Slice((*uint16)(unsafe.Pointer(&raw[0])), n), append([]int(nil), shape...), true
}

// Close releases the file. When zero-copy views of the mapping have been
// handed out the mapping is kept (its pages stay backed by the file, so the
// kernel can reclaim them), otherwise it is unmapped.
func (f *file) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return nil
	}
	f.closed = true
	if f.views.Load() {
		return nil
	}
	return f.release()
}

func numel(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// newDense wraps data in a tensor; a 0-d tensor becomes shape [1].
func newDense(data []float32, shape []int) *tensor.Dense {
	if len(shape) == 0 {
		shape = []int{1}
	}
	return tensor.FromSlice(data, shape...)
}
