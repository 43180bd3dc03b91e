package autopipeline_test

import (
	"bytes"
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goautopipe/diffusers/autopipeline"
	"github.com/goautopipe/diffusers/hub"
	"github.com/goautopipe/diffusers/pipelines"
	"github.com/goautopipe/diffusers/tensor"
	"github.com/stretchr/testify/require"
)

// hubServer behaves like the Hub's model-info and resolve endpoints for
// repos made from local folders: safetensors files are LFS blobs served by
// a second (CDN) server after a 302, the rest are served directly.
type hubServer struct {
	hub, cdn *httptest.Server
	repos    map[string]map[string][]byte // repo -> path -> data
	commit   string
	mu       sync.Mutex
	got      []string // paths fetched with GET (hub or CDN)
}

func newHubServer(t *testing.T, repos map[string]string) *hubServer {
	s := &hubServer{repos: map[string]map[string][]byte{}, commit: strings.Repeat("ab12", 10)}
	for id, dir := range repos {
		files := map[string][]byte{}
		err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			data, err := os.ReadFile(p) // follows symlinks
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(dir, p)
			files[filepath.ToSlash(rel)] = data
			return nil
		})
		require.NoError(t, err)
		s.repos[id] = files
	}
	blobs := map[string][]byte{}
	for _, files := range s.repos {
		for _, d := range files {
			sum := sha256.Sum256(d)
			blobs[hex.EncodeToString(sum[:])] = d
		}
	}
	s.cdn = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d, ok := blobs[strings.TrimPrefix(r.URL.Path, "/blobs/")]
		if !ok {
			http.NotFound(w, r)
			return
		}
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(d))
	}))
	s.hub = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(func() { s.hub.Close(); s.cdn.Close() })
	return s
}

func (s *hubServer) serve(w http.ResponseWriter, r *http.Request) {
	segs := strings.Split(strings.TrimPrefix(r.URL.Path, "/"), "/")
	if len(segs) == 6 && segs[0] == "api" && segs[1] == "models" && segs[4] == "revision" {
		files, ok := s.repos[segs[2]+"/"+segs[3]]
		if !ok {
			w.Header().Set("X-Error-Code", "RepoNotFound")
			http.Error(w, "Repository not found", http.StatusNotFound)
			return
		}
		type sib struct {
			R string `json:"rfilename"`
		}
		out := struct {
			ID       string `json:"id"`
			SHA      string `json:"sha"`
			Siblings []sib  `json:"siblings"`
		}{ID: segs[2] + "/" + segs[3], SHA: s.commit}
		var names []string
		for n := range files {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			out.Siblings = append(out.Siblings, sib{n})
		}
		json.NewEncoder(w).Encode(out)
		return
	}
	if len(segs) < 5 || segs[2] != "resolve" {
		http.NotFound(w, r)
		return
	}
	files, ok := s.repos[segs[0]+"/"+segs[1]]
	if !ok {
		w.Header().Set("X-Error-Code", "RepoNotFound")
		http.Error(w, "Repository not found", http.StatusNotFound)
		return
	}
	path := strings.Join(segs[4:], "/")
	d, ok := files[path]
	w.Header().Set("X-Repo-Commit", s.commit)
	if !ok {
		w.Header().Set("X-Error-Code", "EntryNotFound")
		http.Error(w, "Entry not found", http.StatusNotFound)
		return
	}
	if r.Method == http.MethodGet {
		s.mu.Lock()
		s.got = append(s.got, path)
		s.mu.Unlock()
	}
	if strings.HasSuffix(path, ".safetensors") {
		sum := sha256.Sum256(d)
		hexsum := hex.EncodeToString(sum[:])
		w.Header().Set("X-Linked-Etag", `"`+hexsum+`"`)
		w.Header().Set("X-Linked-Size", fmt.Sprint(len(d)))
		w.Header().Set("Location", s.cdn.URL+"/blobs/"+hexsum)
		w.WriteHeader(http.StatusFound)
		return
	}
	g := sha1.Sum(append([]byte(fmt.Sprintf("blob %d\x00", len(d))), d...))
	w.Header().Set("ETag", `"`+hex.EncodeToString(g[:])+`"`)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(d))
}

func (s *hubServer) fetched() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.got...)
}

