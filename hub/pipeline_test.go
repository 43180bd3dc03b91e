package hub

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

const tinyRepo = "test-org/tiny-pipe"

func testClient(f *fakeHub, cache string, opts ...Option) *Client {
	base := []Option{WithEndpoint(f.hub.URL), WithCacheDir(cache), WithToken(""), WithOffline(false),
		WithRetry(3, time.Millisecond, 4*time.Millisecond)}
	return NewClient(append(base, opts...)...)
}

// checkSnapshot compares the snapshot's files with the repository's bytes
// and checks the huggingface_hub layout: relative links into blobs/<etag>.
func checkSnapshot(t *testing.T, s *Snapshot, cache string, files map[string]fakeFile, want []string) {
	t.Helper()
	if !slices.Equal(s.Files, want) {
		t.Fatalf("files:\n got %q\nwant %q", s.Files, want)
	}
	got, err := snapshotFiles(s.Dir)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("snapshot folder holds %q, want %q", got, want)
	}
	storage := filepath.Join(cache, "models--"+strings.ReplaceAll(tinyRepo, "/", "--"))
	if s.Dir != filepath.Join(storage, "snapshots", s.Commit) {
		t.Fatalf("Dir %s", s.Dir)
	}
	for _, p := range want {
		ff := files[p]
		b, err := os.ReadFile(filepath.Join(s.Dir, p))
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != string(ff.data) {
			t.Fatalf("%s: content differs", p)
		}
		etag := gitBlobSHA(ff.data)
		if ff.lfs {
			etag = sha256Hex(ff.data)
		}
		link, err := os.Readlink(filepath.Join(s.Dir, p))
		if err != nil {
			t.Fatalf("%s: not a symlink: %v", p, err)
		}
		wantLink := strings.Repeat("../", 2+strings.Count(p, "/")) + "blobs/" + etag
		if link != filepath.FromSlash(wantLink) {
			t.Fatalf("%s -> %s, want %s", p, link, wantLink)
		}
	}
	left, _ := filepath.Glob(filepath.Join(storage, "blobs", "*.incomplete"))
	if len(left) > 0 {
		t.Fatalf("left over: %q", left)
	}
}

func TestPipelineEndToEnd(t *testing.T) {
	f := newFakeHub(t)
	files := tinyPipelineFiles()
	commit := f.addCommit(tinyRepo, files)
	cache := t.TempDir()

	var last Progress
	calls := 0
	perFile := map[string]Progress{}
	c := testClient(f, cache, WithProgress(func(p Progress) {
		if prev, ok := perFile[p.File]; ok && p.FileDone < prev.FileDone {
			t.Errorf("%s went back from %d to %d", p.File, prev.FileDone, p.FileDone)
		}
		if p.Done < last.Done {
			t.Errorf("overall progress went back from %d to %d", last.Done, p.Done)
		}
		perFile[p.File] = p
		last = p
		calls++
	}), WithConcurrency(3))
	s, err := c.Pipeline(context.Background(), tinyRepo)
	if err != nil {
		t.Fatal(err)
	}
	if s.Commit != commit || s.FromCache {
		t.Fatalf("commit %s fromCache %v", s.Commit, s.FromCache)
	}
	checkSnapshot(t, s, cache, files, tinyPipelineWant)
	ref, _ := os.ReadFile(filepath.Join(cache, "models--test-org--tiny-pipe", "refs", "main"))
	if string(ref) != commit {
		t.Fatalf("refs/main = %q", ref)
	}
	var total int64
	for _, p := range tinyPipelineWant {
		total += int64(len(files[p].data))
	}
	if calls == 0 || last.Done != last.Total || last.Total != total || last.FilesDone != last.FilesTotal || last.FilesTotal != len(tinyPipelineWant) {
		t.Fatalf("progress: %d calls, last %+v, want total %d", calls, last, total)
	}
	for _, p := range tinyPipelineWant {
		if got := perFile[p]; got.FileDone != int64(len(files[p].data)) || got.FileTotal != got.FileDone {
			t.Errorf("%s: last progress %+v", p, got)
		}
	}
	for _, a := range f.cdnAuth {
		if a != "" {
			t.Fatalf("CDN received Authorization %q", a)
		}
	}

	// Again, online: one model-info request, nothing else.
	n := len(f.requests())
	if _, err := c.Pipeline(context.Background(), tinyRepo); err != nil {
		t.Fatal(err)
	}
	if r := f.requests()[n:]; len(r) != 1 || !strings.HasPrefix(r[0], "HUB GET /api/models/") {
		t.Fatalf("second call made requests %q", r)
	}

	// Server down: served from the cache.
	f.hub.Close()
	f.cdn.Close()
	s2, err := c.Pipeline(context.Background(), tinyRepo)
	if err != nil {
		t.Fatalf("server down: %v", err)
	}
	if !s2.FromCache || s2.Dir != s.Dir {
		t.Fatalf("server down: %+v", s2)
	}
	p, err := c.Download(context.Background(), tinyRepo, "unet/config.json")
	if err != nil || p != filepath.Join(s.Dir, "unet", "config.json") {
		t.Fatalf("server down, single file: %q %v", p, err)
	}

	// Offline mode, from the environment.
	t.Setenv("HF_HUB_OFFLINE", "1")
	off := NewClient(WithCacheDir(cache), WithEndpoint("http://127.0.0.1:1"), WithToken(""))
	dir, err := off.DownloadPipeline(context.Background(), tinyRepo)
	if err != nil || dir != s.Dir {
		t.Fatalf("offline: %q %v", dir, err)
	}
	// What is not cached is named.
	_, err = off.DownloadPipeline(context.Background(), tinyRepo, WithVariant("fp16"))
	if !errors.Is(err, ErrNotCached) || !strings.Contains(err.Error(), "fp16") {
		t.Fatalf("offline variant: %v", err)
	}
	_, err = off.Download(context.Background(), tinyRepo, "unet/diffusion_pytorch_model.fp16.safetensors")
	if !errors.Is(err, ErrNotCached) || !strings.Contains(err.Error(), "unet/diffusion_pytorch_model.fp16.safetensors") {
		t.Fatalf("offline missing file: %v", err)
	}
	t.Logf("offline, file missing: %v", err)
}

