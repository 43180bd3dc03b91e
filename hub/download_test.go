package hub

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

const unetWeights = "unet/diffusion_pytorch_model.safetensors"

func TestResumeAfterDroppedConnection(t *testing.T) {
	f, files, _ := newTinyHub(t)
	data := files[unetWeights].data
	sum := sha256Hex(data)
	f.dropAfter[sum] = 100000
	cache := t.TempDir()
	p, err := testClient(f, cache).Download(context.Background(), tinyRepo, unetWeights)
	require.NoError(t, err)
	requireContent(t, p, data)
	var ranges []string
	for _, r := range f.requests() {
		if strings.HasPrefix(r, "CDN GET "+sum) {
			ranges = append(ranges, strings.TrimSpace(strings.TrimPrefix(r, "CDN GET "+sum)))
		}
	}
	require.Len(t, ranges, 2, "CDN requests: %q", ranges)
	require.Empty(t, ranges[0], "CDN requests: %q", ranges)
	require.True(t, strings.HasPrefix(ranges[1], "bytes="), "CDN requests: %q", ranges)
	require.NotEqual(t, "bytes=0-", ranges[1], "CDN requests: %q", ranges)
	t.Logf("resumed with %s", ranges[1])
}

func TestResumeAfterStall(t *testing.T) {
	f, files, _ := newTinyHub(t)
	data := files[unetWeights].data
	sum := sha256Hex(data)
	f.stallAt[sum] = 70000
	p, err := testClient(f, t.TempDir(), WithTimeouts(time.Second, 100*time.Millisecond)).Download(context.Background(), tinyRepo, unetWeights)
	require.NoError(t, err)
	requireContent(t, p, data)
	r := f.requests()
	require.True(t, strings.HasSuffix(r[len(r)-1], "bytes=70000-"), "not resumed: %q", r)
}

func TestResumeLeftoverIncomplete(t *testing.T) {
	for _, tc := range []struct {
		name   string
		prefix func(data []byte) []byte
		ranges []string
	}{
		{"good prefix", func(d []byte) []byte { return d[:5000] }, []string{"bytes=5000-"}},
		// A wrong prefix fails verification after the resume: one clean restart.
		{"bad prefix", func(d []byte) []byte { b := append([]byte(nil), d[:5000]...); b[10] ^= 1; return b }, []string{"bytes=5000-", ""}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, files, _ := newTinyHub(t)
			data := files[unetWeights].data
			sum := sha256Hex(data)
			cache := t.TempDir()
			blob := filepath.Join(cache, "models--test-org--tiny-pipe", "blobs", sum)
			mustWrite(t, blob+".incomplete", tc.prefix(data))
			p, err := testClient(f, cache).Download(context.Background(), tinyRepo, unetWeights)
			require.NoError(t, err)
			requireContent(t, p, data)
			var ranges []string
			for _, r := range f.requests() {
				if strings.HasPrefix(r, "CDN GET ") {
					ranges = append(ranges, strings.TrimSpace(strings.TrimPrefix(r, "CDN GET "+sum)))
				}
			}
			require.Equal(t, strings.Join(tc.ranges, "|"), strings.Join(ranges, "|"), "CDN ranges %q, want %q", ranges, tc.ranges)
			_, err = os.Stat(blob + ".incomplete")
			require.True(t, os.IsNotExist(err), ".incomplete left behind")
		})
	}
}

func TestCorruptBlobRejected(t *testing.T) {
	f, files, _ := newTinyHub(t)
	sum := sha256Hex(files[unetWeights].data)
	f.corrupt[sum] = true
	cache := t.TempDir()
	_, err := testClient(f, cache).Download(context.Background(), tinyRepo, unetWeights)
	require.ErrorIs(t, err, ErrChecksum, "got %v", err)
	t.Logf("corrupt blob: %v", err)
	storage := filepath.Join(cache, "models--test-org--tiny-pipe")
	for _, p := range []string{"blobs/" + sum, "blobs/" + sum + ".incomplete"} {
		_, err := os.Stat(filepath.Join(storage, p))
		require.True(t, os.IsNotExist(err), "%s exists after a checksum failure", p)
	}
	got, _ := snapshotFiles(filepath.Join(storage, "snapshots"))
	require.Empty(t, got, "snapshot has %q", got)
	// The pipeline download fails the same way and caches no weights.
	_, err = testClient(f, cache).Pipeline(context.Background(), tinyRepo)
	require.ErrorIs(t, err, ErrChecksum, "pipeline: %v", err)
	require.ErrorContains(t, err, unetWeights, "pipeline: %v", err)
}

