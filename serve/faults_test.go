package serve

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goautopipe/diffusers/serve/queue"
)

// requireDoneOnce checks that a job reached done exactly once, with its
// images stored.
func requireDoneOnce(t *testing.T, q *queue.Queue, id string) queue.Status {
	t.Helper()
	hist, err := q.History(t.Context(), id)
	require.NoError(t, err)
	done := 0
	for _, st := range hist {
		if st.State == queue.Done {
			done++
		}
	}
	require.Equal(t, 1, done, "job %s: %d done states in its history", id, done)
	st, _, err := q.Status(t.Context(), id)
	require.NoError(t, err)
	for i := range st.Images {
		_, err := q.Result(t.Context(), id, i)
		require.NoError(t, err)
	}
	require.Positive(t, st.Images)
	return st
}

// externalSetup runs NATS and the front end as in a scale-out: NATS as its
// own process, a front end without workers.
func externalSetup(t *testing.T, port int) (*process, string, Config, *Service) {
	nproc, url := startNATS(t, t.TempDir(), port)
	cfg := testConfig(t, 0)
	cfg.NATS = url
	s := startService(t, cfg)
	wcfg := cfg
	one := 1
	wcfg.Workers = &one
	return nproc, url, wcfg, s
}

func TestWorkerKilledMidJob(t *testing.T) {
	_, _, wcfg, s := externalSetup(t, -1)
	workers := map[int]*process{}
	for range 2 {
		p := startWorker(t, wcfg)
		workers[p.cmd.Process.Pid] = p
	}
	id := submitJob(t, s.URL(), map[string]any{"prompt": "a slow one", "steps": 50, "seed": 3})
	var first queue.Progress
	require.Eventually(t, func() bool {
		var ok bool
		first, ok = s.srv.lastProgress(id)
		return ok && first.Step >= 2
	}, 60*time.Second, 5*time.Millisecond, "the job never started")
	victim := workerPid(t, first.Worker)
	require.Contains(t, workers, victim)
	workers[victim].stop(syscall.SIGKILL)
	t.Logf("killed worker %d at step %d/%d", victim, first.Step, first.Total)

	v := waitJob(t, s.URL(), id, 60*time.Second)
	require.Equal(t, queue.Done, v.State, v.Error)
	assert.Equal(t, 2, v.Attempts)
	assert.NotEqual(t, victim, workerPid(t, v.Worker), "the dead worker finished the job")
	requireDoneOnce(t, s.Queue(), id)
	dead, err := s.Queue().DeadLetters(t.Context())
	require.NoError(t, err)
	assert.Empty(t, dead)
	depth, err := s.Queue().Depth(t.Context())
	require.NoError(t, err)
	assert.Zero(t, depth)
}

// workerPid reads the pid out of a worker name (host-pid-n).
func workerPid(t *testing.T, name string) int {
	parts := strings.Split(name, "-")
	require.GreaterOrEqual(t, len(parts), 3, name)
	var pid int
	_, err := fmt.Sscan(parts[len(parts)-2], &pid)
	require.NoError(t, err, name)
	return pid
}

func freePort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func TestNATSRestart(t *testing.T) {
	t0 := time.Now()
	port := freePort(t)
	dir := t.TempDir()
	nproc, _ := startNATS(t, dir, port)
	cfg := testConfig(t, 0)
	cfg.NATS = fmt.Sprintf("nats://127.0.0.1:%d", port)
	s := startService(t, cfg)
	one := 1
	wcfg := cfg
	wcfg.Workers = &one
	startWorker(t, wcfg)

	id := submitJob(t, s.URL(), map[string]any{"prompt": "before", "steps": 3})
	require.Equal(t, queue.Done, waitJob(t, s.URL(), id, 60*time.Second).State)

	t.Logf("first job done at %v", time.Since(t0))
	nproc.stop(syscall.SIGTERM)
	t.Logf("NATS stopped at %v", time.Since(t0))
	res, err := http.Get(s.URL() + "/readyz")
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, http.StatusServiceUnavailable, res.StatusCode, "ready without NATS")

	startNATS(t, dir, port)
	waitReady(t, s.URL())
	t.Logf("NATS back at %v", time.Since(t0))
	// The job from before the restart is still there (file storage) and
	// a new one is taken by the reconnected worker.
	st, _, err := s.Queue().Status(t.Context(), id)
	require.NoError(t, err)
	assert.Equal(t, queue.Done, st.State)
	id2 := submitJob(t, s.URL(), map[string]any{"prompt": "after", "steps": 3})
	v := waitJob(t, s.URL(), id2, 60*time.Second)
	require.Equal(t, queue.Done, v.State, v.Error)
	requireDoneOnce(t, s.Queue(), id2)
}

func TestFrontEndRestart(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(t, 1)
	cfg.DataDir = dir
	s, err := Start(context.Background(), cfg, testLogger(t))
	require.NoError(t, err)
	waitReady(t, s.URL())
	var ids []string
	for i := range 4 {
		ids = append(ids, submitJob(t, s.URL(), map[string]any{"prompt": fmt.Sprint("job ", i), "steps": 10}))
	}
	require.Eventually(t, func() bool { _, ok := s.srv.lastProgress(ids[0]); return ok }, 30*time.Second, 5*time.Millisecond)
	// Stop while the first job runs and three wait: the running one is
	// finished or handed back (grace: the ack wait), the others stay queued.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	require.NoError(t, s.Stop(ctx))
	cancel()

	zero := 0
	cfg.Workers = &zero // restart as a front end alone: jobs still queued
	s2 := startService(t, cfg)
	queued := 0
	for _, id := range ids {
		st, _, err := s2.Queue().Status(t.Context(), id)
		require.NoError(t, err)
		require.Contains(t, []queue.State{queue.Queued, queue.Done}, st.State, id)
		if st.State == queue.Queued {
			queued++
		}
	}
	require.GreaterOrEqual(t, queued, 3)
	ctx, cancel = context.WithTimeout(context.Background(), 30*time.Second)
	require.NoError(t, s2.Stop(ctx))
	cancel()

	// And with a worker again, every job completes, once.
	cfg.Workers = nil
	s3 := startService(t, cfg)
	for _, id := range ids {
		v := waitJob(t, s3.URL(), id, 90*time.Second)
		require.Equal(t, queue.Done, v.State, v.Error)
		requireDoneOnce(t, s3.Queue(), id)
	}
}
