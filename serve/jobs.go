package serve

import (
	"context"
	"errors"
	"math"
	"net/http"
	"regexp"
	"time"

	"github.com/goautopipe/diffusers/serve/queue"
)

var jobID = regexp.MustCompile(`^[0-9a-f]{24}$`)

// submit checks a job and queues it.
func (s *Server) submit(ctx context.Context, j *job) (queue.Spec, error) {
	if err := s.check(j); err != nil {
		s.metrics.rejected.WithLabelValues("invalid").Inc()
		return j.spec, err
	}
	err := s.q.Submit(ctx, j.spec, j.image, j.mask)
	switch {
	case errors.Is(err, queue.ErrQueueFull):
		s.metrics.rejected.WithLabelValues("queue_full").Inc()
		return j.spec, &httpError{status: http.StatusTooManyRequests, retryAfter: s.retryAfter(),
			msg: "the job queue is full; retry later"}
	case err != nil:
		s.log.Error("submit failed", "err", err)
		return j.spec, &httpError{status: http.StatusServiceUnavailable, retryAfter: 1, msg: "the job queue is unavailable; retry later"}
	}
	s.log.Info("job queued", "job", j.spec.ID, "model", j.spec.Model, "task", j.spec.Task, "steps", j.spec.Steps, "n", j.spec.N)
	return j.spec, nil
}

// retryAfter estimates, in whole seconds, when a slot frees up: the
// moving average of job latency seen here.
func (s *Server) retryAfter() int {
	avg := math.Float64frombits(s.avgJob.Load())
	return max(1, int(math.Ceil(avg)))
}

func (s *Server) observeLatency(st queue.Status) {
	if st.State != queue.Done || st.Finished.IsZero() {
		return
	}
	d := st.Finished.Sub(st.Spec.Submitted).Seconds()
	old := math.Float64frombits(s.avgJob.Load())
	s.avgJob.Store(math.Float64bits(0.8*old + 0.2*d))
}

// wait blocks until the job is final, the wait limit passes or the client
// goes away (which cancels the job: nobody is left to receive it).
func (s *Server) wait(ctx context.Context, id string) (queue.Status, error) {
	wctx, cancel := context.WithTimeout(ctx, time.Duration(s.cfg.Limits.Wait))
	defer cancel()
	ch, err := s.q.Watch(wctx, id)
	if err != nil {
		return queue.Status{}, statusError(http.StatusServiceUnavailable, "the job queue is unavailable: %v", err)
	}
	var last queue.Status
	for st := range ch {
		last = st
	}
	if last.State.Final() {
		s.observeLatency(last)
		return last, nil
	}
	if ctx.Err() != nil && !s.stopping.Load() {
		_, _ = s.cancel(context.WithoutCancel(ctx), id)
		return last, ctx.Err()
	}
	return last, statusError(http.StatusGatewayTimeout, "job %s is still %s after %s; follow it at /v1/jobs/%s", id, last.State, time.Duration(s.cfg.Limits.Wait), id)
}

// outcome turns a final status into nil (done) or the HTTP error to answer.
func outcome(st queue.Status) error {
	switch st.State {
	case queue.Done:
		return nil
	case queue.Invalid:
		return badRequestf("%s", st.Error)
	case queue.Cancelled:
		return statusError(http.StatusConflict, "job %s was cancelled", st.ID)
	}
	return statusError(http.StatusInternalServerError, "job %s failed: %s", st.ID, st.Error)
}

// results fetches a done job's images.
func (s *Server) results(ctx context.Context, st queue.Status) ([][]byte, error) {
	out := make([][]byte, st.Images)
	for i := range out {
		b, err := s.q.Result(ctx, st.ID, i)
		if err != nil {
			return nil, statusError(http.StatusInternalServerError, "job %s: image %d: %v", st.ID, i, err)
		}
		out[i] = b
	}
	return out, nil
}

// run submits a job, waits for it and returns its status and images.
func (s *Server) run(ctx context.Context, j *job) (queue.Status, [][]byte, error) {
	spec, err := s.submit(ctx, j)
	if err != nil {
		return queue.Status{Spec: spec}, nil, err
	}
	st, err := s.wait(ctx, spec.ID)
	if err != nil {
		return st, nil, err
	}
	if err := outcome(st); err != nil {
		return st, nil, err
	}
	imgs, err := s.results(ctx, st)
	return st, imgs, err
}

// cancel stops a job: a queued one is marked cancelled (its worker skips
// it), a running one is told to stop.
func (s *Server) cancel(ctx context.Context, id string) (queue.Status, error) {
	st, _, err := s.q.Transition(ctx, id, func(st *queue.Status) bool {
		if st.State != queue.Queued {
			return false
		}
		st.State, st.Error, st.Finished = queue.Cancelled, "cancelled", time.Now().UTC()
		return true
	})
	if err != nil {
		return st, err
	}
	if st.State == queue.Running {
		err = s.q.RequestCancel(id)
	}
	return st, err
}
