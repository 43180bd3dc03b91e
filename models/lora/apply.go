package lora

import (
	"fmt"
	"math"
	"reflect"
	"strings"

	"github.com/goautopipe/diffusers/models/nn"
	"github.com/goautopipe/diffusers/tensor"
)

// Weighted is a LoRA with the weight it is applied with (diffusers'
// set_adapters weights; 1 is the LoRA as trained).
type Weighted struct {
	LoRA   *LoRA
	Weight float64
}

// Apply returns a copy of model (a *unet.Model or *clip.TextModel; component
// says which: "unet", "text_encoder" or "text_encoder_2") in which every
// layer a LoRA updates computes its low-rank updates as a side path:
// y = W x + b + Σ weight·alpha/rank · Up(Down(x)). The copy shares every
// tensor with model; model itself is not changed, so pipelines sharing it
// and generations running with it see no difference. With no LoRA touching
// the component, model itself is returned.
func Apply[M any](model M, component string, adapters ...Weighted) (M, error) {
	return edit(model, component, adapters, false)
}

// Fuse is Apply with the updates added into copies of the weights (float32)
// instead of side paths: diffusers' fuse_lora, without changing model. It
// costs a copy of every updated weight and runs as fast as model.
func Fuse[M any](model M, component string, adapters ...Weighted) (M, error) {
	return edit(model, component, adapters, true)
}

func edit[M any](model M, component string, adapters []Weighted, fuse bool) (M, error) {
	r := newResolver(model)
	updates := map[string][]scaled{}
	var unresolved []string
	for _, a := range adapters {
		if a.LoRA == nil || math.IsNaN(a.Weight) || math.IsInf(a.Weight, 0) {
			return model, fmt.Errorf("lora: invalid adapter or weight %v", a.Weight)
		}
		for _, m := range a.LoRA.modules {
			if m.component != component {
				continue
			}
			p, err := r.resolve(m)
			if err != nil {
				unresolved = append(unresolved, m.key)
				continue
			}
			updates[p] = append(updates[p], scaled{m, a.Weight * m.scale()})
		}
	}
	if len(unresolved) > 0 {
		return model, unresolvedError(component, unresolved)
	}
	if len(updates) == 0 {
		return model, nil
	}
	repl := map[string]nn.AdapterLayer{}
	for p, us := range updates {
		l, err := build(r.byPath[p], us, fuse)
		if err != nil {
			return model, fmt.Errorf("lora: %s: %s: %w", component, p, err)
		}
		repl[p] = l
	}
	out := rebuild(reflect.ValueOf(model), "", repl)
	return out.Interface().(M), nil
}

type scaled struct {
	m     *module
	scale float64
}

// build returns the layer l with the updates us, as one side path (the
// modules' down weights stacked, their up weights scaled and stacked) or
// fused.
func build(l nn.AdapterLayer, us []scaled, fuse bool) (nn.AdapterLayer, error) {
	in, out, k := l.LayerShape()
	kk := max(k, 1)
	rank := 0
	for _, u := range us {
		if err := checkShapes(u.m, in, out, k); err != nil {
			return nil, err
		}
		rank += u.m.rank()
	}
	down := make([]float32, 0, rank*in*kk*kk) // [rank, in*k*k]
	up := make([]float32, out*rank)           // [out, rank]
	r0 := 0
	for _, u := range us {
		down = append(down, tensor.F32(u.m.down)...)
		ud, r := tensor.F32(u.m.up), u.m.rank()
		for o := 0; o < out; o++ {
			for j := 0; j < r; j++ {
				up[o*rank+r0+j] = float32(u.scale) * ud[o*r+j]
			}
		}
		r0 += r
	}
	if fuse {
		return l.WithDelta(matmul(up, down, out, rank, in*kk*kk)), nil
	}
	s := &sidePath{up: tensor.FromSlice(up, out, rank)}
	if k == 0 {
		s.down = tensor.FromSlice(down, rank, in)
	} else {
		c := l.(*nn.Conv2D)
		s.down = tensor.FromSlice(down, rank, in, k, k)
		s.up = tensor.FromSlice(up, out, rank, 1, 1)
		s.conv, s.stride, s.padding = true, c.Stride, c.Padding
	}
	return l.WithAdapters(s), nil
}

// checkShapes checks a module against the layer it updates: down
// [r, in] or [r, in, k, k] (LoCon), up [out, r] or [out, r, 1, 1].
func checkShapes(m *module, in, out, k int) error {
	d, u := tensor.Shape(m.down), tensor.Shape(m.up)
	r := d[0]
	okDown := len(d) == 2 && d[1] == in && k <= 1 || len(d) == 4 && d[1] == in && d[2] == max(k, 1) && d[3] == max(k, 1)
	okUp := u[0] == out && u[1] == r && (len(u) == 2 || len(u) == 4 && u[2] == 1 && u[3] == 1)
	if !okDown || !okUp {
		return fmt.Errorf("down %v, up %v do not fit a layer %d -> %d (kernel %d)", d, u, in, out, k)
	}
	return nil
}

// matmul returns a [m, k] @ b [k, n].
func matmul(a, b []float32, m, k, n int) []float32 {
	c := make([]float32, m*n)
	tensor.Sgemm(false, false, m, n, k, 1, a, k, b, n, 0, c, n)
	return c
}

// sidePath is the low-rank update of one layer: y += Up(Down(x)), with the
// adapter weights and alpha/rank folded into Up.
type sidePath struct {
	down, up        *tensor.Dense
	conv            bool
	stride, padding int
}

// AddTo implements nn.Adapter.
func (s *sidePath) AddTo(y, x *tensor.Dense) {
	if s.conv {
		h := tensor.Conv2D(x, s.down, nil, s.stride, s.padding)
		tensor.AddInPlace(y, tensor.Conv2D(h, s.up, nil, 1, 0))
		return
	}
	tensor.AddInPlace(y, tensor.Linear(tensor.Linear(x, s.down, nil), s.up, nil))
}

// rebuild returns v with the layers at the paths in repl replaced,
// copying only the structs, pointers and slices on the way to them.
func rebuild(v reflect.Value, path string, repl map[string]nn.AdapterLayer) reflect.Value {
	if !touches(path, repl) {
		return v
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return v
		}
		if l, ok := repl[path]; ok {
			if _, isLayer := v.Interface().(nn.AdapterLayer); isLayer {
				return reflect.ValueOf(l)
			}
		}
		c := reflect.New(v.Type().Elem())
		c.Elem().Set(v.Elem())
		rebuildFields(c.Elem(), path, repl)
		return c
	case reflect.Slice:
		c := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		for i := 0; i < v.Len(); i++ {
			c.Index(i).Set(rebuild(v.Index(i), join(path, fmt.Sprint(i)), repl))
		}
		return c
	case reflect.Struct:
		c := reflect.New(v.Type()).Elem()
		c.Set(v)
		rebuildFields(c, path, repl)
		return c
	}
	return v
}

func rebuildFields(v reflect.Value, path string, repl map[string]nn.AdapterLayer) {
	forTagged(v, path, func(f reflect.Value, p string) {
		if touches(p, repl) {
			f.Set(rebuild(f, p, repl))
		}
	})
}

// touches reports whether a replaced layer lies at or under path.
func touches(path string, repl map[string]nn.AdapterLayer) bool {
	if path == "" {
		return len(repl) > 0
	}
	for p := range repl {
		if p == path || strings.HasPrefix(p, path+".") {
			return true
		}
	}
	return false
}
