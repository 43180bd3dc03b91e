package autopipeline

import (
	"context"
	"reflect"
)

// defaultsPipeline fills the zero fields of each Request from d.
type defaultsPipeline struct {
	Pipeline
	d Request
}

func withDefaults(p Pipeline, d *Request) Pipeline {
	if d == nil {
		return p
	}
	return &defaultsPipeline{Pipeline: p, d: *d}
}

func (p *defaultsPipeline) Generate(ctx context.Context, r Request) (*Output, error) {
	return p.Pipeline.Generate(ctx, MergeRequest(r, p.d))
}

// Defaults returns the call defaults given by WithDefaults.
func (p *defaultsPipeline) Defaults() Request { return p.d }

// MergeRequest returns r with every zero field taken from d.
func MergeRequest(r, d Request) Request {
	rv := reflect.ValueOf(&r).Elem()
	dv := reflect.ValueOf(d)
	for i := 0; i < rv.NumField(); i++ {
		if rv.Field(i).IsZero() && !dv.Field(i).IsZero() {
			rv.Field(i).Set(dv.Field(i))
		}
	}
	return r
}

// DefaultsOf returns the call defaults given to p with WithDefaults.
func DefaultsOf(p Pipeline) (Request, bool) {
	if d, ok := p.(*defaultsPipeline); ok {
		return d.d, true
	}
	return Request{}, false
}
