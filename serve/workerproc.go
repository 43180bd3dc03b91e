package serve

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/goautopipe/diffusers/serve/queue"
)

// WorkerOptions configure a worker process (`autopipe worker`).
type WorkerOptions struct {
	// MetricsListen, when set, serves /metrics and /healthz there.
	MetricsListen string
	// Grace is how long a stopping worker lets its job finish before
	// handing it back [the ack wait].
	Grace time.Duration
}

// RunWorker connects to cfg.NATS, loads the models and processes jobs
// until ctx ends; the job in hand is finished or handed back.
func RunWorker(ctx context.Context, cfg Config, log *slog.Logger, o WorkerOptions) error {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return err
	}
	if cfg.NATS == "" {
		return errors.New("serve: worker: no NATS url: give --nats nats://host:4222")
	}
	nc, err := queue.Connect(cfg.NATS, nil, "autopipe-worker")
	if err != nil {
		return err
	}
	defer queue.Close(nc)
	q, err := queue.Open(ctx, nc, queueOptions(cfg))
	if err != nil {
		return err
	}
	m := NewMetrics(q)
	if o.MetricsListen != "" {
		stop, err := serveMetrics(o.MetricsListen, m)
		if err != nil {
			return err
		}
		defer stop()
	}
	models, err := LoadModels(ctx, cfg.Models, log)
	if err != nil {
		return err
	}
	host, _ := os.Hostname()
	var wg sync.WaitGroup
	for i := range *cfg.Workers {
		w := &Worker{Name: fmt.Sprintf("%s-%d-%d", host, os.Getpid(), i), Queue: q, Models: models,
			Limits: cfg.Limits, Log: log, Metrics: m, Grace: o.Grace}
		wg.Go(func() { _ = w.Run(ctx) })
	}
	wg.Wait()
	return nil
}

func serveMetrics(addr string, m *Metrics) (func(), error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("serve: metrics listen %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.Handler())
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return func() { _ = srv.Close() }, nil
}
