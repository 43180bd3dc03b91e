package serve

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/goautopipe/diffusers/serve/queue"
)

// Server is the HTTP front end: it checks requests, queues them and reports
// on them. It holds no model; workers (in this process or others) do the
// generating.
type Server struct {
	cfg     Config
	q       *queue.Queue
	log     *slog.Logger
	metrics *Metrics
	// ready is set once the queue is open and, with local workers, the
	// models are loaded.
	ready atomic.Bool
	// stopping is set during shutdown: calls cut short then do not cancel
	// their jobs, which stay queued for the next start.
	stopping atomic.Bool
	// closing is closed when shutdown begins: event streams end.
	closing   chan struct{}
	closeOnce sync.Once
	model     atomic.Value // A1111's current model (string)

	progressMu sync.Mutex
	progress   map[string]tracked // last step of running jobs
	progSub    *nats.Subscription
	// avgJob is a moving average of job latency in seconds, for Retry-After.
	avgJob atomic.Uint64
}

// maxTracked bounds the in-memory progress table.
const maxTracked = 4096

// NewServer returns a front end over q.
func NewServer(cfg Config, q *queue.Queue, log *slog.Logger, m *Metrics) (*Server, error) {
	s := &Server{cfg: cfg, q: q, log: log, metrics: m, progress: map[string]tracked{}, closing: make(chan struct{})}
	s.model.Store(cfg.Models[0].Name)
	s.avgJob.Store(math.Float64bits(5))
	sub, err := q.OnProgress("*", s.trackProgress)
	if err != nil {
		return nil, err
	}
	s.progSub = sub
	return s, nil
}

// Close stops the progress subscription.
func (s *Server) Close() { _ = s.progSub.Unsubscribe() }

// BeginStop starts a graceful shutdown: /readyz fails, event streams end
// (clients reconnect elsewhere) and interrupted calls leave their jobs queued.
func (s *Server) BeginStop() {
	s.SetReady(false)
	s.stopping.Store(true)
	s.closeOnce.Do(func() { close(s.closing) })
}

// SetReady marks the server ready (or not) for /readyz.
func (s *Server) SetReady(ok bool) { s.ready.Store(ok) }

func (s *Server) currentModel() string { return s.model.Load().(string) }

// tracked is a job's last step and when it came.
type tracked struct {
	queue.Progress
	at time.Time
}

// staleProgress is when a job that stopped reporting (cancelled, its worker
// lost) leaves the progress table.
const staleProgress = 5 * time.Minute

func (s *Server) trackProgress(p queue.Progress) {
	s.progressMu.Lock()
	defer s.progressMu.Unlock()
	if p.Step >= p.Total {
		delete(s.progress, p.ID)
		return
	}
	now := time.Now()
	if _, ok := s.progress[p.ID]; !ok && len(s.progress) >= maxTracked {
		for id, t := range s.progress {
			if now.Sub(t.at) > staleProgress {
				delete(s.progress, id)
			}
		}
		if len(s.progress) >= maxTracked {
			return
		}
	}
	s.progress[p.ID] = tracked{p, now}
}

func (s *Server) lastProgress(id string) (queue.Progress, bool) {
	s.progressMu.Lock()
	defer s.progressMu.Unlock()
	p, ok := s.progress[id]
	return p.Progress, ok
}

// anyProgress returns the most advanced running job's progress (A1111's
// single-job view) and the number of jobs running.
func (s *Server) anyProgress() (queue.Progress, int) {
	s.progressMu.Lock()
	defer s.progressMu.Unlock()
	var best queue.Progress
	n := 0
	for _, t := range s.progress {
		if time.Since(t.at) > staleProgress {
			continue
		}
		n++
		p := t.Progress
		if p.Total > 0 && (best.Total == 0 || float64(p.Step)/float64(p.Total) > float64(best.Step)/float64(best.Total)) {
			best = p
		}
	}
	return best, n
}

// Handler is the whole HTTP API.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	s.routeWeb(mux)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	mux.HandleFunc("GET /readyz", s.readyz)
	mux.Handle("GET /metrics", s.metrics.Handler())
	s.routeNative(mux)
	s.routeOpenAI(mux)
	s.routeA1111(mux)
	return s.middleware(mux)
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	_, err := s.q.Depth(ctx)
	switch {
	case !s.ready.Load():
		http.Error(w, "not ready: loading", http.StatusServiceUnavailable)
	case err != nil:
		http.Error(w, "not ready: queue unreachable: "+err.Error(), http.StatusServiceUnavailable)
	default:
		_, _ = w.Write([]byte("ready\n"))
	}
}

