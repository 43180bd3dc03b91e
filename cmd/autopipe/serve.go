package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/goautopipe/diffusers/serve"
)

// services are the long-running subcommands (serve, worker).
var services = map[string]func(ctx context.Context, args []string, stdout, stderr io.Writer) error{
	"serve":  runServe,
	"worker": runWorker,
}

// serviceFlags are the flags serve and worker share; set ones override the
// config file.
type serviceFlags struct {
	config, model, name, dtype, nats, logLevel string
	workers, queueSize, maxSteps, maxImages    int
	maxPixels                                  int
	apiKeys                                    string
}

func (f *serviceFlags) declare(fs *flag.FlagSet) {
	fs.StringVar(&f.config, "config", "", "YAML config file with the models list and limits (see README, Serving)")
	fs.StringVar(&f.model, "model", "", "serve this one model (folder, Hub id or single file) without a config file")
	fs.StringVar(&f.name, "name", "", "name of --model in requests (default: its folder name)")
	fs.StringVar(&f.dtype, "dtype", "", "weight precision of --model: float32, float16 or bfloat16")
	fs.StringVar(&f.nats, "nats", "", "URL of an existing NATS server (default for serve: an embedded one)")
	fs.IntVar(&f.workers, "workers", -1, "generation loops in this process (serve: 0 queues only)")
	fs.IntVar(&f.queueSize, "queue-size", 0, "jobs waiting or running before requests get 429")
	fs.IntVar(&f.maxSteps, "max-steps", 0, "most inference steps a request may ask for")
	fs.IntVar(&f.maxImages, "max-images", 0, "most images one request may ask for")
	fs.IntVar(&f.maxPixels, "max-pixels", 0, "most pixels (width×height) of one image")
	fs.StringVar(&f.apiKeys, "api-keys", "", "comma-separated bearer keys required by the API (also $AUTOPIPE_API_KEYS)")
	fs.StringVar(&f.logLevel, "log-level", "info", "debug, info, warn or error")
}

// load reads the config file (if any) and applies the flags over it.
func (f *serviceFlags) load() (serve.Config, error) {
	var cfg serve.Config
	if f.config != "" {
		c, err := serve.LoadConfig(f.config)
		if err != nil {
			return cfg, err
		}
		cfg = c
	}
	if f.model != "" {
		name := f.name
		if name == "" {
			name = serve.NameFor(f.model)
		}
		cfg.Models = append([]serve.Model{{Name: name, Path: f.model, DType: f.dtype}}, cfg.Models...)
	}
	if cfg.Models == nil {
		return cfg, usagef("give --model <folder|org/name> or --config models.yaml")
	}
	if f.nats != "" {
		cfg.NATS = f.nats
	}
	if f.workers >= 0 {
		cfg.Workers = &f.workers
	}
	setInt(&cfg.Limits.QueueSize, f.queueSize)
	setInt(&cfg.Limits.MaxSteps, f.maxSteps)
	setInt(&cfg.Limits.MaxImages, f.maxImages)
	setInt(&cfg.Limits.MaxPixels, f.maxPixels)
	keys := f.apiKeys
	if keys == "" {
		keys = os.Getenv("AUTOPIPE_API_KEYS")
	}
	for k := range strings.SplitSeq(keys, ",") {
		if k = strings.TrimSpace(k); k != "" {
			cfg.APIKeys = append(cfg.APIKeys, k)
		}
	}
	cfg = cfg.WithDefaults()
	return cfg, cfg.Validate()
}

func setInt(dst *int, v int) {
	if v > 0 {
		*dst = v
	}
}

func (f *serviceFlags) logger(w io.Writer) (*slog.Logger, error) {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(f.logLevel)); err != nil {
		return nil, usagef("--log-level %q: use debug, info, warn or error", f.logLevel)
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: lvl})), nil
}

// runServe is `autopipe serve`.
func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("autopipe serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var f serviceFlags
	f.declare(fs)
	listen := fs.String("listen", "", "HTTP address (default 127.0.0.1:7860)")
	dataDir := fs.String("data-dir", "", "embedded NATS files: queued jobs survive restarts (default autopipe-data)")
	natsListen := fs.String("nats-listen", "", "let workers on other machines reach the embedded NATS here, e.g. 0.0.0.0:4222")
	stop := fs.Duration("stop-timeout", 60*time.Second, "on SIGTERM, how long running jobs may take before they are handed back")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: autopipe serve --model testdata/tiny-sd [--listen 127.0.0.1:7860] | --config models.yaml")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := f.load()
	if err != nil {
		return err
	}
	if *listen != "" {
		cfg.Listen = *listen
	}
	if *dataDir != "" {
		cfg.DataDir = *dataDir
	}
	if *natsListen != "" {
		cfg.NATSListen = *natsListen
	}
	log, err := f.logger(stderr)
	if err != nil {
		return err
	}
	return serve.Run(ctx, cfg, log, *stop)
}

// runWorker is `autopipe worker`.
func runWorker(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("autopipe worker", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var f serviceFlags
	f.declare(fs)
	metrics := fs.String("metrics-listen", "", "serve /metrics and /healthz here, e.g. 127.0.0.1:9100")
	grace := fs.Duration("stop-timeout", 60*time.Second, "on SIGTERM, how long the running job may take before it is handed back")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: autopipe worker --nats nats://host:4222 --config models.yaml")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := f.load()
	if err != nil {
		return err
	}
	if cfg.NATS == "" {
		return usagef("give --nats nats://host:4222 (the NATS the front ends use)")
	}
	log, err := f.logger(stderr)
	if err != nil {
		return err
	}
	return serve.RunWorker(ctx, cfg, log, serve.WorkerOptions{MetricsListen: *metrics, Grace: *grace})
}
