package serve

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goautopipe/diffusers/serve/queue"
)

// The test binary doubles as a NATS server process and a worker process
// (SERVE_TEST_ROLE), so that fault tests kill and restart real processes
// without building other binaries.
func TestMain(m *testing.M) {
	switch os.Getenv("SERVE_TEST_ROLE") {
	case "nats":
		os.Exit(natsProcess())
	case "worker":
		os.Exit(workerProcess())
	}
	os.Exit(m.Run())
}

func natsProcess() int {
	var port int
	fmt.Sscan(os.Getenv("SERVE_TEST_PORT"), &port)
	ns, err := queue.StartEmbedded(queue.EmbeddedOptions{Dir: os.Getenv("SERVE_TEST_DIR"), Port: port, Name: "external"})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println("READY", ns.ClientURL())
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	<-ctx.Done()
	ns.Shutdown()
	ns.WaitForShutdown()
	return 0
}

func workerProcess() int {
	var cfg Config
	if err := json.Unmarshal([]byte(os.Getenv("SERVE_TEST_CONFIG")), &cfg); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	log := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	if err := RunWorker(ctx, cfg, log, WorkerOptions{Grace: 5 * time.Second}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// tinySD is the tiny checkpoint the tests serve.
var tinySD = filepath.Join("..", "testdata", "tiny-sd")

// testConfig is a config for one tiny model with short waits.
func testConfig(t testing.TB, workers int) Config {
	cfg := Config{
		Listen: "127.0.0.1:0", DataDir: filepath.Join(t.TempDir(), "nats"), Workers: &workers,
		Models: []Model{{Name: "tiny", Path: tinySD, InpaintPath: filepath.Join("..", "testdata", "tiny-sd-inpaint"), Steps: 4}},
		Limits: Limits{AckWait: Duration(2 * time.Second), QueueSize: 32, MaxSteps: 60, Wait: Duration(time.Minute)},
	}
	return cfg.WithDefaults()
}

func testLogger(t testing.TB) *slog.Logger {
	if os.Getenv("SERVE_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// startService starts a service and stops it at the end of the test.
func startService(t testing.TB, cfg Config) *Service {
	t.Helper()
	s, err := Start(context.Background(), cfg, testLogger(t))
	require.NoError(t, err)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		_ = s.Stop(ctx)
	})
	waitReady(t, s.URL())
	return s
}

func waitReady(t testing.TB, url string) {
	t.Helper()
	require.Eventually(t, func() bool {
		res, err := http.Get(url + "/readyz")
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == http.StatusOK
	}, 30*time.Second, 50*time.Millisecond, "service at %s never became ready", url)
}

// call sends a JSON request and decodes a JSON answer into out (if not nil).
func call(t testing.TB, method, url string, body any, out any) (int, http.Header) {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		data, err := json.Marshal(b)
		require.NoError(t, err)
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, url, rd)
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	if out != nil {
		require.NoError(t, json.Unmarshal(data, out), "body: %s", data)
	}
	return res.StatusCode, res.Header
}

// submitJob queues a native job and returns its id.
func submitJob(t testing.TB, url string, body map[string]any) string {
	t.Helper()
	var v jobView
	code, _ := call(t, http.MethodPost, url+"/v1/jobs", body, &v)
	require.Equal(t, http.StatusAccepted, code)
	require.Len(t, v.ID, 24)
	return v.ID
}

// waitJob polls a job until it is final.
func waitJob(t testing.TB, url, id string, within time.Duration) jobView {
	t.Helper()
	var v jobView
	require.Eventually(t, func() bool {
		code, _ := call(t, http.MethodGet, url+"/v1/jobs/"+id, nil, &v)
		return code == http.StatusOK && v.State.Final()
	}, within, 50*time.Millisecond, "job %s not final (last: %+v)", id, v.Status)
	return v
}

// process is a child process of the test binary in a role.
type process struct {
	cmd    *exec.Cmd
	stdout *bufio.Scanner
	stderr bytes.Buffer
}

func startProcess(t testing.TB, role string, env ...string) *process {
	t.Helper()
	p := &process{cmd: exec.Command(os.Args[0], "-test.run=^$")}
	p.cmd.Env = append(os.Environ(), append([]string{"SERVE_TEST_ROLE=" + role}, env...)...)
	out, err := p.cmd.StdoutPipe()
	require.NoError(t, err)
	p.cmd.Stderr = &p.stderr
	p.stdout = bufio.NewScanner(out)
	require.NoError(t, p.cmd.Start())
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			_ = p.cmd.Process.Kill()
			_ = p.cmd.Wait()
		}
		if t.Failed() {
			t.Logf("%s process stderr:\n%s", role, p.stderr.String())
		}
	})
	return p
}

// startNATS runs a NATS server as a separate process and returns its URL.
func startNATS(t testing.TB, dir string, port int) (*process, string) {
	t.Helper()
	p := startProcess(t, "nats", "SERVE_TEST_DIR="+dir, fmt.Sprintf("SERVE_TEST_PORT=%d", port))
	require.True(t, p.stdout.Scan(), "nats process: %s", p.stderr.String())
	line := p.stdout.Text()
	url, ok := strings.CutPrefix(line, "READY ")
	require.True(t, ok, "nats process said %q", line)
	return p, url
}

// startWorker runs a worker process against cfg.NATS.
func startWorker(t testing.TB, cfg Config) *process {
	t.Helper()
	data, err := json.Marshal(cfg)
	require.NoError(t, err)
	return startProcess(t, "worker", "SERVE_TEST_CONFIG="+string(data))
}

func (p *process) stop(sig syscall.Signal) {
	_ = p.cmd.Process.Signal(sig)
	_ = p.cmd.Wait()
}

// waitMetrics polls /metrics until its autopipe_ series contain every
// want (workers count a job just after storing its final state).
func waitMetrics(t testing.TB, url string, wants ...string) string {
	t.Helper()
	var ours string
	ok := assert.Eventually(t, func() bool {
		res, err := http.Get(url + "/metrics")
		if err != nil {
			return false
		}
		m, _ := io.ReadAll(res.Body)
		res.Body.Close()
		ours = autopipeLines(string(m))
		for _, w := range wants {
			if !strings.Contains(ours, w) {
				return false
			}
		}
		return true
	}, 10*time.Second, 20*time.Millisecond)
	if !ok {
		for _, w := range wants {
			assert.Contains(t, ours, w)
		}
	}
	return ours
}

// autopipeLines keeps the autopipe_ series of a metrics page, without
// histogram buckets.
func autopipeLines(page string) string {
	var b strings.Builder
	for line := range strings.SplitSeq(page, "\n") {
		if strings.HasPrefix(line, "autopipe_") && !strings.Contains(line, "_bucket{") {
			b.WriteString(line + "\n")
		}
	}
	return b.String()
}
