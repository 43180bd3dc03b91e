package hub

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/goautopipe/diffusers/internal/config"
)

// DefaultEndpoint is the Hub used when neither WithEndpoint nor HF_ENDPOINT
// says otherwise.
const DefaultEndpoint = "https://huggingface.co"

// DefaultRevision is the branch used when no revision is given.
const DefaultRevision = "main"

// Option configures a Client (NewClient) or a single call (Download,
// DownloadPipeline); options given to a call override the client's.
type Option func(*settings)

// Progress reports transfer progress. Done/Total cover every byte this
// call transfers (files already in the cache are not counted); Total grows
// when more files are announced (DownloadPipeline fetches model_index.json
// before choosing the component files). FileDone/FileTotal are for the
// file named by File. FileTotal or Total is -1 when the Hub did not
// announce a size. Done never decreases except when a corrupt partial
// download has to be discarded.
type Progress struct {
	File       string // repo-relative path, e.g. "unet/diffusion_pytorch_model.safetensors"
	FileDone   int64
	FileTotal  int64
	Done       int64
	Total      int64
	FilesDone  int // files completed so far in this call
	FilesTotal int // files this call transfers
}

type settings struct {
	token       *string
	endpoint    string
	cacheDir    string
	offline     *bool
	httpClient  *http.Client
	concurrency int
	progress    func(Progress)
	retries     int
	retryBase   time.Duration
	retryMax    time.Duration
	userAgent   string
	metaTimeout time.Duration
	stall       time.Duration

	revision string
	variant  string
	skip     map[string]bool
}

// WithToken sets the access token sent as "Authorization: Bearer ...".
// WithToken("") sends no token even when HF_TOKEN or the token file has
// one. Default: HF_TOKEN, else the file huggingface_hub writes at
// $HF_TOKEN_PATH or $HF_HOME/token.
func WithToken(token string) Option { return func(s *settings) { s.token = &token } }

// WithEndpoint sets the Hub URL (default: HF_ENDPOINT, else
// https://huggingface.co). Useful for mirrors and tests.
func WithEndpoint(url string) Option {
	return func(s *settings) { s.endpoint = strings.TrimRight(url, "/") }
}

// WithCacheDir sets the cache folder holding "models--*" folders (default:
// HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub), shared
// with huggingface_hub.
func WithCacheDir(dir string) Option { return func(s *settings) { s.cacheDir = dir } }

// WithOffline makes every call resolve from the cache only, with no
// network request (default: HF_HUB_OFFLINE=1).
func WithOffline(offline bool) Option { return func(s *settings) { s.offline = &offline } }

// WithHTTPClient sets the HTTP client (timeouts, proxies, transport). It is
// never modified; redirect policies are applied on shallow copies.
func WithHTTPClient(c *http.Client) Option { return func(s *settings) { s.httpClient = c } }

// WithConcurrency bounds how many files are fetched at once (default 8).
func WithConcurrency(n int) Option { return func(s *settings) { s.concurrency = n } }

// WithProgress sets a callback for transfer progress. Calls are serialised
// (never concurrent), so the callback needs no locking; keep it quick.
func WithProgress(f func(Progress)) Option { return func(s *settings) { s.progress = f } }

// WithRetry sets how often a request is tried on connection errors, dropped
// transfers, 429 and 5xx (attempts >= 1), and the backoff: base, doubling
// up to max. Default: 5 attempts, 1s doubling up to 8s.
func WithRetry(attempts int, base, max time.Duration) Option {
	return func(s *settings) { s.retries, s.retryBase, s.retryMax = attempts, base, max }
}

// WithTimeouts sets how long a metadata request (model info, HEAD) may
// take, and how long a transfer may go without receiving a byte before it
// is cut and resumed. Defaults: HF_HUB_ETAG_TIMEOUT and
// HF_HUB_DOWNLOAD_TIMEOUT seconds when set, else 10s and 60s.
func WithTimeouts(metadata, stall time.Duration) Option {
	return func(s *settings) { s.metaTimeout, s.stall = metadata, stall }
}

// WithUserAgent sets the User-Agent header.
func WithUserAgent(ua string) Option { return func(s *settings) { s.userAgent = ua } }

