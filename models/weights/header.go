package weights

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math/bits"
	"sort"
)

// MaxHeaderSize bounds the JSON header of a safetensors file (the format's
// own reference implementation uses the same 100 MB limit).
const MaxHeaderSize = 100 << 20

// dtypeSize gives the element size in bytes of every dtype this package can
// convert to float32.
var dtypeSize = map[string]int{
	"F32": 4, "F16": 2, "BF16": 2, "F64": 8,
	"I64": 8, "I32": 4, "I16": 2, "I8": 1, "U8": 1, "BOOL": 1,
}

// entry is one tensor of a parsed header.
type entry struct {
	name       string
	dtype      string
	shape      []int
	begin, end int64 // byte range relative to the start of the data section
}

// header is a parsed and validated safetensors header.
type header struct {
	size     int64 // N, the JSON length; data starts at 8+N
	metadata map[string]string
	entries  map[string]*entry
	names    []string // sorted
}

// parseHeader parses and validates the header at the start of a safetensors
// file of fileSize bytes; buf holds at least the first 8 bytes and, when they
// are valid, the whole JSON header. Every structural defect is an error:
// impossible header length, invalid JSON, duplicate names, unknown dtypes,
// byte ranges that overlap, run past the end of the file or do not match
// dtype size times element count.
func parseHeader(buf []byte, fileSize int64) (*header, error) {
	if fileSize < 8 || len(buf) < 8 {
		return nil, fmt.Errorf("file too short (%d bytes) for a safetensors header", fileSize)
	}
	n := binary.LittleEndian.Uint64(buf[:8])
	if n > MaxHeaderSize {
		return nil, fmt.Errorf("header length %d exceeds the %d byte limit (not a safetensors file?)", n, MaxHeaderSize)
	}
	if int64(n) > fileSize-8 {
		return nil, fmt.Errorf("header length %d runs past the end of the %d byte file (truncated?)", n, fileSize)
	}
	if n < 2 {
		return nil, fmt.Errorf("header length %d too small for a JSON object", n)
	}
	if int64(len(buf)) < 8+int64(n) {
		return nil, fmt.Errorf("header truncated: have %d of %d bytes", len(buf)-8, n)
	}
	h := &header{size: int64(n), entries: map[string]*entry{}}
	dataLen := fileSize - 8 - int64(n)
	if err := h.decode(buf[8:8+n], dataLen); err != nil {
		return nil, err
	}
	return h, nil
}

// rawEntry is the JSON form of a tensor entry.
type rawEntry struct {
	DType   *string  `json:"dtype"`
	Shape   *[]int64 `json:"shape"`
	Offsets *[]int64 `json:"data_offsets"`
}

