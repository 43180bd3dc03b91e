package weights

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/goautopipe/diffusers/internal/testutil"
	"github.com/goautopipe/diffusers/tensor"
	"github.com/stretchr/testify/require"
)

// node is one segment of a dotted tensor-name tree.
type node struct {
	children map[string]*node
	shape    []int // set on leaves
	leaf     bool
}

func buildTree(shapes map[string][]int) (*node, error) {
	root := &node{children: map[string]*node{}}
	for name, shape := range shapes {
		n := root
		for _, seg := range strings.Split(name, ".") {
			if n.leaf {
				return nil, fmt.Errorf("%s: prefix is also a tensor", name)
			}
			c := n.children[seg]
			if c == nil {
				c = &node{children: map[string]*node{}}
				n.children[seg] = c
			}
			n = c
		}
		if len(n.children) > 0 {
			return nil, fmt.Errorf("%s: tensor is also a prefix", name)
		}
		n.leaf, n.shape = true, shape
	}
	return root, nil
}

// typeOf builds a struct type whose st tags are the node's children; runs
// of children named 0..n-1 with identical types become slices, so the test
// structs exercise the nested-struct, slice and tensor rules of Load.
func typeOf(n *node) reflect.Type {
	if n.leaf {
		return denseType
	}
	if t, ok := sliceOf(n); ok {
		return t
	}
	keys := make([]string, 0, len(n.children))
	for k := range n.children {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	fields := make([]reflect.StructField, len(keys))
	for i, k := range keys {
		fields[i] = reflect.StructField{
			Name: "F" + strconv.Itoa(i),
			Type: typeOf(n.children[k]),
			Tag:  reflect.StructTag(`st:"` + k + `"`),
		}
	}
	return reflect.StructOf(fields)
}

func sliceOf(n *node) (reflect.Type, bool) {
	var elem reflect.Type
	for i := 0; i < len(n.children); i++ {
		c, ok := n.children[strconv.Itoa(i)]
		if !ok {
			return nil, false
		}
		t := typeOf(c)
		if elem != nil && t != elem {
			return nil, false
		}
		elem = t
	}
	if elem == nil || elem == denseType {
		return nil, false
	}
	return reflect.SliceOf(elem), true
}

// fill allocates slices and pre-sets every tensor field to a zero tensor of
// the expected shape (which Load then checks against the source).
func fill(v reflect.Value, n *node) {
	switch {
	case n.leaf:
		v.Set(reflect.ValueOf(tensor.New(shapeKey(n.shape)...)))
	case v.Kind() == reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), len(n.children), len(n.children)))
		for i := 0; i < v.Len(); i++ {
			fill(v.Index(i), n.children[strconv.Itoa(i)])
		}
	default:
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			fill(v.Field(i), n.children[t.Field(i).Tag.Get("st")])
		}
	}
}

// structFor returns a pointer to a new struct shaped after shapes.
func structFor(t *testing.T, shapes map[string][]int) any {
	t.Helper()
	root, err := buildTree(shapes)
	require.NoError(t, err)
	v := reflect.New(typeOf(root))
	fill(v.Elem(), root)
	return v.Interface()
}

// lookup finds the tensor a loaded test struct holds under a dotted name.
func lookup(v reflect.Value, name string) *tensor.Dense {
	for _, seg := range strings.Split(name, ".") {
		if v.Kind() == reflect.Pointer {
			v = v.Elem()
		}
		if v.Kind() == reflect.Slice {
			i, _ := strconv.Atoi(seg)
			v = v.Index(i)
			continue
		}
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			if t.Field(i).Tag.Get("st") == seg {
				v = v.Field(i)
				break
			}
		}
	}
	return v.Interface().(*tensor.Dense)
}

func shapesOf(src Source) map[string][]int {
	m := map[string][]int{}
	for _, n := range src.Names() {
		info, _ := src.Info(n)
		m[n] = info.Shape
	}
	return m
}

// tinyComponents lists the component folders of the tiny fixtures that hold
// safetensors weights, with the basename to open them by.
func tinyComponents(t *testing.T) map[string]string {
	dirs, _ := filepath.Glob(testutil.Testdata("tiny-*", "*"))
	out := map[string]string{}
	for _, d := range dirs {
		for _, base := range []string{"diffusion_pytorch_model", "model"} {
			if _, err := os.Stat(filepath.Join(d, base+".safetensors")); err == nil {
				out[d] = base
			}
		}
	}
	if len(out) == 0 {
		t.Skip("no tiny fixtures under testdata/")
	}
	return out
}

func TestLoadTinyComponents(t *testing.T) {
	comps := tinyComponents(t)
	for dir, base := range comps {
		t.Run(strings.TrimPrefix(dir, testutil.Testdata()+string(filepath.Separator)), func(t *testing.T) {
			src, err := OpenComponent(dir, base, OpenOptions{})
			require.NoError(t, err)
			defer src.Close()
			shapes := shapesOf(src)
			names := src.Names()

			// Complete struct: nothing missing, unused or mismatched, and
			// every field holds the tensor of its name.
			dst := structFor(t, shapes)
			require.NoError(t, Load(src, dst))
			for _, n := range names {
				want, _ := src.Tensor(n)
				got := lookup(reflect.ValueOf(dst), n)
				testutil.RequireClose(t, want.Float32s(), got.Float32s(), 0, "%s: wrong tensor loaded", n)
			}

			// A struct lacking one field leaves that tensor unused; a struct
			// asking for one more reports it missing; a wrong shape is
			// reported with both shapes.
			drop := names[len(names)/2]
			fewer := map[string][]int{}
			for k, v := range shapes {
				if k != drop {
					fewer[k] = v
				}
			}
			more := map[string][]int{"zz_extra.weight": {3}}
			for k, v := range shapes {
				more[k] = v
			}
			var bad string
			wrong := map[string][]int{}
			for _, k := range names {
				s := shapes[k]
				if bad == "" && len(s) >= 1 && s[0] > 0 {
					bad = k
					s = append([]int{s[0] + 1}, s[1:]...)
				}
				wrong[k] = s
			}
			checks := []struct {
				shapes                   map[string][]int
				missing, unused, mismatc []string
			}{
				{fewer, nil, []string{drop}, nil},
				{more, []string{"zz_extra.weight"}, nil, nil},
				{wrong, nil, nil, []string{fmt.Sprintf("%s: checkpoint %v, model %v", bad, shapes[bad], wrong[bad])}},
			}
			for _, c := range checks {
				err := Load(src, structFor(t, c.shapes))
				var le *LoadError
				require.ErrorAs(t, err, &le)
				require.Equal(t, c.missing, le.Missing, "missing")
				require.Equal(t, c.unused, le.Unused, "unused")
				require.Equal(t, c.mismatc, le.Mismatched, "mismatched")
			}
		})
	}
}
