package autopipeline

import (
	"context"
	"reflect"

	"github.com/goautopipe/diffusers/pipelines"
)

// defaultsPipeline fills the zero fields of each Request from d.
type defaultsPipeline struct {
	pipelines.Pipeline
	d pipelines.Request
}

func withDefaults(p pipelines.Pipeline, d *pipelines.Request) pipelines.Pipeline {
	if d == nil {
		return p
	}
	return &defaultsPipeline{Pipeline: p, d: *d}
}

func (p *defaultsPipeline) Generate(ctx context.Context, r pipelines.Request) (*pipelines.Output, error) {
	return p.Pipeline.Generate(ctx, MergeRequest(r, p.d))
}

// Defaults returns the call defaults given by WithDefaults.
func (p *defaultsPipeline) Defaults() pipelines.Request { return p.d }

// MergeRequest returns r with every zero field taken from d.
func MergeRequest(r, d pipelines.Request) pipelines.Request {
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
func DefaultsOf(p pipelines.Pipeline) (pipelines.Request, bool) {
	if d, ok := p.(*defaultsPipeline); ok {
		return d.d, true
	}
	return pipelines.Request{}, false
}
