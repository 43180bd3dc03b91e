package serve

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Config is the whole server configuration, read from a YAML file (see
// LoadConfig) or built from command-line flags.
type Config struct {
	// Listen is the HTTP address ["127.0.0.1:7860", A1111's port].
	Listen string `yaml:"listen"`
	// DataDir holds the embedded NATS server's JetStream files ["autopipe-data"].
	DataDir string `yaml:"data_dir"`
	// NATS is the URL of an existing NATS server; empty starts an embedded one.
	NATS string `yaml:"nats"`
	// NATSListen makes the embedded server reachable by workers on other
	// machines ("0.0.0.0:4222"); empty keeps it in-process.
	NATSListen string `yaml:"nats_listen"`
	// Workers is the number of generation loops in this process [1]; 0
	// makes a front end that only queues (workers run elsewhere).
	Workers *int `yaml:"workers"`
	// APIKeys, when any, are required as "Authorization: Bearer <key>".
	APIKeys []string `yaml:"api_keys"`
	Limits  Limits   `yaml:"limits"`
	Models  []Model  `yaml:"models"`
}

// Limits are the operator's bounds on what one request may ask for and on
// the queue.
type Limits struct {
	MaxPixels    int   `yaml:"max_pixels"`     // width×height [1048576]
	MaxImages    int   `yaml:"max_images"`     // images per call [4]
	MaxSteps     int   `yaml:"max_steps"`      // inference steps [150]
	MaxBodyBytes int64 `yaml:"max_body_bytes"` // HTTP body [16 MiB]
	MaxPrompt    int   `yaml:"max_prompt"`     // prompt bytes [4096]
	QueueSize    int   `yaml:"queue_size"`     // jobs waiting or running [64]
	MaxDeliver   int   `yaml:"max_deliver"`    // attempts before the dead letter [3]
	// AckWait is how long a silent worker keeps a job [30s].
	AckWait Duration `yaml:"ack_wait"`
	// ResultTTL is how long results are kept [24h].
	ResultTTL Duration `yaml:"result_ttl"`
	// Wait bounds how long a synchronous call (OpenAI, A1111) waits [10m].
	Wait Duration `yaml:"wait"`
}

// Model is one configured model. Requests name models only by Name.
type Model struct {
	Name string `yaml:"name"`
	// Path is a folder, a Hub id or a single file.
	Path string `yaml:"path"`
	// InpaintPath, when set, is a separate inpainting checkpoint; otherwise
	// inpainting reuses Path's components.
	InpaintPath string `yaml:"inpaint_path"`
	DType       string `yaml:"dtype"`     // float32 (default), float16, bfloat16
	Variant     string `yaml:"variant"`   // weight file variant, e.g. fp16
	Scheduler   string `yaml:"scheduler"` // default scheduler class
	Offline     bool   `yaml:"offline"`   // never touch the network
	// Steps is the number of inference steps when a request gives none
	// [the pipeline's default, 50 for SD].
	Steps int `yaml:"steps"`
}

// Duration reads "30s"-style durations from YAML.
type Duration time.Duration

// UnmarshalYAML parses a Go duration string.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	if v < 0 {
		return fmt.Errorf("line %d: negative duration %s", n.Line, n.Value)
	}
	*d = Duration(v)
	return nil
}

// maxConfigBytes bounds the config file.
const maxConfigBytes = 1 << 20

// LoadConfig reads a YAML config file; unknown keys are errors.
func LoadConfig(path string) (Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return Config{}, fmt.Errorf("serve: config: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxConfigBytes+1))
	if err != nil {
		return Config{}, fmt.Errorf("serve: config %s: %w", path, err)
	}
	if len(data) > maxConfigBytes {
		return Config{}, fmt.Errorf("serve: config %s: over %d bytes", path, maxConfigBytes)
	}
	return ParseConfig(data)
}

// ParseConfig decodes YAML config bytes and fills the defaults.
func ParseConfig(data []byte) (Config, error) {
	var c Config
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
		return Config{}, fmt.Errorf("serve: config: %w", err)
	}
	c = c.WithDefaults()
	if err := c.Validate(); err != nil {
		return Config{}, err
	}
	return c, nil
}

