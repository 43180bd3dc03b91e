package hub

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
	require.Equal(t, want, s.Files, "files:\n got %q\nwant %q", s.Files, want)
	got, err := snapshotFiles(s.Dir)
	require.NoError(t, err)
	require.Equal(t, want, got, "snapshot folder holds %q, want %q", got, want)
	storage := filepath.Join(cache, "models--"+strings.ReplaceAll(tinyRepo, "/", "--"))
	require.Equal(t, filepath.Join(storage, "snapshots", s.Commit), s.Dir, "Dir %s", s.Dir)
	for _, p := range want {
		ff := files[p]
		b, err := os.ReadFile(filepath.Join(s.Dir, p))
		require.NoError(t, err)
		require.Equal(t, string(ff.data), string(b), "%s: content differs", p)
		etag := gitBlobSHA(ff.data)
		if ff.lfs {
			etag = sha256Hex(ff.data)
		}
		link, err := os.Readlink(filepath.Join(s.Dir, p))
		require.NoError(t, err, "%s: not a symlink", p)
		wantLink := strings.Repeat("../", 2+strings.Count(p, "/")) + "blobs/" + etag
		require.Equal(t, filepath.FromSlash(wantLink), link, "%s -> %s, want %s", p, link, wantLink)
	}
	left, _ := filepath.Glob(filepath.Join(storage, "blobs", "*.incomplete"))
	require.Empty(t, left, "left over: %q", left)
}

func TestPipelineEndToEnd(t *testing.T) {
	f, files, commit := newTinyHub(t)
	cache := t.TempDir()

	var last Progress
	calls := 0
	perFile := map[string]Progress{}
	c := testClient(f, cache, WithProgress(func(p Progress) {
		if prev, ok := perFile[p.File]; ok {
			assert.GreaterOrEqual(t, p.FileDone, prev.FileDone, "%s went back", p.File)
		}
		assert.GreaterOrEqual(t, p.Done, last.Done, "overall progress went back")
		perFile[p.File] = p
		last = p
		calls++
	}), WithConcurrency(3))
	s, err := c.Pipeline(context.Background(), tinyRepo)
	require.NoError(t, err)
	require.Equal(t, commit, s.Commit, "commit %s fromCache %v", s.Commit, s.FromCache)
	require.False(t, s.FromCache, "commit %s fromCache %v", s.Commit, s.FromCache)
	checkSnapshot(t, s, cache, files, tinyPipelineWant)
	ref, _ := os.ReadFile(filepath.Join(cache, "models--test-org--tiny-pipe", "refs", "main"))
	require.Equal(t, commit, string(ref), "refs/main = %q", ref)
	var total int64
	for _, p := range tinyPipelineWant {
		total += int64(len(files[p].data))
	}
	require.NotZero(t, calls, "progress: %d calls, last %+v, want total %d", calls, last, total)
	require.Equal(t, last.Total, last.Done, "progress: %d calls, last %+v, want total %d", calls, last, total)
	require.Equal(t, total, last.Total, "progress: %d calls, last %+v, want total %d", calls, last, total)
	require.Equal(t, last.FilesTotal, last.FilesDone, "progress: %d calls, last %+v, want total %d", calls, last, total)
	require.Equal(t, len(tinyPipelineWant), last.FilesTotal, "progress: %d calls, last %+v, want total %d", calls, last, total)
	for _, p := range tinyPipelineWant {
		got := perFile[p]
		assert.Equal(t, int64(len(files[p].data)), got.FileDone, "%s: last progress %+v", p, got)
		assert.Equal(t, got.FileDone, got.FileTotal, "%s: last progress %+v", p, got)
	}
	for _, a := range f.cdnAuth {
		require.Empty(t, a, "CDN received Authorization %q", a)
	}

	// Again, online: one model-info request, nothing else.
	n := len(f.requests())
	_, err = c.Pipeline(context.Background(), tinyRepo)
	require.NoError(t, err)
	r := f.requests()[n:]
	require.Len(t, r, 1, "second call made requests %q", r)
	require.True(t, strings.HasPrefix(r[0], "HUB GET /api/models/"), "second call made requests %q", r)

	// Server down: served from the cache.
	f.hub.Close()
	f.cdn.Close()
	s2, err := c.Pipeline(context.Background(), tinyRepo)
	require.NoError(t, err, "server down")
	require.True(t, s2.FromCache, "server down: %+v", s2)
	require.Equal(t, s.Dir, s2.Dir, "server down: %+v", s2)
	p, err := c.Download(context.Background(), tinyRepo, "unet/config.json")
	require.NoError(t, err, "server down, single file: %q %v", p, err)
	require.Equal(t, filepath.Join(s.Dir, "unet", "config.json"), p, "server down, single file: %q %v", p, err)

	// Offline mode, from the environment.
	t.Setenv("HF_HUB_OFFLINE", "1")
	off := NewClient(WithCacheDir(cache), WithEndpoint("http://127.0.0.1:1"), WithToken(""))
	dir, err := off.DownloadPipeline(context.Background(), tinyRepo)
	require.NoError(t, err, "offline: %q %v", dir, err)
	require.Equal(t, s.Dir, dir, "offline: %q %v", dir, err)
	// What is not cached is named.
	_, err = off.DownloadPipeline(context.Background(), tinyRepo, WithVariant("fp16"))
	require.ErrorIs(t, err, ErrNotCached, "offline variant: %v", err)
	require.ErrorContains(t, err, "fp16", "offline variant: %v", err)
	_, err = off.Download(context.Background(), tinyRepo, "unet/diffusion_pytorch_model.fp16.safetensors")
	require.ErrorIs(t, err, ErrNotCached, "offline missing file: %v", err)
	require.ErrorContains(t, err, "unet/diffusion_pytorch_model.fp16.safetensors", "offline missing file: %v", err)
	t.Logf("offline, file missing: %v", err)
}