func TestPipelineVariantAndSkip(t *testing.T) {
	f := newFakeHub(t)
	files := tinyPipelineFiles()
	f.addCommit(tinyRepo, files)
	cache := t.TempDir()
	c := testClient(f, cache)
	s, err := c.Pipeline(context.Background(), tinyRepo, WithVariant("fp16"), WithSkipComponents("text_encoder", "tokenizer"))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"model_index.json",
		"scheduler/scheduler_config.json",
		"unet/config.json",
		"unet/diffusion_pytorch_model.fp16.safetensors",
		"vae/config.json",
		"vae/diffusion_pytorch_model-00001-of-00002.safetensors",
		"vae/diffusion_pytorch_model-00002-of-00002.safetensors",
		"vae/diffusion_pytorch_model.safetensors.index.json",
	}
	checkSnapshot(t, s, cache, files, want)
	if !slices.Equal(s.VariantFallback, []string{"vae"}) {
		t.Fatalf("fallback %q", s.VariantFallback)
	}
	// The same request resolves offline now; another one does not.
	off := testClient(f, cache, WithOffline(true))
	if _, err := off.Pipeline(context.Background(), tinyRepo, WithVariant("fp16"), WithSkipComponents("text_encoder", "tokenizer")); err != nil {
		t.Fatal(err)
	}
	_, err = off.Pipeline(context.Background(), tinyRepo, WithVariant("fp16"))
	if !errors.Is(err, ErrNotCached) || !strings.Contains(err.Error(), "text_encoder/") {
		t.Fatalf("offline, component missing: %v", err)
	}
	t.Logf("offline, component missing: %v", err)
}

func TestShardedVariant(t *testing.T) {
	f := newFakeHub(t)
	files := map[string]fakeFile{
		"model_index.json":                                             small(`{"_class_name":"X","unet":["diffusers","UNet2DConditionModel"]}`),
		"unet/config.json":                                             small(`{}`),
		"unet/diffusion_pytorch_model.safetensors":                     lfs(10, 1),
		"unet/diffusion_pytorch_model.safetensors.index.fp16.json":     small(`{"weight_map":{"a":"diffusion_pytorch_model.fp16-00001-of-00002.safetensors","b":"diffusion_pytorch_model.fp16-00002-of-00002.safetensors"}}`),
		"unet/diffusion_pytorch_model.fp16-00001-of-00002.safetensors": lfs(10, 2),
		"unet/diffusion_pytorch_model.fp16-00002-of-00002.safetensors": lfs(10, 3),
	}
	f.addCommit(tinyRepo, files)
	s, err := testClient(f, t.TempDir()).Pipeline(context.Background(), tinyRepo, WithVariant("fp16"))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"model_index.json", "unet/config.json",
		"unet/diffusion_pytorch_model.fp16-00001-of-00002.safetensors",
		"unet/diffusion_pytorch_model.fp16-00002-of-00002.safetensors",
		"unet/diffusion_pytorch_model.safetensors.index.fp16.json"}
	if !slices.Equal(s.Files, want) {
		t.Fatalf("got %q", s.Files)
	}
}

