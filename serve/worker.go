package serve

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"log/slog"
	"time"

	"github.com/goautopipe/diffusers/autopipeline"
	"github.com/goautopipe/diffusers/serve/queue"
)

// Worker pulls jobs from the queue and generates them, one at a time.
type Worker struct {
	Name    string
	Queue   *queue.Queue
	Models  *Models
	Limits  Limits
	Log     *slog.Logger
	Metrics *Metrics
	// Grace is how long a stopping worker lets its job finish before it
	// hands the job back to the queue [the ack wait].
	Grace time.Duration
}

var (
	errCancelled = errors.New("job cancelled")
	errShutdown  = errors.New("worker shutting down")
)

// Run processes jobs until ctx ends, then finishes (or hands back) the job
// in hand and returns.
func (w *Worker) Run(ctx context.Context) error {
	cons, err := w.Queue.Consumer(ctx)
	if err != nil {
		return err
	}
	// Jobs run on their own context: stopping the worker stops the intake
	// at once and the job in hand after the grace period.
	jobCtx, stopJobs := context.WithCancelCause(context.WithoutCancel(ctx))
	defer stopJobs(nil)
	go func() {
		<-ctx.Done()
		grace := w.Grace
		if grace <= 0 {
			grace = time.Duration(w.Limits.AckWait)
		}
		t := time.NewTimer(grace)
		defer t.Stop()
		select {
		case <-t.C:
			stopJobs(errShutdown)
		case <-jobCtx.Done():
		}
	}()
	w.Log.Info("worker started", "worker", w.Name)
	for ctx.Err() == nil {
		d, err := cons.Next(ctx, 2*time.Second)
		switch {
		case errors.Is(err, queue.ErrNoJob) || errors.Is(err, context.Canceled):
			continue
		case err != nil:
			w.Log.Warn("fetch failed; retrying", "worker", w.Name, "err", err)
			sleep(ctx, time.Second)
			continue
		}
		w.handle(jobCtx, d)
	}
	w.Log.Info("worker stopped", "worker", w.Name)
	return nil
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// handle takes one delivery to its end: result stored and acknowledged,
// handed back, or dropped with a final state.
func (w *Worker) handle(ctx context.Context, d *queue.Delivery) {
	id := d.Spec.ID
	log := w.Log.With("job", id, "worker", w.Name, "attempt", d.Attempt)
	st, _, err := w.Queue.Status(ctx, id)
	switch {
	case errors.Is(err, queue.ErrNotFound):
		log.Warn("job has no status (expired); dropped")
		_ = d.Drop("no status")
		return
	case err != nil:
		log.Warn("status read failed; handing back", "err", err)
		_ = d.Retry(time.Second)
		return
	case st.State.Final():
		_ = d.Ack(ctx) // a previous delivery finished it
		return
	}
	if d.Attempt > 1 {
		w.Metrics.redeliver.Inc()
	}
	if d.Attempt > w.Limits.MaxDeliver {
		w.deadLetter(ctx, d, fmt.Sprintf("given up after %d deliveries: %s", d.Attempt-1, lastError(st)), log)
		return
	}
	_, _, err = w.Queue.Transition(ctx, id, func(s *queue.Status) bool {
		if s.State.Final() {
			return false
		}
		s.State, s.Attempts, s.Worker, s.Started, s.Step, s.Total = queue.Running, d.Attempt, w.Name, time.Now().UTC(), 0, 0
		return true
	})
	if err != nil {
		log.Warn("status update failed; handing back", "err", err)
		_ = d.Retry(time.Second)
		return
	}
	w.run(ctx, d, log)
}

func lastError(st queue.Status) string {
	if st.Error != "" {
		return st.Error
	}
	return "the worker was lost each time"
}

// run generates the job and settles it.
func (w *Worker) run(parent context.Context, d *queue.Delivery, log *slog.Logger) {
	ctx, cancel := context.WithCancelCause(parent)
	defer cancel(nil)
	sub, err := w.Queue.OnCancel(d.Spec.ID, func() { cancel(errCancelled) })
	if err == nil {
		defer func() { _ = sub.Unsubscribe() }()
	}
	stopBeat := w.heartbeat(ctx, d)
	start := time.Now()
	n, info, err := w.generate(ctx, d.Spec)
	stopBeat()
	w.Metrics.runtime.WithLabelValues(d.Spec.Model).Observe(time.Since(start).Seconds())
	cause := context.Cause(ctx)
	switch {
	case err == nil:
		w.finish(parent, d, queue.Done, "", func(s *queue.Status) { s.Images, s.Info = n, info }, log)
	case errors.Is(err, autopipeline.ErrInvalidRequest):
		w.finish(parent, d, queue.Invalid, err.Error(), nil, log)
	case errors.Is(cause, errCancelled):
		w.finish(parent, d, queue.Cancelled, "cancelled", nil, log)
	case errors.Is(cause, errShutdown):
		w.handBack(d, "", 0, log)
	default:
		w.Metrics.failures.WithLabelValues(d.Spec.Model).Inc()
		if d.Attempt >= w.Limits.MaxDeliver {
			w.deadLetter(parent, d, err.Error(), log)
			return
		}
		w.handBack(d, err.Error(), time.Duration(d.Attempt)*time.Second, log)
	}
}

// heartbeat keeps the job ours while it runs: JetStream redelivers it only
// when these stop (the worker died).
func (w *Worker) heartbeat(ctx context.Context, d *queue.Delivery) func() {
	every := time.Duration(w.Limits.AckWait) / 4
	ctx, cancel := context.WithCancel(ctx)
	go func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				_ = d.InProgress()
			}
		}
	}()
	return cancel
}

