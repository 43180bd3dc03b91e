package config

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
)

// ReadJSON decodes the JSON object in the file at path into dst (a pointer to
// a struct or map). Unknown keys are ignored; a value of the wrong type, a
// syntax error or trailing data after the object is an error naming the file,
// and the key or the line and column. NaN, Infinity and -Infinity are
// accepted as Python's json writes them. The file must be a regular file of
// at most MaxConfigBytes.
func ReadJSON(path string, dst any) error {
	return ReadJSONContext(context.Background(), path, MaxConfigBytes, dst)
}

// ReadJSONContext is ReadJSON with a context and a size cap.
func ReadJSONContext(ctx context.Context, path string, limit int64, dst any) error {
	data, err := ReadFile(ctx, path, limit)
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	if err := Decode(data, dst); err != nil {
		return fmt.Errorf("config: %s: %w", path, err)
	}
	return nil
}

// Decode unmarshals a single JSON value from data into dst, accepting
// Python's NaN, Infinity and -Infinity, and turns the encoding/json errors
// into messages naming the key or the position.
func Decode(data []byte, dst any) error {
	data = pythonWords(data)
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(dst); err != nil {
		return describe(data, restoreWords(err))
	}
	fixStandIns(data, dst)
	off := dec.InputOffset()
	if _, err := dec.Token(); err != io.EOF {
		for off < int64(len(data)) && strings.IndexByte(" \t\r\n", data[off]) >= 0 {
			off++
		}
		return fmt.Errorf("%s: unexpected data after the JSON value", position(data, off))
	}
	return nil
}

func describe(data []byte, err error) error {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te):
		key := te.Field
		if key == "" {
			return fmt.Errorf("%s: cannot use JSON %s as %s", position(data, te.Offset-1), te.Value, te.Type)
		}
		return fmt.Errorf("key %q: cannot use JSON %s as %s", key, te.Value, typeName(te))
	case errors.As(err, &se):
		return fmt.Errorf("%s: invalid JSON: %v", position(data, se.Offset-1), se)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("unexpected end of JSON")
	}
	return err
}

// position formats the position of the byte at offset off as "line L,
// column C" (both counted from 1).
func position(data []byte, off int64) string {
	if off < 0 {
		off = 0
	}
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	line := 1 + bytes.Count(data[:off], []byte{'\n'})
	col := off - int64(bytes.LastIndexByte(data[:off], '\n'))
	return "line " + strconv.Itoa(line) + ", column " + strconv.FormatInt(col, 10)
}

// IntOrList is a JSON integer or a list of integers; diffusers accepts both
// for keys such as attention_head_dim and transformer_layers_per_block.
// A single integer decodes as a one-element list; null leaves it nil.
type IntOrList []int

// UnmarshalJSON implements json.Unmarshaler.
func (l *IntOrList) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, []byte("null")) {
		*l = nil
		return nil
	}
	if len(b) > 0 && b[0] == '[' {
		var raw []json.Number
		if err := json.Unmarshal(b, &raw); err != nil {
			return typeError(b)
		}
		out := make(IntOrList, len(raw))
		for i, n := range raw {
			v, err := toInt(n)
			if err != nil {
				return typeError(b)
			}
			out[i] = v
		}
		*l = out
		return nil
	}
	var n json.Number
	if len(b) == 0 || (b[0] != '-' && (b[0] < '0' || b[0] > '9')) {
		return typeError(b)
	}
	if err := json.Unmarshal(b, &n); err != nil {
		return typeError(b)
	}
	v, err := toInt(n)
	if err != nil {
		return typeError(b)
	}
	*l = IntOrList{v}
	return nil
}

// Single reports the value when the list holds exactly one element.
func (l IntOrList) Single() (int, bool) {
	if len(l) == 1 {
		return l[0], true
	}
	return 0, false
}

// Expand returns the list as n values: a single value is repeated n times,
// a list of length n is returned as is; any other length is an error.
func (l IntOrList) Expand(n int) ([]int, error) {
	switch len(l) {
	case n:
		return append([]int(nil), l...), nil
	case 1:
		out := make([]int, n)
		for i := range out {
			out[i] = l[0]
		}
		return out, nil
	}
	return nil, fmt.Errorf("config: %d values where 1 or %d are expected", len(l), n)
}

func toInt(n json.Number) (int, error) {
	if v, err := strconv.ParseInt(string(n), 10, 0); err == nil {
		return int(v), nil
	}
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil || f != float64(int(f)) {
		return 0, fmt.Errorf("want an integer, got %s", n)
	}
	return int(f), nil
}

// typeError returns the error encoding/json annotates with the key being
// decoded, so that ReadJSON can name it.
func typeError(b []byte) error {
	return &json.UnmarshalTypeError{Value: abbrev(b), Type: reflect.TypeFor[IntOrList]()}
}

func abbrev(b []byte) string {
	if len(b) > 40 {
		return string(b[:40]) + "..."
	}
	return string(b)
}

func typeName(te *json.UnmarshalTypeError) string {
	if te.Type == reflect.TypeFor[IntOrList]() {
		return "an integer or a list of integers"
	}
	return te.Type.String()
}
