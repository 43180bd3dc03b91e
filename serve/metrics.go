package serve

import (
	"context"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/goautopipe/diffusers/serve/queue"
)

// Metrics are the Prometheus series of one process (front end, workers or
// both), on their own registry.
type Metrics struct {
	reg       *prometheus.Registry
	requests  *prometheus.CounterVec   // by API route and status code
	jobs      *prometheus.CounterVec   // finished jobs by model and state
	rejected  *prometheus.CounterVec   // refused at the door, by reason
	latency   *prometheus.HistogramVec // submit to final state, by model
	runtime   *prometheus.HistogramVec // generation time in a worker, by model
	steps     *prometheus.HistogramVec // time of one denoising step, by model
	failures  *prometheus.CounterVec   // failed attempts in workers, by model
	redeliver prometheus.Counter       // jobs received again after a lost worker
}

// NewMetrics creates the series; depth, when not nil, is read at scrape
// time for the queue depth gauge.
func NewMetrics(q *queue.Queue) *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	secs := prometheus.ExponentialBuckets(0.05, 2, 14) // 50 ms .. ~7 min
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "autopipe_http_requests_total", Help: "HTTP requests by route and status code."}, []string{"route", "code"})
	m.jobs = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "autopipe_jobs_total", Help: "Jobs that reached a final state, by model and state."}, []string{"model", "state"})
	m.rejected = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "autopipe_jobs_rejected_total", Help: "Requests refused before queueing, by reason."}, []string{"reason"})
	m.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "autopipe_job_latency_seconds", Help: "Time from submission to a final state, by model.", Buckets: secs}, []string{"model"})
	m.runtime = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "autopipe_job_run_seconds", Help: "Generation time in a worker, by model.", Buckets: secs}, []string{"model"})
	m.steps = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "autopipe_step_seconds", Help: "Time of one denoising step, by model.", Buckets: prometheus.ExponentialBuckets(0.001, 2, 16)}, []string{"model"})
	m.failures = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "autopipe_job_failures_total", Help: "Failed generation attempts in workers, by model."}, []string{"model"})
	m.redeliver = prometheus.NewCounter(prometheus.CounterOpts{Name: "autopipe_job_redeliveries_total", Help: "Jobs received again after their worker was lost or handed them back."})
	m.reg.MustRegister(m.requests, m.jobs, m.rejected, m.latency, m.runtime, m.steps, m.failures, m.redeliver)
	if q != nil {
		m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "autopipe_queue_depth", Help: "Jobs waiting or running in the queue."}, func() float64 {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			n, err := q.Depth(ctx)
			if err != nil {
				return -1
			}
			return float64(n)
		}))
	}
	return m
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}