// finish stores a final state (once: a state already final is kept) and
// removes the job from the queue.
func (w *Worker) finish(ctx context.Context, d *queue.Delivery, state queue.State, msg string, set func(*queue.Status), log *slog.Logger) {
	ctx = context.WithoutCancel(ctx)
	st, changed, err := w.Queue.Transition(ctx, d.Spec.ID, func(s *queue.Status) bool {
		if s.State.Final() {
			return false
		}
		s.State, s.Error, s.Finished = state, msg, time.Now().UTC()
		if set != nil {
			set(s)
		}
		return true
	})
	if err != nil {
		log.Warn("final status not stored; handing back", "state", state, "err", err)
		_ = d.Retry(time.Second)
		return
	}
	if changed {
		w.Metrics.jobs.WithLabelValues(d.Spec.Model, string(state)).Inc()
		w.Metrics.latency.WithLabelValues(d.Spec.Model).Observe(st.Finished.Sub(st.Spec.Submitted).Seconds())
		log.Info("job finished", "state", state, "images", st.Images, "seconds", st.Finished.Sub(st.Started).Seconds(), "error", msg)
	}
	if err := d.Ack(ctx); err != nil {
		log.Warn("ack failed; the job may be delivered again and will be skipped", "err", err)
	}
}

// handBack returns the job to the queue for another attempt.
func (w *Worker) handBack(d *queue.Delivery, msg string, delay time.Duration, log *slog.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, _, _ = w.Queue.Transition(ctx, d.Spec.ID, func(s *queue.Status) bool {
		if s.State.Final() {
			return false
		}
		s.State, s.Error, s.Step, s.Total = queue.Queued, msg, 0, 0
		return true
	})
	log.Info("job handed back", "error", msg)
	_ = d.Retry(delay)
}

// deadLetter publishes the job with its error and fails it.
func (w *Worker) deadLetter(ctx context.Context, d *queue.Delivery, msg string, log *slog.Logger) {
	ctx = context.WithoutCancel(ctx)
	dl := queue.DeadLetter{Spec: d.Spec, Error: msg, Attempts: d.Attempt, Time: time.Now().UTC()}
	if err := w.Queue.DeadLetter(ctx, dl); err != nil {
		log.Warn("dead letter not stored; handing back", "err", err)
		_ = d.Retry(time.Second)
		return
	}
	log.Warn("job dead-lettered", "error", msg)
	w.finish(ctx, d, queue.Failed, msg, nil, log)
}

// generate runs the pipeline and stores the images; it returns their
// number and parameters texts.
func (w *Worker) generate(ctx context.Context, sp queue.Spec) (int, []string, error) {
	p, err := w.Models.Pipeline(sp.Model, sp.Task, sp.Scheduler)
	if err != nil {
		return 0, nil, err
	}
	req := autopipeline.Request{
		Prompt: sp.Prompt, NegativePrompt: sp.NegativePrompt, Width: sp.Width, Height: sp.Height,
		NumInferenceSteps: sp.Steps, NumImagesPerPrompt: sp.N, GuidanceScale: sp.GuidanceScale,
		Strength: sp.Strength, Seed: sp.Seed, Callback: w.progress(ctx, sp),
	}
	if req.Image, err = w.input(ctx, sp, "image", sp.HasImage); err != nil {
		return 0, nil, err
	}
	if req.MaskImage, err = w.input(ctx, sp, "mask", sp.HasMask); err != nil {
		return 0, nil, err
	}
	out, err := p.Generate(ctx, req)
	if err != nil {
		return 0, nil, err
	}
	info := make([]string, len(out.Images))
	for i, img := range out.Images {
		params := autopipeline.ParametersFor(p, out.Request, img)
		params.Model = sp.Model
		info[i] = params.String()
		var buf bytes.Buffer
		if err := autopipeline.EncodePNG(&buf, img, params); err != nil {
			return 0, nil, fmt.Errorf("serve: encode image %d: %w", i, err)
		}
		if err := w.Queue.PutResult(ctx, sp.ID, i, buf.Bytes()); err != nil {
			return 0, nil, err
		}
	}
	return len(out.Images), info, nil
}

// input loads and decodes a job's input image, within the pixel limit.
func (w *Worker) input(ctx context.Context, sp queue.Spec, name string, has bool) (image.Image, error) {
	if !has {
		return nil, nil
	}
	b, err := w.Queue.Input(ctx, sp.ID, name)
	if err != nil {
		return nil, err
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(b))
	if err != nil || cfg.Width*cfg.Height > w.Limits.MaxPixels {
		return nil, fmt.Errorf("serve: %s of job %s: unreadable or over %d pixels: %w", name, sp.ID, w.Limits.MaxPixels, autopipeline.ErrInvalidRequest)
	}
	img, _, err := image.Decode(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("serve: %s of job %s: %v: %w", name, sp.ID, err, autopipeline.ErrInvalidRequest)
	}
	return img, nil
}

// progress returns the step callback: it publishes step events, observes
// step times and tells JetStream the job is alive.
func (w *Worker) progress(ctx context.Context, sp queue.Spec) func(step, total int) {
	last := time.Now()
	hist := w.Metrics.steps.WithLabelValues(sp.Model)
	return func(step, total int) {
		now := time.Now()
		hist.Observe(now.Sub(last).Seconds())
		last = now
		w.Queue.PublishProgress(queue.Progress{ID: sp.ID, Step: step, Total: total, Worker: w.Name})
	}
}
