package hub

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const unetWeights = "unet/diffusion_pytorch_model.safetensors"

func TestResumeAfterDroppedConnection(t *testing.T) {
	f := newFakeHub(t)
	files := tinyPipelineFiles()
	f.addCommit(tinyRepo, files)
	data := files[unetWeights].data
	sum := sha256Hex(data)
	f.dropAfter[sum] = 100000
	cache := t.TempDir()
	p, err := testClient(f, cache).Download(context.Background(), tinyRepo, unetWeights)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(p); string(b) != string(data) {
		t.Fatal("content differs")
	}
	var ranges []string
	for _, r := range f.requests() {
		if strings.HasPrefix(r, "CDN GET "+sum) {
			ranges = append(ranges, strings.TrimSpace(strings.TrimPrefix(r, "CDN GET "+sum)))
		}
	}
	if len(ranges) != 2 || ranges[0] != "" || !strings.HasPrefix(ranges[1], "bytes=") || ranges[1] == "bytes=0-" {
		t.Fatalf("CDN requests: %q", ranges)
	}
	t.Logf("resumed with %s", ranges[1])
}

func TestResumeAfterStall(t *testing.T) {
	f := newFakeHub(t)
	files := tinyPipelineFiles()
	f.addCommit(tinyRepo, files)
	data := files[unetWeights].data
	sum := sha256Hex(data)
	f.stallAt[sum] = 70000
	p, err := testClient(f, t.TempDir(), WithTimeouts(time.Second, 100*time.Millisecond)).Download(context.Background(), tinyRepo, unetWeights)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(p); string(b) != string(data) {
		t.Fatal("content differs")
	}
	if r := f.requests(); !strings.HasSuffix(r[len(r)-1], "bytes=70000-") {
		t.Fatalf("not resumed: %q", r)
	}
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
			f := newFakeHub(t)
			files := tinyPipelineFiles()
			f.addCommit(tinyRepo, files)
			data := files[unetWeights].data
			sum := sha256Hex(data)
			cache := t.TempDir()
			blob := filepath.Join(cache, "models--test-org--tiny-pipe", "blobs", sum)
			mustWrite(t, blob+".incomplete", tc.prefix(data))
			p, err := testClient(f, cache).Download(context.Background(), tinyRepo, unetWeights)
			if err != nil {
				t.Fatal(err)
			}
			if b, _ := os.ReadFile(p); string(b) != string(data) {
				t.Fatal("content differs")
			}
			var ranges []string
			for _, r := range f.requests() {
				if strings.HasPrefix(r, "CDN GET ") {
					ranges = append(ranges, strings.TrimSpace(strings.TrimPrefix(r, "CDN GET "+sum)))
				}
			}
			if strings.Join(ranges, "|") != strings.Join(tc.ranges, "|") {
				t.Fatalf("CDN ranges %q, want %q", ranges, tc.ranges)
			}
			if _, err := os.Stat(blob + ".incomplete"); !os.IsNotExist(err) {
				t.Fatal(".incomplete left behind")
			}
		})
	}
}

func TestCorruptBlobRejected(t *testing.T) {
	f := newFakeHub(t)
	files := tinyPipelineFiles()
	f.addCommit(tinyRepo, files)
	sum := sha256Hex(files[unetWeights].data)
	f.corrupt[sum] = true
	cache := t.TempDir()
	_, err := testClient(f, cache).Download(context.Background(), tinyRepo, unetWeights)
	if !errors.Is(err, ErrChecksum) {
		t.Fatalf("got %v", err)
	}
	t.Logf("corrupt blob: %v", err)
	storage := filepath.Join(cache, "models--test-org--tiny-pipe")
	for _, p := range []string{"blobs/" + sum, "blobs/" + sum + ".incomplete"} {
		if _, err := os.Stat(filepath.Join(storage, p)); !os.IsNotExist(err) {
			t.Fatalf("%s exists after a checksum failure", p)
		}
	}
	if got, _ := snapshotFiles(filepath.Join(storage, "snapshots")); len(got) != 0 {
		t.Fatalf("snapshot has %q", got)
	}
	// The pipeline download fails the same way and caches no weights.
	_, err = testClient(f, cache).Pipeline(context.Background(), tinyRepo)
	if !errors.Is(err, ErrChecksum) || !strings.Contains(err.Error(), unetWeights) {
		t.Fatalf("pipeline: %v", err)
	}
}

func TestDiskFull(t *testing.T) {
	f := newFakeHub(t)
	files := tinyPipelineFiles()
	f.addCommit(tinyRepo, files)
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
	if !errors.Is(err, ErrDiskFull) || !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("got %v", err)
	}
	t.Logf("disk full: %v", err)
	storage := filepath.Join(cache, "models--test-org--tiny-pipe")
	if _, err := os.Stat(filepath.Join(storage, "blobs", sum)); !os.IsNotExist(err) {
		t.Fatal("blob placed despite the write error")
	}
	if _, err := os.Stat(filepath.Join(storage, "snapshots")); !os.IsNotExist(err) {
		t.Fatal("snapshot entry despite the write error")
	}
	// Once space is back the partial file is resumed.
	p, err := testClient(f, cache).Download(context.Background(), tinyRepo, unetWeights)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(p); string(b) != string(files[unetWeights].data) {
		t.Fatal("content differs")
	}
	reqs := f.requests()
	if last := reqs[len(reqs)-1]; !strings.Contains(last, "bytes=") {
		t.Fatalf("not resumed: %s", last)
	}
}

func TestRetryOn5xx(t *testing.T) {
	f := newFakeHub(t)
	files := tinyPipelineFiles()
	f.addCommit(tinyRepo, files)
	f.fail["/model_index.json"] = 2
	p, err := testClient(f, t.TempDir()).Download(context.Background(), tinyRepo, "model_index.json")
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(p); string(b) != tinyModelIndex {
		t.Fatal("content differs")
	}
	// More failures than attempts: the error says so.
	f.fail["/model_index.json"] = 10
	_, err = testClient(f, t.TempDir()).Download(context.Background(), tinyRepo, "model_index.json")
	if !errors.Is(err, ErrNotCached) || !errors.Is(err, ErrHTTP) || !strings.Contains(err.Error(), "503") {
		t.Fatalf("got %v", err)
	}
	t.Logf("persistent 503: %v", err)
}

func TestRenamedRepoRedirect(t *testing.T) {
	f := newFakeHub(t)
	files := tinyPipelineFiles()
	commit := f.addCommit(tinyRepo, files)
	f.renamed["old-org/old-name"] = tinyRepo
	p, err := testClient(f, t.TempDir()).Download(context.Background(), "old-org/old-name", unetWeights)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(p, filepath.Join("models--old-org--old-name", "snapshots", commit)) {
		t.Fatalf("path %s", p)
	}
	if b, _ := os.ReadFile(p); string(b) != string(files[unetWeights].data) {
		t.Fatal("content differs")
	}
}

func TestServerDownNotCached(t *testing.T) {
	f := newFakeHub(t)
	f.hub.Close()
	_, err := testClient(f, t.TempDir()).DownloadPipeline(context.Background(), tinyRepo)
	if !errors.Is(err, ErrNotCached) {
		t.Fatalf("got %v", err)
	}
	t.Logf("hub unreachable: %v", err)
}

func TestContextCancel(t *testing.T) {
	f := newFakeHub(t)
	f.addCommit(tinyRepo, tinyPipelineFiles())
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := testClient(f, t.TempDir()).DownloadPipeline(ctx, tinyRepo)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v", err)
	}
}