// public paths need no API key.
func public(path string) bool {
	return path == "/" || strings.HasPrefix(path, "/static/") || path == "/healthz" || path == "/readyz" || path == "/metrics"
}

// middleware adds the body limit, API keys, panic recovery, logs and metrics.
func (s *Server) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &recorder{ResponseWriter: w, code: http.StatusOK}
		defer func() {
			if p := recover(); p != nil {
				s.log.Error("handler panic", "path", r.URL.Path, "panic", p)
				s.writeError(rec, r, statusError(http.StatusInternalServerError, "internal error"))
			}
			s.metrics.requests.WithLabelValues(route(r.URL.Path), strconv.Itoa(rec.code)).Inc()
			s.log.Debug("http", "method", r.Method, "path", r.URL.Path, "code", rec.code, "seconds", time.Since(start).Seconds())
		}()
		r.Body = http.MaxBytesReader(rec, r.Body, s.cfg.Limits.MaxBodyBytes)
		if !public(r.URL.Path) && !s.authorized(r) {
			rec.Header().Set("WWW-Authenticate", `Bearer realm="autopipe"`)
			s.writeError(rec, r, statusError(http.StatusUnauthorized, "missing or wrong API key: send Authorization: Bearer <key>"))
			return
		}
		next.ServeHTTP(rec, r)
	})
}

// routes are the metric labels of the fixed paths; others are "other", so
// that request paths cannot grow the series without bound.
var routes = map[string]bool{
	"/": true, "/healthz": true, "/readyz": true, "/metrics": true, "/v1/models": true, "/v1/schedulers": true,
	"/v1/images/generations": true, "/v1/images/edits": true, "/sdapi/v1/txt2img": true, "/sdapi/v1/img2img": true,
	"/sdapi/v1/progress": true, "/sdapi/v1/sd-models": true, "/sdapi/v1/samplers": true, "/sdapi/v1/options": true,
}

// route names a path for metrics, without job ids.
func route(p string) string {
	switch {
	case routes[p]:
		return p
	case strings.HasPrefix(p, "/v1/jobs"):
		return "/v1/jobs"
	case strings.HasPrefix(p, "/static/"):
		return "/static/"
	}
	return "other"
}

func (s *Server) authorized(r *http.Request) bool {
	if len(s.cfg.APIKeys) == 0 {
		return true
	}
	key, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return false
	}
	match := 0
	for _, k := range s.cfg.APIKeys {
		match |= subtle.ConstantTimeCompare([]byte(key), []byte(k))
	}
	return match == 1
}

type recorder struct {
	http.ResponseWriter
	code int
}

func (r *recorder) WriteHeader(code int) { r.code = code; r.ResponseWriter.WriteHeader(code) }
func (r *recorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// writeJSON writes v with status code.
func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

// writeError answers err in the error shape of the API the path belongs to.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	code, msg := statusOf(err)
	var he *httpError
	if errors.As(err, &he) && he.retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(he.retryAfter))
	}
	if code >= 500 {
		s.log.Error("request failed", "path", r.URL.Path, "code", code, "err", msg)
	}
	switch {
	case strings.HasPrefix(r.URL.Path, "/v1/images"):
		writeJSON(w, code, map[string]any{"error": map[string]any{"message": msg, "type": openAIErrorType(code), "param": nil, "code": nil}})
	case strings.HasPrefix(r.URL.Path, "/sdapi/"):
		writeJSON(w, code, map[string]any{"error": http.StatusText(code), "detail": msg})
	default:
		writeJSON(w, code, map[string]any{"error": msg})
	}
}

func openAIErrorType(code int) string {
	switch {
	case code == http.StatusUnauthorized:
		return "authentication_error"
	case code == http.StatusTooManyRequests:
		return "rate_limit_error"
	case code < 500:
		return "invalid_request_error"
	}
	return "server_error"
}

// decodeJSON reads a JSON body into v, refusing trailing data.
func decodeJSON(r *http.Request, v any) error {
	dec := json.NewDecoder(r.Body)
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if dec.More() {
		return badRequestf("malformed JSON body: data after the object")
	}
	return nil
}

// jsonError turns a decoding error into the answer for it.
func jsonError(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return err
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return badRequestf("field %q: want a %s, got a JSON %s", te.Field, te.Type, te.Value)
	}
	if errors.Is(err, io.EOF) {
		return badRequestf("empty body: want a JSON object")
	}
	return badRequestf("malformed JSON body: %v", err)
}
