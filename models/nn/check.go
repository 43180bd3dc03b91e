package nn

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
)

// CheckLoaded walks a loaded model struct (through struct pointers and
// slices, following `st` tags) and reports every Linear or Conv2D whose
// configuration requires a bias that the checkpoint did not provide, or
// that got a bias its configuration does not have (the loader treats biases
// as optional). It returns nil when all biases agree with the configuration.
func CheckLoaded(model any) error {
	var missing, extra []string
	walkLoaded(reflect.ValueOf(model), "", &missing, &extra)
	var msgs []string
	if len(missing) > 0 {
		msgs = append(msgs, "missing bias tensors: "+strings.Join(missing, ", "))
	}
	if len(extra) > 0 {
		msgs = append(msgs, "bias tensors the config does not have: "+strings.Join(extra, ", "))
	}
	if len(msgs) > 0 {
		return fmt.Errorf("nn: %s", strings.Join(msgs, "; "))
	}
	return nil
}

func checkBias(has bool, b any, path string, missing, extra *[]string) {
	isNil := reflect.ValueOf(b).IsNil()
	switch {
	case has && isNil:
		*missing = append(*missing, path+".bias")
	case !has && !isNil:
		*extra = append(*extra, path+".bias")
	}
}

func walkLoaded(v reflect.Value, path string, missing, extra *[]string) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return
		}
		switch m := v.Interface().(type) {
		case *Linear:
			checkBias(m.HasBias, m.Bias, path, missing, extra)
			return
		case *Conv2D:
			checkBias(m.HasBias, m.Bias, path, missing, extra)
			return
		}
		walkLoaded(v.Elem(), path, missing, extra)
	case reflect.Slice, reflect.Array:
		for i := 0; i < v.Len(); i++ {
			walkLoaded(v.Index(i), path+"."+strconv.Itoa(i), missing, extra)
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
			walkLoaded(v.Field(i), p, missing, extra)
		}
	}
}
