package hub

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// checkOneCopy checks that every LFS file of the tiny pipeline was
// fetched from the CDN exactly once and is cached intact.
func checkOneCopy(t *testing.T, f *fakeHub, cache string, files map[string]fakeFile) {
	t.Helper()
	storage := filepath.Join(cache, "models--test-org--tiny-pipe")
	for _, p := range tinyPipelineWant {
		ff := files[p]
		if !ff.lfs {
			continue
		}
		sum := sha256Hex(ff.data)
		f.mu.Lock()
		n := f.cdnGets[sum]
		f.mu.Unlock()
		assert.Equal(t, 1, n, "%s fetched %d times", p, n)
		b, err := os.ReadFile(filepath.Join(storage, "blobs", sum))
		assert.NoError(t, err, "%s: blob wrong (%v)", p, err)
		assert.Equal(t, ff.data, b, "%s: blob wrong (%v)", p, err)
	}
	left, _ := filepath.Glob(filepath.Join(storage, "blobs", "*.incomplete"))
	assert.Empty(t, left, "left over: %q", left)
}

func TestConcurrentGoroutines(t *testing.T) {
	f, files, _ := newTinyHub(t)
	f.cdnDelay = 20 * time.Millisecond
	cache := t.TempDir()
	var wg sync.WaitGroup
	snaps := make([]*Snapshot, 2)
	errs := make([]error, 2)
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			snaps[i], errs[i] = testClient(f, cache).Pipeline(context.Background(), tinyRepo)
		}()
	}
	wg.Wait()
	for i := range 2 {
		require.NoError(t, errs[i])
		checkSnapshot(t, snaps[i], cache, files, tinyPipelineWant)
	}
	checkOneCopy(t, f, cache, files)
}

// TestConcurrentProcesses runs a second process (this test binary, re-run
// as TestHelperProcess) downloading the same pipeline into the same cache.
func TestConcurrentProcesses(t *testing.T) {
	f, files, _ := newTinyHub(t)
	f.cdnDelay = 20 * time.Millisecond
	cache := t.TempDir()

	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), "HUB_TEST_HELPER=1", "HUB_TEST_ENDPOINT="+f.hub.URL, "HUB_TEST_CACHE="+cache)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	require.NoError(t, cmd.Start())
	s, err := testClient(f, cache).Pipeline(context.Background(), tinyRepo)
	werr := cmd.Wait()
	require.NoError(t, werr, "second process: %v\n%s", werr, out.String())
	require.NoError(t, err)
	checkSnapshot(t, s, cache, files, tinyPipelineWant)
	checkOneCopy(t, f, cache, files)
	second := false
	for _, r := range f.requests() {
		second = second || strings.HasSuffix(r, " second-process")
	}
	require.True(t, second, "no request from the second process")
}

// TestHelperProcess is the second process of TestConcurrentProcesses.
func TestHelperProcess(t *testing.T) {
	if os.Getenv("HUB_TEST_HELPER") != "1" {
		t.Skip("helper process for TestConcurrentProcesses")
	}
	c := NewClient(WithEndpoint(os.Getenv("HUB_TEST_ENDPOINT")), WithCacheDir(os.Getenv("HUB_TEST_CACHE")),
		WithToken(""), WithOffline(false), WithUserAgent("second-process"), WithRetry(3, time.Millisecond, 4*time.Millisecond))
	if _, err := c.Pipeline(context.Background(), tinyRepo); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