// WithDefaults fills the zero fields.
func (c Config) WithDefaults() Config {
	if c.Listen == "" {
		c.Listen = "127.0.0.1:7860"
	}
	if c.DataDir == "" {
		c.DataDir = "autopipe-data"
	}
	if c.Workers == nil {
		one := 1
		c.Workers = &one
	}
	c.Limits = c.Limits.withDefaults()
	return c
}

func (l Limits) withDefaults() Limits {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&l.MaxPixels, 1<<20)
	def(&l.MaxImages, 4)
	def(&l.MaxSteps, 150)
	def(&l.MaxPrompt, 4096)
	def(&l.QueueSize, 64)
	def(&l.MaxDeliver, 3)
	if l.MaxBodyBytes <= 0 {
		l.MaxBodyBytes = 16 << 20
	}
	if l.AckWait <= 0 {
		l.AckWait = Duration(30 * time.Second)
	}
	if l.ResultTTL <= 0 {
		l.ResultTTL = Duration(24 * time.Hour)
	}
	if l.Wait <= 0 {
		l.Wait = Duration(10 * time.Minute)
	}
	return l
}

var modelName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// Validate checks the config for mistakes an operator can fix.
func (c Config) Validate() error {
	if len(c.Models) == 0 {
		return errors.New("serve: config: no models: give --model or a models list")
	}
	seen := map[string]bool{}
	for i, m := range c.Models {
		if !modelName.MatchString(m.Name) {
			return fmt.Errorf("serve: config: models[%d]: name %q: use letters, digits, '.', '_' or '-' (at most 64)", i, m.Name)
		}
		if seen[m.Name] {
			return fmt.Errorf("serve: config: models[%d]: duplicate name %q", i, m.Name)
		}
		seen[m.Name] = true
		if m.Path == "" {
			return fmt.Errorf("serve: config: model %q: no path", m.Name)
		}
		if m.Steps < 0 {
			return fmt.Errorf("serve: config: model %q: steps %d is negative", m.Name, m.Steps)
		}
		if _, err := parseDType(m.DType); err != nil {
			return fmt.Errorf("serve: config: model %q: %w", m.Name, err)
		}
		if m.Scheduler != "" && !knownScheduler(m.Scheduler) {
			return fmt.Errorf("serve: config: model %q: unknown scheduler %q (known: %s)", m.Name, m.Scheduler, strings.Join(SchedulerNames(), ", "))
		}
	}
	if c.Workers != nil && *c.Workers < 0 {
		return fmt.Errorf("serve: config: workers %d is negative", *c.Workers)
	}
	for i, k := range c.APIKeys {
		if len(k) < 8 {
			return fmt.Errorf("serve: config: api_keys[%d]: shorter than 8 characters", i)
		}
	}
	return nil
}

// Model returns the named model's config.
func (c Config) Model(name string) (Model, bool) {
	for _, m := range c.Models {
		if m.Name == name {
			return m, true
		}
	}
	return Model{}, false
}

// ModelNames lists the configured names in config order.
func (c Config) ModelNames() []string {
	out := make([]string, len(c.Models))
	for i, m := range c.Models {
		out[i] = m.Name
	}
	return out
}

// NameFor derives a model name from a path or Hub id ("testdata/tiny-sd"
// → "tiny-sd").
func NameFor(path string) string {
	s := strings.TrimRight(path, "/")
	if i := strings.LastIndexAny(s, "/\\"); i >= 0 {
		s = s[i+1:]
	}
	s = strings.TrimSuffix(strings.TrimSuffix(s, ".safetensors"), ".ckpt")
	s = regexp.MustCompile(`[^A-Za-z0-9._-]`).ReplaceAllString(s, "-")
	s = strings.TrimLeft(s, "._-")
	if len(s) > 64 {
		s = s[:64]
	}
	if s == "" {
		s = "model"
	}
	return s
}
