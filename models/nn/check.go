package nn

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
)

// CheckLoaded walks a loaded model struct (through struct pointers and
// slices, following `st` tags) and reports every Linear or Conv2D whose
// configuration requires a bias that the checkpoint did not provide (the
// loader treats biases as optional). It returns nil when none is missing.
func CheckLoaded(model any) error {
	var missing []string
	walkLoaded(reflect.ValueOf(model), "", &missing)
	if len(missing) > 0 {
		return fmt.Errorf("nn: missing bias tensors: %s", strings.Join(missing, ", "))
	}
	return nil
}

func walkLoaded(v reflect.Value, path string, missing *[]string) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return
		}
		switch m := v.Interface().(type) {
		case *Linear:
			if m.HasBias && m.Bias == nil {
				*missing = append(*missing, path+".bias")
			}
			return
		case *Conv2D:
			if m.HasBias && m.Bias == nil {
				*missing = append(*missing, path+".bias")
			}
			return
		}
		walkLoaded(v.Elem(), path, missing)
	case reflect.Slice, reflect.Array:
		for i := 0; i < v.Len(); i++ {
			walkLoaded(v.Index(i), path+"."+strconv.Itoa(i), missing)
		}
	case reflect.Struct:
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			tag, ok := f.Tag.Lookup("st")
			if !ok || !f.IsExported() {
				continue
			}
			name := strings.Split(tag, ",")[0]
			p := path
			if name != "" {
				p = strings.TrimPrefix(path+"."+name, ".")
			}
			walkLoaded(v.Field(i), p, missing)
		}
	}
}