func TestDiskFull(t *testing.T) {
	f, files, _ := newTinyHub(t)
	sum := sha256Hex(files[unetWeights].data)
	cache := t.TempDir()
	var mu sync.Mutex
	written := 0
	testHookWrite = func(file string, n int) error {
		mu.Lock()
		defer mu.Unlock()
		if written+n > 50000 {
			return syscall.ENOSPC
		}
		written += n
		return nil
	}
	_, err := testClient(f, cache).Download(context.Background(), tinyRepo, unetWeights)
	testHookWrite = nil
	require.ErrorIs(t, err, ErrDiskFull, "got %v", err)
	require.ErrorIs(t, err, syscall.ENOSPC, "got %v", err)
	t.Logf("disk full: %v", err)
	storage := filepath.Join(cache, "models--test-org--tiny-pipe")
	_, err = os.Stat(filepath.Join(storage, "blobs", sum))
	require.True(t, os.IsNotExist(err), "blob placed despite the write error")
	_, err = os.Stat(filepath.Join(storage, "snapshots"))
	require.True(t, os.IsNotExist(err), "snapshot entry despite the write error")
	// Once space is back the partial file is resumed.
	p, err := testClient(f, cache).Download(context.Background(), tinyRepo, unetWeights)
	require.NoError(t, err)
	requireContent(t, p, files[unetWeights].data)
	reqs := f.requests()
	last := reqs[len(reqs)-1]
	require.Contains(t, last, "bytes=", "not resumed: %s", last)
}

func TestRetryOn5xx(t *testing.T) {
	f, _, _ := newTinyHub(t)
	f.fail["/model_index.json"] = 2
	p, err := testClient(f, t.TempDir()).Download(context.Background(), tinyRepo, "model_index.json")
	require.NoError(t, err)
	requireContent(t, p, []byte(tinyModelIndex))
	// More failures than attempts: the error says so.
	f.fail["/model_index.json"] = 10
	_, err = testClient(f, t.TempDir()).Download(context.Background(), tinyRepo, "model_index.json")
	require.ErrorIs(t, err, ErrNotCached, "got %v", err)
	require.ErrorIs(t, err, ErrHTTP, "got %v", err)
	require.ErrorContains(t, err, "503", "got %v", err)
	t.Logf("persistent 503: %v", err)
}

func TestRenamedRepoRedirect(t *testing.T) {
	f, files, commit := newTinyHub(t)
	f.renamed["old-org/old-name"] = tinyRepo
	p, err := testClient(f, t.TempDir()).Download(context.Background(), "old-org/old-name", unetWeights)
	require.NoError(t, err)
	require.Contains(t, p, filepath.Join("models--old-org--old-name", "snapshots", commit), "path %s", p)
	requireContent(t, p, files[unetWeights].data)
}

func TestServerDownNotCached(t *testing.T) {
	f := newFakeHub(t)
	f.hub.Close()
	_, err := testClient(f, t.TempDir()).DownloadPipeline(context.Background(), tinyRepo)
	require.ErrorIs(t, err, ErrNotCached, "got %v", err)
	t.Logf("hub unreachable: %v", err)
}

func TestContextCancel(t *testing.T) {
	f := newFakeHub(t)
	f.addCommit(tinyRepo, tinyPipelineFiles())
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := testClient(f, t.TempDir()).DownloadPipeline(ctx, tinyRepo)
	require.ErrorIs(t, err, context.Canceled, "got %v", err)
}
