package serve

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/goautopipe/diffusers/serve/queue"
)

// Service is a running `autopipe serve`: HTTP front end, queue (embedded
// NATS unless Config.NATS is set) and local workers.
type Service struct {
	cfg     Config
	log     *slog.Logger
	ns      *server.Server // nil with an external NATS
	nc      *nats.Conn
	q       *queue.Queue
	srv     *Server
	http    *http.Server
	ln      net.Listener
	metrics *Metrics

	stopWorkers context.CancelFunc
	workers     sync.WaitGroup
	served      chan error
	stopOnce    sync.Once
	stopErr     error
}

// Start brings the service up; it returns once the HTTP listener is open.
// Models load in the background (/readyz says when they are in).
func Start(ctx context.Context, cfg Config, log *slog.Logger) (*Service, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &Service{cfg: cfg, log: log, served: make(chan error, 1)}
	if err := s.connect(ctx); err != nil {
		s.closeNATS()
		return nil, err
	}
	s.metrics = NewMetrics(s.q)
	srv, err := NewServer(cfg, s.q, log, s.metrics)
	if err != nil {
		s.closeNATS()
		return nil, err
	}
	s.srv = srv
	if s.ln, err = net.Listen("tcp", cfg.Listen); err != nil {
		s.closeNATS()
		return nil, fmt.Errorf("serve: listen %s: %w", cfg.Listen, err)
	}
	s.http = &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	go func() { s.served <- s.http.Serve(s.ln) }()
	wctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s.stopWorkers = cancel
	s.workers.Add(1)
	go func() {
		defer s.workers.Done()
		s.runWorkers(wctx)
	}()
	log.Info("serving", "url", s.URL(), "nats", s.NATSURL(), "workers", *cfg.Workers, "models", cfg.ModelNames())
	return s, nil
}

// connect starts or dials NATS and opens the queue.
func (s *Service) connect(ctx context.Context) error {
	url := s.cfg.NATS
	if url == "" {
		host, port, err := natsListen(s.cfg.NATSListen)
		if err != nil {
			return err
		}
		s.ns, err = queue.StartEmbedded(queue.EmbeddedOptions{Dir: s.cfg.DataDir, Host: host, Port: port})
		if err != nil {
			return err
		}
	}
	var err error
	if s.nc, err = queue.Connect(url, s.ns, "autopipe-serve"); err != nil {
		return err
	}
	s.q, err = queue.Open(ctx, s.nc, queueOptions(s.cfg))
	return err
}

func queueOptions(cfg Config) queue.Options {
	return queue.Options{MaxJobs: cfg.Limits.QueueSize, ResultTTL: time.Duration(cfg.Limits.ResultTTL), AckWait: time.Duration(cfg.Limits.AckWait)}
}

// natsListen splits "host:port" (empty: in-process only).
func natsListen(addr string) (string, int, error) {
	if addr == "" {
		return "", 0, nil
	}
	host, p, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, fmt.Errorf("serve: nats_listen %q: %w", addr, err)
	}
	port, err := strconv.Atoi(p)
	if err != nil || port < 0 || port > 65535 {
		return "", 0, fmt.Errorf("serve: nats_listen %q: bad port", addr)
	}
	if port == 0 {
		port = -1 // any free port
	}
	return host, port, nil
}

// runWorkers loads the models and runs the local worker loops.
func (s *Service) runWorkers(ctx context.Context) {
	n := *s.cfg.Workers
	if n == 0 {
		s.srv.SetReady(true)
		return
	}
	models, err := LoadModels(ctx, s.cfg.Models, s.log)
	if err != nil {
		s.log.Error("models not loaded; no local workers", "err", err)
		return
	}
	s.srv.SetReady(true)
	host, _ := os.Hostname()
	var wg sync.WaitGroup
	for i := range n {
		w := &Worker{Name: fmt.Sprintf("%s-%d-%d", host, os.Getpid(), i), Queue: s.q, Models: models,
			Limits: s.cfg.Limits, Log: s.log, Metrics: s.metrics}
		wg.Go(func() { _ = w.Run(ctx) })
	}
	wg.Wait()
}

// URL is the HTTP base URL.
func (s *Service) URL() string { return "http://" + s.ln.Addr().String() }

// NATSURL is where other processes reach the queue ("" when in-process only).
func (s *Service) NATSURL() string {
	if s.ns == nil {
		return s.cfg.NATS
	}
	if s.cfg.NATSListen == "" {
		return ""
	}
	return s.ns.ClientURL()
}

// Queue is the service's queue handle.
func (s *Service) Queue() *queue.Queue { return s.q }

// Stop shuts down gracefully: no new requests, waiting calls finish while
// the local workers finish their jobs (or hand them back to the queue at
// the grace period), then NATS closes. Queued jobs stay in the stream.
func (s *Service) Stop(ctx context.Context) error {
	s.stopOnce.Do(func() { s.stopErr = s.stop(ctx) })
	return s.stopErr
}

func (s *Service) stop(ctx context.Context) error {
	s.srv.BeginStop()
	herr := s.http.Shutdown(ctx)
	if herr != nil {
		_ = s.http.Close()
	}
	s.stopWorkers()
	s.workers.Wait()
	s.srv.Close()
	s.closeNATS()
	if err := <-s.served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	if herr != nil && !errors.Is(herr, context.DeadlineExceeded) {
		return herr
	}
	return nil
}

func (s *Service) closeNATS() {
	if s.nc != nil {
		queue.Close(s.nc)
	}
	if s.ns != nil {
		s.ns.Shutdown()
		s.ns.WaitForShutdown()
	}
}

// Run serves until ctx ends, then stops gracefully within stopTimeout.
func Run(ctx context.Context, cfg Config, log *slog.Logger, stopTimeout time.Duration) error {
	s, err := Start(ctx, cfg, log)
	if err != nil {
		return err
	}
	select {
	case <-ctx.Done():
	case err := <-s.served:
		s.served <- err
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), stopTimeout)
	defer cancel()
	return s.Stop(sctx)
}
