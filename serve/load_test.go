package serve

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestLoad sends synchronous OpenAI-style requests from concurrent clients
// at a bounded queue served by two workers: every accepted request gets its
// image (its job done exactly once), the others a 429 with Retry-After,
// nothing a 5xx. AUTOPIPE_SERVE_LOAD sets the number of requests (default
// 24; the acceptance run uses 300), AUTOPIPE_SERVE_LOAD_QUEUE the queue
// bound (default 12, below the 16 clients).
func TestLoad(t *testing.T) {
	total := 24
	if v := os.Getenv("AUTOPIPE_SERVE_LOAD"); v != "" {
		n, err := strconv.Atoi(v)
		require.NoError(t, err)
		total = n
	}
	const clients = 16
	cfg := testConfig(t, 2)
	cfg.Limits.QueueSize = 12 // under the clients: some requests are refused
	if v := os.Getenv("AUTOPIPE_SERVE_LOAD_QUEUE"); v != "" {
		n, err := strconv.Atoi(v)
		require.NoError(t, err)
		cfg.Limits.QueueSize = n
	}
	s := startService(t, cfg)

	var (
		next              atomic.Int64
		mu                sync.Mutex
		latencies         []time.Duration
		codes             = map[int]int{}
		missingRetryAfter atomic.Int64
		wg                sync.WaitGroup
	)
	body, _ := json.Marshal(map[string]any{"prompt": "load", "size": "64x64"})
	start := time.Now()
	for range clients {
		wg.Go(func() {
			for next.Add(1) <= int64(total) {
				t0 := time.Now()
				res, err := http.Post(s.URL()+"/v1/images/generations", "application/json", bytes.NewReader(body))
				if !assert.NoError(t, err) {
					return
				}
				data, _ := io.ReadAll(res.Body)
				res.Body.Close()
				d := time.Since(t0)
				mu.Lock()
				codes[res.StatusCode]++
				if res.StatusCode == http.StatusOK {
					latencies = append(latencies, d)
					assert.Equal(t, 1, strings.Count(string(data), `"b64_json"`))
				}
				mu.Unlock()
				if res.StatusCode == http.StatusTooManyRequests {
					if res.Header.Get("Retry-After") == "" {
						missingRetryAfter.Add(1)
					}
					time.Sleep(200 * time.Millisecond) // a polite client backs off
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)

	accepted := codes[http.StatusOK]
	assert.Equal(t, total, accepted+codes[http.StatusTooManyRequests], "codes: %v", codes)
	assert.Positive(t, accepted)
	if cfg.Limits.QueueSize >= clients {
		assert.Equal(t, total, accepted, "a queue as deep as the clients refuses nothing")
	}
	assert.Zero(t, missingRetryAfter.Load())
	slices.Sort(latencies)
	pct := func(p float64) time.Duration { return latencies[min(len(latencies)-1, int(p*float64(len(latencies))))] }
	t.Logf("load: %d requests, %d clients, 2 workers, queue %d: %d done, %d rejected (429), codes %v; %.1fs, %.2f jobs/s, p50 %v, p99 %v",
		total, clients, cfg.Limits.QueueSize, accepted, codes[http.StatusTooManyRequests], codes, elapsed.Seconds(),
		float64(accepted)/elapsed.Seconds(), pct(0.50).Round(time.Millisecond), pct(0.99).Round(time.Millisecond))

	// Every accepted job finished once: as many done transitions as 200s,
	// none redelivered, nothing left in the queue.
	ours := waitMetrics(t, s.URL(), "autopipe_queue_depth 0\n",
		fmt.Sprintf(`autopipe_jobs_total{model="tiny",state="done"} %d`+"\n", accepted))
	assert.Contains(t, ours, "autopipe_job_redeliveries_total 0\n")
	assert.NotRegexp(t, `code="5\d\d",route="/v1/images`, ours)
}