func TestPipelineVariantAndSkip(t *testing.T) {
	f, files, _ := newTinyHub(t)
	cache := t.TempDir()
	c := testClient(f, cache)
	s, err := c.Pipeline(context.Background(), tinyRepo, WithVariant("fp16"), WithSkipComponents("text_encoder", "tokenizer"))
	require.NoError(t, err)
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
	require.Equal(t, []string{"vae"}, s.VariantFallback, "fallback %q", s.VariantFallback)
	// The same request resolves offline now; another one does not.
	off := testClient(f, cache, WithOffline(true))
	_, err = off.Pipeline(context.Background(), tinyRepo, WithVariant("fp16"), WithSkipComponents("text_encoder", "tokenizer"))
	require.NoError(t, err)
	_, err = off.Pipeline(context.Background(), tinyRepo, WithVariant("fp16"))
	require.ErrorIs(t, err, ErrNotCached, "offline, component missing: %v", err)
	require.ErrorContains(t, err, "text_encoder/", "offline, component missing: %v", err)
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
	require.NoError(t, err)
	want := []string{"model_index.json", "unet/config.json",
		"unet/diffusion_pytorch_model.fp16-00001-of-00002.safetensors",
		"unet/diffusion_pytorch_model.fp16-00002-of-00002.safetensors",
		"unet/diffusion_pytorch_model.safetensors.index.fp16.json"}
	require.Equal(t, want, s.Files, "got %q", s.Files)
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
		require.NoError(t, os.Symlink(filepath.FromSlash(rel), ptr))
	}
	mustWrite(t, filepath.Join(storage, "refs", "main"), []byte(commit))

	ctx := context.Background()
	// Offline, through refs/main.
	s, err := testClient(f, cache, WithOffline(true)).Pipeline(ctx, tinyRepo)
	require.NoError(t, err)
	checkSnapshot(t, s, cache, files, tinyPipelineWant)
	// Online with the commit as revision: no request either.
	s, err = testClient(f, cache).Pipeline(ctx, tinyRepo, WithRevision(commit))
	require.NoError(t, err, "%v %+v", err, s)
	require.True(t, s.FromCache, "%v %+v", err, s)
	p, err := testClient(f, cache).Download(ctx, tinyRepo, "unet/diffusion_pytorch_model.safetensors", WithRevision(commit))
	require.NoError(t, err, "%q %v", p, err)
	require.Equal(t, filepath.Join(storage, "snapshots", commit, "unet", "diffusion_pytorch_model.safetensors"), p, "%q %v", p, err)
	r := f.requests()
	require.Empty(t, r, "requests made: %q", r)
	// A missing shard is reported.
	os.Remove(filepath.Join(storage, "snapshots", commit, "vae", "diffusion_pytorch_model-00002-of-00002.safetensors"))
	_, err = testClient(f, cache, WithOffline(true)).Pipeline(ctx, tinyRepo)
	require.ErrorIs(t, err, ErrNotCached, "missing shard: %v", err)
	require.ErrorContains(t, err, "vae/diffusion_pytorch_model-00002-of-00002.safetensors", "missing shard: %v", err)
	t.Logf("offline, shard missing: %v", err)
	// A model component without its weights is reported.
	os.Remove(filepath.Join(storage, "snapshots", commit, "unet", "diffusion_pytorch_model.safetensors"))
	_, err = testClient(f, cache, WithOffline(true)).Pipeline(ctx, tinyRepo, WithSkipComponents("vae"))
	require.ErrorIs(t, err, ErrNotCached, "missing weights: %v", err)
	require.ErrorContains(t, err, "unet/ safetensors weights", "missing weights: %v", err)
	t.Logf("offline, weights missing: %v", err)
}

func mustWrite(t *testing.T, p string, b []byte) {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
	require.NoError(t, os.WriteFile(p, b, 0o644))
}

// TestNewCommitReusesBlobs: a new commit that keeps a file's content
// reuses the cached blob (same etag) instead of downloading it again.
func TestNewCommitReusesBlobs(t *testing.T) {
	f, _, _ := newTinyHub(t)
	cache := t.TempDir()
	c := testClient(f, cache)
	_, err := c.Pipeline(context.Background(), tinyRepo)
	require.NoError(t, err)
	files2 := tinyPipelineFiles()
	files2["unet/config.json"] = small(`{"_class_name":"UNet2DConditionModel","sample_size":16}`)
	commit2 := f.addCommit(tinyRepo, files2)
	n := len(f.requests())
	s, err := c.Pipeline(context.Background(), tinyRepo)
	require.NoError(t, err)
	require.Equal(t, commit2, s.Commit, "new commit not picked up")
	checkSnapshot(t, s, cache, files2, tinyPipelineWant)
	gets := 0
	for _, r := range f.requests()[n:] {
		if strings.HasPrefix(r, "CDN") || strings.HasPrefix(r, "HUB GET /test-org") {
			gets++
			assert.Contains(t, r, "unet/config.json", "unexpected transfer %s", r)
		}
	}
	require.Equal(t, 1, gets, "%d transfers, want 1", gets)
}
