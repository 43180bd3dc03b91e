package config

import (
	"bytes"
	"encoding/json"
	"math"
	"reflect"
	"strconv"
	"strings"
)

// Python's json module writes the non-finite floats as the bare words NaN,
// Infinity and -Infinity (diffusers' save_pretrained does so, for instance
// "lambda_min_clipped": -Infinity). encoding/json refuses them, so the
// decoder here rewrites each such word (outside strings) into a stand-in
// number, lets encoding/json decode the result into the destination, and
// then walks the destination turning the stand-in values back into NaN, +Inf
// and -Inf. The stand-ins are float32-exact (so float32 fields keep them)
// and have mantissas no config would carry.
var (
	nanStandIn    = float64(math.Float32frombits(0x7f3a9e57))
	posInfStandIn = float64(math.Float32frombits(0x7f3a9e59))
	negInfStandIn = float64(math.Float32frombits(0xff3a9e5b))
)

// standIn is one Python word with its stand-in number.
type standIn struct {
	word  string  // as Python writes it
	value float64 // the stand-in
	text  string  // the stand-in as JSON text
	real  float64 // the value the word means
}

var standIns = []standIn{
	{"-Infinity", negInfStandIn, fmtFloat(negInfStandIn), math.Inf(-1)},
	{"Infinity", posInfStandIn, fmtFloat(posInfStandIn), math.Inf(1)},
	{"NaN", nanStandIn, fmtFloat(nanStandIn), math.NaN()},
}

func fmtFloat(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// Unmarshal decodes one JSON value from data into dst like json.Unmarshal,
// and also accepts NaN, Infinity and -Infinity as Python's json writes them.
// Float fields (float32, float64, and float64 values held in interfaces,
// maps and slices) receive the non-finite values; an integer or string
// field given one is a type error naming the word.
func Unmarshal(data []byte, dst any) error {
	data = pythonWords(data)
	if err := json.Unmarshal(data, dst); err != nil {
		return restoreWords(err)
	}
	fixStandIns(data, dst)
	return nil
}

// pythonWords returns data with every NaN, Infinity and -Infinity outside
// strings replaced by its stand-in number. data is returned unchanged (not
// copied) when it holds none.
func pythonWords(data []byte) []byte {
	if !bytes.Contains(data, []byte("NaN")) && !bytes.Contains(data, []byte("Infinity")) {
		return data
	}
	out := make([]byte, 0, len(data)+32)
	inString, escaped := false, false
	for i := 0; i < len(data); i++ {
		c := data[i]
		if inString {
			out = append(out, c)
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
			continue
		}
		if c == '"' {
			inString = true
			out = append(out, c)
			continue
		}
		if w, ok := wordAt(data, i); ok {
			out = append(out, w.text...)
			i += len(w.word) - 1
			continue
		}
		out = append(out, c)
	}
	return out
}

// wordAt reports the Python word starting at data[i], if one does and it
// ends there (is not the prefix of a longer identifier).
func wordAt(data []byte, i int) (standIn, bool) {
	for _, s := range standIns {
		if !bytes.HasPrefix(data[i:], []byte(s.word)) {
			continue
		}
		end := i + len(s.word)
		if end < len(data) && isIdentByte(data[end]) {
			return standIn{}, false
		}
		return s, true
	}
	return standIn{}, false
}

func isIdentByte(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// restoreWords puts the Python word back into a type error that quotes a
// stand-in number, so that the message shows what the file says.
func restoreWords(err error) error {
	te, ok := err.(*json.UnmarshalTypeError)
	if !ok {
		return err
	}
	for _, s := range standIns {
		if strings.Contains(te.Value, s.text) {
			c := *te
			c.Value = strings.ReplaceAll(te.Value, s.text, s.word)
			return &c
		}
	}
	return err
}

// fixStandIns turns the stand-in values decoded into dst back into NaN and
// the infinities; it does nothing when data holds no stand-in.
func fixStandIns(data []byte, dst any) {
	found := false
	for _, s := range standIns {
		if bytes.Contains(data, []byte(s.text)) {
			found = true
		}
	}
	if !found {
		return
	}
	v := reflect.ValueOf(dst)
	if v.Kind() == reflect.Pointer && !v.IsNil() {
		fixValue(v.Elem(), 0)
	}
}

// fixValue rewrites the stand-ins inside v, which must be settable, and
// reports whether it changed anything.
func fixValue(v reflect.Value, depth int) bool {
	if depth > 10000 {
		return false
	}
	switch v.Kind() {
	case reflect.Float32, reflect.Float64:
		return fixFloat(v)
	case reflect.Pointer:
		return !v.IsNil() && fixValue(v.Elem(), depth+1)
	case reflect.Interface:
		return !v.IsNil() && fixCopy(v, v.Elem(), depth)
	case reflect.Struct:
		changed := false
		for i := 0; i < v.NumField(); i++ {
			if f := v.Field(i); f.CanSet() {
				changed = fixValue(f, depth+1) || changed
			}
		}
		return changed
	case reflect.Slice, reflect.Array:
		changed := false
		for i := 0; i < v.Len(); i++ {
			changed = fixValue(v.Index(i), depth+1) || changed
		}
		return changed
	case reflect.Map:
		return fixMap(v, depth)
	}
	return false
}

func fixMap(v reflect.Value, depth int) bool {
	changed := false
	it := v.MapRange()
	for it.Next() {
		k := it.Key()
		changed = fixCopy(v, it.Value(), depth, k) || changed
	}
	return changed
}

// fixCopy fixes a settable copy of elem (the value inside an interface, or
// the map entry for key) and stores it back into v when it changed.
func fixCopy(v, elem reflect.Value, depth int, key ...reflect.Value) bool {
	c := reflect.New(elem.Type()).Elem()
	c.Set(elem)
	if !fixValue(c, depth+1) {
		return false
	}
	if len(key) > 0 {
		v.SetMapIndex(key[0], c)
	} else {
		v.Set(c)
	}
	return true
}

func fixFloat(v reflect.Value) bool {
	f := v.Float()
	for _, s := range standIns {
		if f == s.value {
			v.SetFloat(s.real)
			return true
		}
	}
	return false
}