// WithRevision selects a branch, tag or 40-hex commit (default "main").
func WithRevision(rev string) Option { return func(s *settings) { s.revision = rev } }

// WithVariant selects a weight variant for DownloadPipeline, e.g. "fp16"
// for diffusion_pytorch_model.fp16.safetensors / model.fp16.safetensors.
// As in diffusers, a component without that variant falls back to its
// regular weights (reported in Snapshot.VariantFallback); it is an error
// only when no component has the variant.
func WithVariant(variant string) Option { return func(s *settings) { s.variant = variant } }

// WithSkipComponents names pipeline components the caller replaces and
// that DownloadPipeline must not fetch (e.g. "safety_checker", "vae").
func WithSkipComponents(names ...string) Option {
	return func(s *settings) {
		m := make(map[string]bool, len(s.skip)+len(names))
		for k := range s.skip {
			m[k] = true
		}
		for _, n := range names {
			m[n] = true
		}
		s.skip = m
	}
}

// defaults fills what options left unset, from the environment.
func (s *settings) defaults() {
	hfHome := os.Getenv("HF_HOME")
	if hfHome == "" {
		base := os.Getenv("XDG_CACHE_HOME")
		if base == "" {
			if home, err := os.UserHomeDir(); err == nil {
				base = filepath.Join(home, ".cache")
			}
		}
		hfHome = filepath.Join(base, "huggingface")
	}
	if s.token == nil {
		tok := strings.TrimSpace(os.Getenv("HF_TOKEN"))
		if tok == "" {
			tok = strings.TrimSpace(os.Getenv("HUGGING_FACE_HUB_TOKEN"))
		}
		if tok == "" {
			path := os.Getenv("HF_TOKEN_PATH")
			if path == "" {
				path = filepath.Join(hfHome, "token")
			}
			if b, err := config.ReadFile(context.Background(), path, maxTokenFileBytes); err == nil {
				tok = strings.TrimSpace(string(b))
			}
		}
		s.token = &tok
	}
	if s.endpoint == "" {
		s.endpoint = strings.TrimRight(os.Getenv("HF_ENDPOINT"), "/")
		if s.endpoint == "" {
			s.endpoint = DefaultEndpoint
		}
	}
	if s.cacheDir == "" {
		s.cacheDir = os.Getenv("HF_HUB_CACHE")
		if s.cacheDir == "" {
			s.cacheDir = os.Getenv("HUGGINGFACE_HUB_CACHE")
		}
		if s.cacheDir == "" {
			s.cacheDir = filepath.Join(hfHome, "hub")
		}
	}
	if s.offline == nil {
		v := envTrue("HF_HUB_OFFLINE")
		s.offline = &v
	}
	if s.httpClient == nil {
		s.httpClient = http.DefaultClient
	}
	if s.concurrency <= 0 {
		s.concurrency = 8
	}
	if s.retries <= 0 {
		s.retries, s.retryBase, s.retryMax = 5, time.Second, 8*time.Second
	}
	if s.retryMax < s.retryBase {
		s.retryMax = s.retryBase
	}
	if s.metaTimeout <= 0 {
		s.metaTimeout = envSeconds("HF_HUB_ETAG_TIMEOUT", 10*time.Second)
	}
	if s.stall <= 0 {
		s.stall = envSeconds("HF_HUB_DOWNLOAD_TIMEOUT", 60*time.Second)
	}
	if s.userAgent == "" {
		s.userAgent = "goautopipe-hub/1"
	}
	if s.revision == "" {
		s.revision = DefaultRevision
	}
}

// maxTokenFileBytes caps the token file (a token is under 100 characters).
const maxTokenFileBytes = 64 << 10

func envSeconds(name string, def time.Duration) time.Duration {
	if v, err := strconv.ParseFloat(strings.TrimSpace(os.Getenv(name)), 64); err == nil && v > 0 {
		return time.Duration(v * float64(time.Second))
	}
	return def
}

func envTrue(name string) bool {
	switch strings.ToLower(strings.TrimSpace(os.Getenv(name))) {
	case "1", "true", "yes", "on":
		return true
	}
	return false
}