func TestFromPretrainedHub(t *testing.T) {
	ctx := context.Background()
	srv := newHubServer(t, map[string]string{
		"test-org/tiny-sd":      td + "tiny-sd",
		"openai/shap-e-img2img": td + "tiny-unsupported",
	})
	cache := t.TempDir()
	opts := func(extra ...hub.Option) autopipeline.Option {
		return autopipeline.WithHubOptions(append([]hub.Option{hub.WithEndpoint(srv.hub.URL), hub.WithCacheDir(cache), hub.WithToken("")}, extra...)...)
	}
	req := pipelines.Request{Prompt: "a photo of a cat", NumInferenceSteps: 2, Seed: 4}

	local, err := autopipeline.Text2Image.FromPretrained(ctx, td+"tiny-sd", autopipeline.WithComponent("safety_checker", nil))
	require.NoError(t, err)
	want, err := local.Generate(ctx, req)
	require.NoError(t, err)

	// The unsupported family fails after model_index.json, before anything else.
	_, err = autopipeline.Text2Image.FromPretrained(ctx, "openai/shap-e-img2img", opts())
	require.ErrorIs(t, err, autopipeline.ErrUnsupported)
	require.Contains(t, err.Error(), "AutoPipeline can't find a pipeline linked to ShapEImg2ImgPipeline for None")
	require.Equal(t, []string{"model_index.json"}, srv.fetched())

	// A replaced component is not downloaded.
	var progressed bool
	p, err := autopipeline.Text2Image.FromPretrained(ctx, "test-org/tiny-sd", opts(hub.WithProgress(func(hub.Progress) { progressed = true })),
		autopipeline.WithComponent("safety_checker", nil))
	require.NoError(t, err)
	require.True(t, progressed)
	for _, f := range srv.fetched() {
		require.False(t, strings.HasPrefix(f, "safety_checker/"), "fetched %s", f)
	}
	require.Equal(t, "test-org/tiny-sd", p.Config()["_name_or_path"])
	got, err := p.Generate(ctx, req)
	require.NoError(t, err)
	require.Equal(t, tensor.F32(want.Pixels), tensor.F32(got.Pixels))

	// Served from the cache with the server gone, and in offline mode.
	srv.hub.Close()
	srv.cdn.Close()
	_, err = autopipeline.Text2Image.FromPretrained(ctx, "test-org/tiny-sd", opts(hub.WithRetry(1, time.Millisecond, time.Millisecond)), autopipeline.WithComponent("safety_checker", nil))
	require.NoError(t, err)
	_, err = autopipeline.Image2Image.FromPretrained(ctx, "test-org/tiny-sd", opts(), autopipeline.WithOffline(true), autopipeline.WithComponent("safety_checker", nil))
	require.NoError(t, err)
	// Offline, a component never downloaded is named.
	_, err = autopipeline.Text2Image.FromPretrained(ctx, "test-org/tiny-sd", opts(), autopipeline.WithOffline(true))
	require.ErrorIs(t, err, hub.ErrNotCached)
	require.Contains(t, err.Error(), "safety_checker")

	_, err = autopipeline.Text2Image.FromPretrained(ctx, "not a repo id!", opts())
	require.Error(t, err)
	require.True(t, errors.Is(err, hub.ErrInvalidRepoID), err.Error())
}

func TestRemovedRepoNamesItsOfficialCopy(t *testing.T) {
	ctx := context.Background()
	srv := newHubServer(t, map[string]string{"stable-diffusion-v1-5/stable-diffusion-v1-5": td + "tiny-sd"})
	opts := autopipeline.WithHubOptions(hub.WithEndpoint(srv.hub.URL), hub.WithCacheDir(t.TempDir()), hub.WithToken(""))

	_, err := autopipeline.Text2Image.FromPretrained(ctx, "runwayml/stable-diffusion-v1-5", opts)
	var moved *autopipeline.MovedRepoError
	require.ErrorAs(t, err, &moved)
	require.Equal(t, "stable-diffusion-v1-5/stable-diffusion-v1-5", moved.Successor)
	require.ErrorIs(t, err, hub.ErrRepoNotFound)
	require.Contains(t, err.Error(), "use its official copy stable-diffusion-v1-5/stable-diffusion-v1-5")

	// The id it names loads.
	p, err := autopipeline.Text2Image.FromPretrained(ctx, moved.Successor, opts)
	require.NoError(t, err)
	require.Equal(t, "StableDiffusionPipeline", p.ClassName())

	// Other missing repos keep the Hub's error.
	_, err = autopipeline.Text2Image.FromPretrained(ctx, "someone/missing", opts)
	require.ErrorIs(t, err, hub.ErrRepoNotFound)
	require.False(t, errors.As(err, &moved))
}
