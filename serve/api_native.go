package serve

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/goautopipe/diffusers/serve/queue"
)

// nativeRequest is the body of POST /v1/jobs.
type nativeRequest struct {
	Model          string  `json:"model"`
	Task           string  `json:"task"` // text2img (default), img2img, inpaint
	Prompt         string  `json:"prompt"`
	NegativePrompt string  `json:"negative_prompt"`
	Width          int     `json:"width"`
	Height         int     `json:"height"`
	Steps          int     `json:"steps"`
	N              int     `json:"n"`
	Seed           *int64  `json:"seed"` // absent or null: random
	GuidanceScale  float64 `json:"guidance_scale"`
	Strength       float64 `json:"strength"`
	Scheduler      string  `json:"scheduler"`
	Image          string  `json:"image"` // base64 or data URL
	Mask           string  `json:"mask"`
}

// jobView is a job as the native API shows it.
type jobView struct {
	queue.Status
	Images []string `json:"image_urls,omitempty"`
}

func (s *Server) routeNative(mux *http.ServeMux) {
	mux.HandleFunc("POST /v1/jobs", s.postJob)
	mux.HandleFunc("GET /v1/jobs/{id}", s.getJob)
	mux.HandleFunc("DELETE /v1/jobs/{id}", s.deleteJob)
	mux.HandleFunc("GET /v1/jobs/{id}/events", s.jobEvents)
	mux.HandleFunc("GET /v1/jobs/{id}/images/{n}", s.jobImage)
	mux.HandleFunc("GET /v1/models", s.listModels)
	mux.HandleFunc("GET /v1/schedulers", func(w http.ResponseWriter, _ *http.Request) {
		names := make([]string, len(samplers))
		for i, sm := range samplers {
			names[i] = sm.a1111
		}
		writeJSON(w, http.StatusOK, map[string]any{"schedulers": SchedulerNames(), "samplers": names})
	})
}

func (s *Server) postJob(w http.ResponseWriter, r *http.Request) {
	var req nativeRequest
	if err := decodeJSON(r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	j := &job{spec: queue.Spec{Model: req.Model, Task: req.Task, Prompt: req.Prompt, NegativePrompt: req.NegativePrompt,
		Width: req.Width, Height: req.Height, Steps: req.Steps, N: req.N, GuidanceScale: req.GuidanceScale,
		Strength: req.Strength, Scheduler: req.Scheduler}, randomSeed: req.Seed == nil}
	if req.Seed != nil {
		j.spec.Seed = *req.Seed
	}
	var err error
	if j.image, err = decodeB64("image", req.Image); err != nil {
		s.writeError(w, r, err)
		return
	}
	if j.mask, err = decodeB64("mask", req.Mask); err != nil {
		s.writeError(w, r, err)
		return
	}
	spec, err := s.submit(r.Context(), j)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Location", "/v1/jobs/"+spec.ID)
	writeJSON(w, http.StatusAccepted, jobView{Status: queue.Status{ID: spec.ID, State: queue.Queued, Spec: spec}})
}

// lookup reads the job named in the path.
func (s *Server) lookup(r *http.Request) (queue.Status, error) {
	id := r.PathValue("id")
	if !jobID.MatchString(id) {
		return queue.Status{}, statusError(http.StatusNotFound, "no job %q", id)
	}
	st, _, err := s.q.Status(r.Context(), id)
	if errors.Is(err, queue.ErrNotFound) {
		return st, statusError(http.StatusNotFound, "no job %q (never submitted, or expired)", id)
	}
	if err != nil {
		return st, statusError(http.StatusServiceUnavailable, "the job queue is unavailable: %v", err)
	}
	return st, nil
}

func (s *Server) view(st queue.Status) jobView {
	v := jobView{Status: st}
	if p, ok := s.lastProgress(st.ID); ok && st.State == queue.Running {
		v.Step, v.Total = p.Step, p.Total
	}
	for i := range st.Images {
		v.Images = append(v.Images, fmt.Sprintf("/v1/jobs/%s/images/%d", st.ID, i))
	}
	return v
}

func (s *Server) getJob(w http.ResponseWriter, r *http.Request) {
	st, err := s.lookup(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, s.view(st))
}

func (s *Server) deleteJob(w http.ResponseWriter, r *http.Request) {
	st, err := s.lookup(r)
	if err == nil {
		st, err = s.cancel(r.Context(), st.ID)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, s.view(st))
}

func (s *Server) jobImage(w http.ResponseWriter, r *http.Request) {
	st, err := s.lookup(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	n, err := strconv.Atoi(r.PathValue("n"))
	if err != nil || n < 0 || n >= st.Images {
		s.writeError(w, r, statusError(http.StatusNotFound, "job %s has no image %q", st.ID, r.PathValue("n")))
		return
	}
	b, err := s.q.Result(r.Context(), st.ID, n)
	if err != nil {
		s.writeError(w, r, statusError(http.StatusNotFound, "job %s: image %d: %v", st.ID, n, err))
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "private, max-age=86400, immutable")
	_, _ = w.Write(b)
}

// jobEvents streams a job as Server-Sent Events: "status" on every state
// change, "progress" on every step; the stream ends after a final status.
func (s *Server) jobEvents(w http.ResponseWriter, r *http.Request) {
	st, err := s.lookup(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	flusher, ok := w.(http.Flusher)
	if !ok {
		s.writeError(w, r, statusError(http.StatusInternalServerError, "streaming unsupported"))
		return
	}
	steps := make(chan queue.Progress, 64)
	sub, err := s.q.OnProgress(st.ID, func(p queue.Progress) {
		select {
		case steps <- p:
		default: // a slow client skips steps, never blocks NATS
		}
	})
	if err != nil {
		s.writeError(w, r, statusError(http.StatusServiceUnavailable, "%v", err))
		return
	}
	defer func() { _ = sub.Unsubscribe() }()
	states, err := s.q.Watch(r.Context(), st.ID)
	if err != nil {
		s.writeError(w, r, statusError(http.StatusServiceUnavailable, "%v", err))
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	s.streamEvents(w, flusher, r, states, steps)
}

func (s *Server) streamEvents(w http.ResponseWriter, f http.Flusher, r *http.Request, states <-chan queue.Status, steps <-chan queue.Progress) {
	send := func(event string, v any) {
		b, _ := json.Marshal(v)
		_, _ = fmt.Fprintf(w, "event: %s\ndata: %s\n\n", event, b)
		f.Flush()
	}
	keepalive := time.NewTicker(15 * time.Second)
	defer keepalive.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-s.closing:
			return
		case <-keepalive.C:
			_, _ = fmt.Fprint(w, ": keepalive\n\n")
			f.Flush()
		case p := <-steps:
			send("progress", p)
		case st, ok := <-states:
			if !ok {
				return
			}
			send("status", s.view(st))
			if st.State.Final() {
				s.observeLatency(st)
				return
			}
		}
	}
}

func (s *Server) listModels(w http.ResponseWriter, _ *http.Request) {
	type model struct {
		ID      string `json:"id"`
		Object  string `json:"object"`
		Created int64  `json:"created"`
		OwnedBy string `json:"owned_by"`
	}
	data := make([]model, len(s.cfg.Models))
	for i, m := range s.cfg.Models {
		data[i] = model{ID: m.Name, Object: "model", OwnedBy: "autopipe"}
	}
	writeJSON(w, http.StatusOK, map[string]any{"object": "list", "data": data, "current": s.currentModel()})
}
