package serve

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/goautopipe/diffusers/autopipeline"
)

// Models holds the loaded pipelines: each configured model is loaded once
// and kept; task and scheduler variants share its components (FromPipe).
type Models struct {
	mu     sync.Mutex
	models map[string]*loaded
}

type loaded struct {
	cfg     Model
	base    autopipeline.Pipeline // text-to-image, as loaded
	inpaint autopipeline.Pipeline // from InpaintPath, or nil
	// variants caches pipelines by task and scheduler.
	variants map[[2]string]autopipeline.Pipeline
}

// LoadModels loads every configured model.
func LoadModels(ctx context.Context, models []Model, log *slog.Logger) (*Models, error) {
	m := &Models{models: map[string]*loaded{}}
	for _, mc := range models {
		start := time.Now()
		l, err := loadModel(ctx, mc)
		if err != nil {
			return nil, err
		}
		m.models[mc.Name] = l
		log.Info("model loaded", "model", mc.Name, "path", mc.Path, "class", l.base.ClassName(), "seconds", time.Since(start).Seconds())
	}
	return m, nil
}

func loadModel(ctx context.Context, mc Model) (*loaded, error) {
	dt, err := parseDType(mc.DType)
	if err != nil {
		return nil, fmt.Errorf("serve: model %s: %w", mc.Name, err)
	}
	opts := []autopipeline.Option{autopipeline.WithDType(dt), autopipeline.WithOffline(mc.Offline)}
	if mc.Variant != "" {
		opts = append(opts, autopipeline.WithVariant(mc.Variant))
	}
	if mc.Steps > 0 {
		opts = append(opts, autopipeline.WithDefaults(autopipeline.Request{NumInferenceSteps: mc.Steps}))
	}
	if mc.Scheduler != "" {
		opts = append(opts, autopipeline.WithScheduler(mc.Scheduler))
	}
	l := &loaded{cfg: mc, variants: map[[2]string]autopipeline.Pipeline{}}
	if l.base, err = autopipeline.Text2Image.FromPretrained(ctx, mc.Path, opts...); err != nil {
		return nil, fmt.Errorf("serve: model %s: load %s: %w", mc.Name, mc.Path, err)
	}
	if mc.InpaintPath != "" {
		if l.inpaint, err = autopipeline.Inpainting.FromPretrained(ctx, mc.InpaintPath, opts...); err != nil {
			return nil, fmt.Errorf("serve: model %s: load %s: %w", mc.Name, mc.InpaintPath, err)
		}
	}
	return l, nil
}

// Pipeline returns the model's pipeline for a task and scheduler class
// ("" keeps the model's own).
func (m *Models) Pipeline(name, task, scheduler string) (autopipeline.Pipeline, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	l, ok := m.models[name]
	if !ok {
		return nil, fmt.Errorf("serve: model %q is not loaded by this worker", name)
	}
	key := [2]string{task, scheduler}
	if p, ok := l.variants[key]; ok {
		return p, nil
	}
	src, t := l.base, autopipeline.Text2Image
	switch task {
	case taskImage2Image:
		t = autopipeline.Image2Image
	case taskInpaint:
		t = autopipeline.Inpainting
		if l.inpaint != nil {
			src = l.inpaint
		}
	}
	var opts []autopipeline.Option
	if d, ok := autopipeline.DefaultsOf(src); ok {
		opts = append(opts, autopipeline.WithDefaults(d))
	}
	if scheduler != "" {
		opts = append(opts, autopipeline.WithScheduler(scheduler))
	}
	p, err := t.FromPipe(src, opts...)
	if err != nil {
		return nil, fmt.Errorf("serve: model %s: %s pipeline: %w", name, task, err)
	}
	l.variants[key] = p
	return p, nil
}