func (h *header) decode(js []byte, dataLen int64) error {
	js = bytes.TrimRight(js, " \t\r\n\x00") // writers may pad the header
	if !json.Valid(js) {
		var v any
		err := json.Unmarshal(js, &v)
		return fmt.Errorf("header JSON invalid: %v", err)
	}
	dec := json.NewDecoder(bytes.NewReader(js))
	tok, err := dec.Token()
	if err != nil {
		return fmt.Errorf("header JSON invalid: %v", err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return fmt.Errorf("header JSON is not an object")
	}
	for dec.More() {
		if err := h.decodeKey(dec, dataLen); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil { // closing brace
		return fmt.Errorf("header JSON invalid: %v", err)
	}
	if rest := bytes.TrimSpace(js[dec.InputOffset():]); len(rest) != 0 {
		return fmt.Errorf("header JSON invalid: unexpected data after the object")
	}
	return h.checkOverlap()
}

// decodeKey decodes one key of the header object and its value: the
// metadata map or a tensor entry.
func (h *header) decodeKey(dec *json.Decoder, dataLen int64) error {
	tok, err := dec.Token()
	if err != nil {
		return fmt.Errorf("header JSON invalid: %v", err)
	}
	name, ok := tok.(string)
	if !ok {
		return fmt.Errorf("header JSON invalid: key %v is not a string", tok)
	}
	if name == "__metadata__" {
		return h.decodeMetadata(dec)
	}
	if _, dup := h.entries[name]; dup {
		return fmt.Errorf("header: tensor %q appears twice", name)
	}
	var re rawEntry
	if err := dec.Decode(&re); err != nil {
		return fmt.Errorf("header: tensor %q: invalid entry: %v", name, err)
	}
	e, err := checkEntry(name, re, dataLen)
	if err != nil {
		return fmt.Errorf("header: tensor %q: %w", name, err)
	}
	h.entries[name] = e
	return nil
}

func (h *header) decodeMetadata(dec *json.Decoder) error {
	if h.metadata != nil {
		return fmt.Errorf("header: __metadata__ appears twice")
	}
	var md map[string]string
	if err := dec.Decode(&md); err != nil {
		return fmt.Errorf("header: __metadata__ must map strings to strings: %v", err)
	}
	if md == nil {
		md = map[string]string{}
	}
	h.metadata = md
	return nil
}

func checkEntry(name string, re rawEntry, dataLen int64) (*entry, error) {
	if name == "" {
		return nil, fmt.Errorf("empty tensor name")
	}
	if re.DType == nil || re.Shape == nil || re.Offsets == nil {
		return nil, fmt.Errorf("entry needs dtype, shape and data_offsets")
	}
	size, ok := dtypeSize[*re.DType]
	if !ok {
		return nil, fmt.Errorf("unsupported dtype %q (supported: F32, F16, BF16, F64, I64, I32, I16, I8, U8, BOOL)", *re.DType)
	}
	shape, count, err := checkShape(*re.Shape)
	if err != nil {
		return nil, err
	}
	off := *re.Offsets
	if len(off) != 2 {
		return nil, fmt.Errorf("data_offsets %v: want [begin, end]", off)
	}
	begin, end := off[0], off[1]
	if begin < 0 || end < begin {
		return nil, fmt.Errorf("data_offsets %v: invalid range", off)
	}
	if end > dataLen {
		return nil, fmt.Errorf("data_offsets %v run past the end of the %d byte data section (truncated file?)", off, dataLen)
	}
	if want := count * uint64(size); uint64(end-begin) != want {
		return nil, fmt.Errorf("data_offsets %v hold %d bytes but %s%v needs %d", off, end-begin, *re.DType, shape, want)
	}
	return &entry{name: name, dtype: *re.DType, shape: shape, begin: begin, end: end}, nil
}

// checkShape bounds every dimension and the element count (2^50 at most,
// without overflow) and returns the shape as ints with its element count.
func checkShape(dims []int64) ([]int, uint64, error) {
	shape := make([]int, len(dims))
	count := uint64(1)
	for i, d := range dims {
		if d < 0 || d > 1<<40 {
			return nil, 0, fmt.Errorf("shape %v: bad dimension %d", dims, d)
		}
		shape[i] = int(d)
		hi, lo := bits.Mul64(count, uint64(d))
		if hi != 0 || lo > 1<<50 {
			return nil, 0, fmt.Errorf("shape %v: too many elements", dims)
		}
		count = lo
	}
	return shape, count, nil
}

// checkOverlap rejects tensors whose byte ranges overlap, and fills names.
func (h *header) checkOverlap() error {
	list := make([]*entry, 0, len(h.entries))
	for _, e := range h.entries {
		list = append(list, e)
	}
	sort.Slice(list, func(i, j int) bool {
		if list[i].begin != list[j].begin {
			return list[i].begin < list[j].begin
		}
		return list[i].name < list[j].name
	})
	var last *entry // the non-empty range reaching furthest so far
	for _, e := range list {
		if e.end == e.begin {
			continue
		}
		if last != nil && e.begin < last.end {
			return fmt.Errorf("header: tensors %q %v and %q %v overlap", last.name, []int64{last.begin, last.end}, e.name, []int64{e.begin, e.end})
		}
		if last == nil || e.end > last.end {
			last = e
		}
	}
	h.names = make([]string, 0, len(list))
	for name := range h.entries {
		h.names = append(h.names, name)
	}
	sort.Strings(h.names)
	return nil
}
