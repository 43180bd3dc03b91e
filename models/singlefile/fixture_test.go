package singlefile

import (
	"reflect"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/goautopipe/diffusers/internal/singlefilefixture"
	"github.com/goautopipe/diffusers/internal/testutil"
	"github.com/goautopipe/diffusers/tensor"
)

var testdata = testutil.Testdata()

func writeFixture(t testing.TB, fixture string, edit func(map[string]*tensor.Dense)) string {
	return singlefilefixture.Write(t, testdata, fixture, edit)
}

var denseType = reflect.TypeFor[*tensor.Dense]()

// collect walks a model and returns every tensor and float32 slice it holds
// (exported or not), by field path.
func collect(v reflect.Value, path string, out map[string][]float64) {
	switch {
	case v.Type() == denseType:
		if v.IsNil() {
			return
		}
		d := (*tensor.Dense)(v.UnsafePointer())
		if tensor.IsHalf(d) { // compared by value: float16 storage or float32 rounded to half
			bits := tensor.HalfBits(d)
			vals := make([]float32, len(bits))
			tensor.HalfToFloat32(vals, bits)
			for _, f := range vals {
				out[path] = append(out[path], float64(f))
			}
			return
		}
		for _, f := range tensor.F32(d) {
			out[path] = append(out[path], float64(f))
		}
		return
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			collect(v.Elem(), path, out)
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			collect(v.Field(i), path+"."+v.Type().Field(i).Name, out)
		}
	case reflect.Slice, reflect.Array:
		if v.Type().Elem().Kind() == reflect.Float32 {
			for i := 0; i < v.Len(); i++ {
				out[path] = append(out[path], v.Index(i).Float())
			}
			return
		}
		for i := 0; i < v.Len(); i++ {
			collect(v.Index(i), path+"."+strconv.Itoa(i), out)
		}
	case reflect.Map:
		if v.Type().Elem().Kind() == reflect.Pointer || v.Type().Elem().Kind() == reflect.Struct {
			for _, k := range v.MapKeys() {
				collect(v.MapIndex(k), path+"["+k.String()+"]", out)
			}
		}
	}
}

// requireSameModel fails unless a and b hold bit-identical weights.
func requireSameModel(t *testing.T, name string, a, b any) {
	t.Helper()
	wa, wb := map[string][]float64{}, map[string][]float64{}
	collect(reflect.ValueOf(a), name, wa)
	collect(reflect.ValueOf(b), name, wb)
	require.NotEmpty(t, wa)
	require.Equal(t, len(wa), len(wb), "%s: number of tensors", name)
	for k, x := range wa {
		y, ok := wb[k]
		require.True(t, ok, "%s missing", k)
		require.Equal(t, x, y, "%s differs", k)
	}
}