// TestHandWrittenCache lays out a cache the way huggingface_hub writes it
// and checks it is used without any request.
func TestHandWrittenCache(t *testing.T) {
	f := newFakeHub(t)
	cache := t.TempDir()
	commit := "0123456789abcdef0123456789abcdef01234567"
	storage := filepath.Join(cache, "models--test-org--tiny-pipe")
	files := tinyPipelineFiles()
	for _, p := range tinyPipelineWant {
		ff := files[p]
		etag := gitBlobSHA(ff.data)
		if ff.lfs {
			etag = sha256Hex(ff.data)
		}
		mustWrite(t, filepath.Join(storage, "blobs", etag), ff.data)
		ptr := filepath.Join(storage, "snapshots", commit, filepath.FromSlash(p))
		os.MkdirAll(filepath.Dir(ptr), 0o755)
		rel := strings.Repeat("../", 2+strings.Count(p, "/")) + "blobs/" + etag
		if err := os.Symlink(filepath.FromSlash(rel), ptr); err != nil {
			t.Fatal(err)
		}
	}
	mustWrite(t, filepath.Join(storage, "refs", "main"), []byte(commit))

	ctx := context.Background()
	// Offline, through refs/main.
	s, err := testClient(f, cache, WithOffline(true)).Pipeline(ctx, tinyRepo)
	if err != nil {
		t.Fatal(err)
	}
	checkSnapshot(t, s, cache, files, tinyPipelineWant)
	// Online with the commit as revision: no request either.
	s, err = testClient(f, cache).Pipeline(ctx, tinyRepo, WithRevision(commit))
	if err != nil || !s.FromCache {
		t.Fatalf("%v %+v", err, s)
	}
	p, err := testClient(f, cache).Download(ctx, tinyRepo, "unet/diffusion_pytorch_model.safetensors", WithRevision(commit))
	if err != nil || p != filepath.Join(storage, "snapshots", commit, "unet", "diffusion_pytorch_model.safetensors") {
		t.Fatalf("%q %v", p, err)
	}
	if r := f.requests(); len(r) != 0 {
		t.Fatalf("requests made: %q", r)
	}
	// A missing shard is reported.
	os.Remove(filepath.Join(storage, "snapshots", commit, "vae", "diffusion_pytorch_model-00002-of-00002.safetensors"))
	_, err = testClient(f, cache, WithOffline(true)).Pipeline(ctx, tinyRepo)
	if !errors.Is(err, ErrNotCached) || !strings.Contains(err.Error(), "vae/diffusion_pytorch_model-00002-of-00002.safetensors") {
		t.Fatalf("missing shard: %v", err)
	}
	t.Logf("offline, shard missing: %v", err)
	// A model component without its weights is reported.
	os.Remove(filepath.Join(storage, "snapshots", commit, "unet", "diffusion_pytorch_model.safetensors"))
	_, err = testClient(f, cache, WithOffline(true)).Pipeline(ctx, tinyRepo, WithSkipComponents("vae"))
	if !errors.Is(err, ErrNotCached) || !strings.Contains(err.Error(), "unet/ safetensors weights") {
		t.Fatalf("missing weights: %v", err)
	}
	t.Logf("offline, weights missing: %v", err)
}

func mustWrite(t *testing.T, p string, b []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestNewCommitReusesBlobs: a new commit that keeps a file's content
// reuses the cached blob (same etag) instead of downloading it again.
func TestNewCommitReusesBlobs(t *testing.T) {
	f := newFakeHub(t)
	files := tinyPipelineFiles()
	f.addCommit(tinyRepo, files)
	cache := t.TempDir()
	c := testClient(f, cache)
	if _, err := c.Pipeline(context.Background(), tinyRepo); err != nil {
		t.Fatal(err)
	}
	files2 := tinyPipelineFiles()
	files2["unet/config.json"] = small(`{"_class_name":"UNet2DConditionModel","sample_size":16}`)
	commit2 := f.addCommit(tinyRepo, files2)
	n := len(f.requests())
	s, err := c.Pipeline(context.Background(), tinyRepo)
	if err != nil {
		t.Fatal(err)
	}
	if s.Commit != commit2 {
		t.Fatal("new commit not picked up")
	}
	checkSnapshot(t, s, cache, files2, tinyPipelineWant)
	gets := 0
	for _, r := range f.requests()[n:] {
		if strings.HasPrefix(r, "CDN") || strings.HasPrefix(r, "HUB GET /test-org") {
			gets++
			if !strings.Contains(r, "unet/config.json") {
				t.Errorf("unexpected transfer %s", r)
			}
		}
	}
	if gets != 1 {
		t.Fatalf("%d transfers, want 1", gets)
	}
}
