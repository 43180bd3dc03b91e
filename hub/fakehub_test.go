package hub

import (
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// fakeFile is one file of a fake repository; LFS files are served through
// a redirect to the CDN server, like the Hub does.
type fakeFile struct {
	data []byte
	lfs  bool
}

type fakeRepo struct {
	revs  map[string]string              // branch/tag -> commit
	trees map[string]map[string]fakeFile // commit -> path -> file
	gated bool
}

// fakeHub serves the Hub endpoints this package uses:
// GET /api/models/{ns}/{name}/revision/{rev}, HEAD/GET
// /{ns}/{name}/resolve/{rev}/{path}, and a second server as the CDN.
type fakeHub struct {
	hub, cdn *httptest.Server
	token    string

	mu        sync.Mutex
	repos     map[string]*fakeRepo
	renamed   map[string]string // old repo id -> new one
	blobs     map[string][]byte // sha256 -> data
	log       []string          // "HUB METHOD path" / "CDN GET sha range"
	hubAuth   []string          // Authorization seen by the Hub
	cdnAuth   []string          // Authorization seen by the CDN
	cdnGets   map[string]int
	dropAfter map[string]int64 // sha -> bytes sent before the connection is cut (once)
	stallAt   map[string]int64 // sha -> bytes sent before the transfer hangs (once)
	corrupt   map[string]bool  // sha -> serve a flipped byte
	fail      map[string]int   // path suffix -> 503 answers before success
	cdnDelay  time.Duration
}

func newFakeHub(t testing.TB) *fakeHub {
	f := &fakeHub{token: "hf_test_token", repos: map[string]*fakeRepo{}, renamed: map[string]string{},
		blobs: map[string][]byte{}, cdnGets: map[string]int{}, dropAfter: map[string]int64{},
		corrupt: map[string]bool{}, fail: map[string]int{}, stallAt: map[string]int64{}}
	f.cdn = httptest.NewServer(http.HandlerFunc(f.serveCDN))
	f.hub = httptest.NewServer(http.HandlerFunc(f.route))
	t.Cleanup(func() { f.hub.Close(); f.cdn.Close() })
	return f
}

// newTinyHub starts a fake Hub holding tinyRepo with the files of
// tinyPipelineFiles as its one commit.
func newTinyHub(t testing.TB) (*fakeHub, map[string]fakeFile, string) {
	f := newFakeHub(t)
	files := tinyPipelineFiles()
	return f, files, f.addCommit(tinyRepo, files)
}

// requireContent fails the test unless the file at path holds want.
func requireContent(t testing.TB, path string, want []byte) {
	t.Helper()
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, string(want), string(got), "%s: content differs", path)
}

// addCommit stores files as a new commit of repo and points "main" at it.
func (f *fakeHub) addCommit(repo string, files map[string]fakeFile) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	r := f.repos[repo]
	if r == nil {
		r = &fakeRepo{revs: map[string]string{}, trees: map[string]map[string]fakeFile{}}
		f.repos[repo] = r
	}
	h := sha1.New()
	fmt.Fprintf(h, "%s %d", repo, len(r.trees))
	commit := hex.EncodeToString(h.Sum(nil))
	r.trees[commit] = files
	r.revs["main"] = commit
	for _, ff := range files {
		if ff.lfs {
			f.blobs[sha256Hex(ff.data)] = ff.data
		}
	}
	return commit
}

func (f *fakeHub) record(auth *[]string, line, a string) {
	f.mu.Lock()
	f.log = append(f.log, line)
	*auth = append(*auth, a)
	f.mu.Unlock()
}

func (f *fakeHub) requests() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.log...)
}

func (f *fakeHub) lookup(w http.ResponseWriter, r *http.Request) (*fakeRepo, string, string, bool) {
	id := r.PathValue("ns") + "/" + r.PathValue("name")
	f.mu.Lock()
	defer f.mu.Unlock()
	repo := f.repos[id]
	if repo == nil {
		w.Header().Set("X-Error-Code", "RepoNotFound")
		w.Header().Set("X-Error-Message", "Repository not found")
		w.WriteHeader(http.StatusNotFound)
		return nil, "", id, false
	}
	rev := r.PathValue("rev")
	commit, ok := repo.revs[rev]
	if !ok {
		if _, isCommit := repo.trees[rev]; isCommit {
			commit = rev
		} else {
			w.Header().Set("X-Error-Code", "RevisionNotFound")
			w.Header().Set("X-Error-Message", "Invalid rev id: "+rev)
			w.WriteHeader(http.StatusNotFound)
			return nil, "", id, false
		}
	}
	return repo, commit, id, true
}

// route dispatches by path, setting the path values the handlers read
// (revisions arrive escaped, "refs%2Fpr%2F1").
func (f *fakeHub) route(w http.ResponseWriter, r *http.Request) {
	segs := strings.Split(strings.TrimPrefix(r.URL.EscapedPath(), "/"), "/")
	unesc := func(s string) string {
		u, err := url.PathUnescape(s)
		if err != nil {
			return s
		}
		return u
	}
	switch {
	case len(segs) == 6 && segs[0] == "api" && segs[1] == "models" && segs[4] == "revision" && r.Method == http.MethodGet:
		r.SetPathValue("ns", segs[2])
		r.SetPathValue("name", segs[3])
		r.SetPathValue("rev", unesc(segs[5]))
		f.serveInfo(w, r)
	case len(segs) >= 5 && segs[2] == "resolve":
		r.SetPathValue("ns", segs[0])
		r.SetPathValue("name", segs[1])
		r.SetPathValue("rev", unesc(segs[3]))
		var rest []string
		for _, s := range segs[4:] {
			rest = append(rest, unesc(s))
		}
		r.SetPathValue("path", strings.Join(rest, "/"))
		f.serveResolve(w, r)
	default:
		http.NotFound(w, r)
	}
}

func (f *fakeHub) serveInfo(w http.ResponseWriter, r *http.Request) {
	f.record(&f.hubAuth, "HUB GET "+r.URL.Path+" "+r.Header.Get("User-Agent"), r.Header.Get("Authorization"))
	repo, commit, id, ok := f.lookup(w, r)
	if !ok {
		return
	}
	f.mu.Lock()
	var names []string
	for p := range repo.trees[commit] {
		names = append(names, p)
	}
	f.mu.Unlock()
	sort.Strings(names)
	type sib struct {
		R string `json:"rfilename"`
	}
	out := struct {
		ID       string `json:"id"`
		SHA      string `json:"sha"`
		Siblings []sib  `json:"siblings"`
	}{ID: id, SHA: commit}
	for _, n := range names {
		out.Siblings = append(out.Siblings, sib{n})
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(out)
}

func (f *fakeHub) serveResolve(w http.ResponseWriter, r *http.Request) {
	f.record(&f.hubAuth, "HUB "+r.Method+" "+r.URL.Path, r.Header.Get("Authorization"))
	id := r.PathValue("ns") + "/" + r.PathValue("name")
	f.mu.Lock()
	newID, moved := f.renamed[id]
	failing := false
	for suffix, n := range f.fail {
		if n > 0 && strings.HasSuffix(r.URL.Path, suffix) {
			f.fail[suffix] = n - 1
			failing = true
		}
	}
	f.mu.Unlock()
	if failing {
		http.Error(w, "try again", http.StatusServiceUnavailable)
		return
	}
	if moved {
		w.Header().Set("Location", "/"+newID+"/resolve/"+r.PathValue("rev")+"/"+r.PathValue("path"))
		w.WriteHeader(http.StatusTemporaryRedirect)
		return
	}
	repo, commit, _, ok := f.lookup(w, r)
	if !ok {
		return
	}
	if repo.gated && r.Header.Get("Authorization") != "Bearer "+f.token {
		w.Header().Set("X-Error-Code", "GatedRepo")
		w.Header().Set("X-Error-Message", "Access to model "+id+" is restricted.")
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	f.mu.Lock()
	file, ok := repo.trees[commit][r.PathValue("path")]
	f.mu.Unlock()
	w.Header().Set("X-Repo-Commit", commit)
	if !ok {
		w.Header().Set("X-Error-Code", "EntryNotFound")
		w.Header().Set("X-Error-Message", "Entry not found")
		w.WriteHeader(http.StatusNotFound)
		return
	}
	if file.lfs {
		sum := sha256Hex(file.data)
		w.Header().Set("X-Linked-Etag", `"`+sum+`"`)
		w.Header().Set("X-Linked-Size", fmt.Sprint(len(file.data)))
		w.Header().Set("ETag", `W/"`+gitBlobSHA(file.data)+`"`)
		w.Header().Set("Location", f.cdn.URL+"/blobs/"+sum+"?X-Amz-Signature=abc")
		w.WriteHeader(http.StatusFound)
		return
	}
	w.Header().Set("ETag", `"`+gitBlobSHA(file.data)+`"`)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(file.data))
}

func (f *fakeHub) serveCDN(w http.ResponseWriter, r *http.Request) {
	sum := strings.TrimPrefix(r.URL.Path, "/blobs/")
	f.record(&f.cdnAuth, "CDN "+r.Method+" "+sum+" "+r.Header.Get("Range"), r.Header.Get("Authorization"))
	f.mu.Lock()
	data, ok := f.blobs[sum]
	f.cdnGets[sum]++
	drop := f.dropAfter[sum]
	delete(f.dropAfter, sum)
	stall := f.stallAt[sum]
	delete(f.stallAt, sum)
	corrupt := f.corrupt[sum]
	delay := f.cdnDelay
	f.mu.Unlock()
	if !ok {
		http.NotFound(w, r)
		return
	}
	if delay > 0 {
		time.Sleep(delay)
	}
	if corrupt {
		data = append([]byte(nil), data...)
		data[len(data)/2] ^= 0xff
	}
	if drop > 0 && r.Header.Get("Range") == "" {
		w.Header().Set("Content-Length", fmt.Sprint(len(data)))
		w.WriteHeader(http.StatusOK)
		w.Write(data[:drop])
		w.(http.Flusher).Flush()
		panic(http.ErrAbortHandler) // cut the connection mid-file
	}
	if stall > 0 && r.Header.Get("Range") == "" {
		w.Header().Set("Content-Length", fmt.Sprint(len(data)))
		w.WriteHeader(http.StatusOK)
		w.Write(data[:stall])
		w.(http.Flusher).Flush()
		<-r.Context().Done() // hang until the client gives up
		return
	}
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(data))
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// gitBlobSHA is git's object id of a blob, the Hub's ETag for small files.
func gitBlobSHA(b []byte) string {
	h := sha1.New()
	fmt.Fprintf(h, "blob %d\x00", len(b))
	h.Write(b)
	return hex.EncodeToString(h.Sum(nil))
}

// tinySafetensors builds a valid safetensors file holding one F32 tensor
// "w" of n pseudo-random values.
func tinySafetensors(n int, seed int64) []byte {
	rng := rand.New(rand.NewSource(seed))
	data := make([]byte, 4*n)
	for i := 0; i < n; i++ {
		binary.LittleEndian.PutUint32(data[4*i:], uint32(rng.Int31()))
	}
	hdr := fmt.Sprintf(`{"w":{"dtype":"F32","shape":[%d],"data_offsets":[0,%d]}}`, n, 4*n)
	for len(hdr)%8 != 0 {
		hdr += " "
	}
	out := make([]byte, 8, 8+len(hdr)+len(data))
	binary.LittleEndian.PutUint64(out, uint64(len(hdr)))
	out = append(out, hdr...)
	return append(out, data...)
}

func small(s string) fakeFile { return fakeFile{data: []byte(s)} }
func lfs(n int, seed int64) fakeFile {
	return fakeFile{data: tinySafetensors(n, seed), lfs: true}
}

const tinyModelIndex = `{
  "_class_name": "StableDiffusionPipeline",
  "_diffusers_version": "0.42.1",
  "feature_extractor": [null, null],
  "requires_safety_checker": false,
  "safety_checker": [null, null],
  "scheduler": ["diffusers", "PNDMScheduler"],
  "text_encoder": ["transformers", "CLIPTextModel"],
  "tokenizer": ["transformers", "CLIPTokenizer"],
  "unet": ["diffusers", "UNet2DConditionModel"],
  "vae": ["diffusers", "AutoencoderKL"]
}`

// tinyPipelineFiles is a small diffusers repository: a 64k-float UNet
// (also in fp16 and .bin), a sharded VAE, a text encoder, tokenizer and
// scheduler files, plus files that must not be fetched.
func tinyPipelineFiles() map[string]fakeFile {
	return map[string]fakeFile{
		".gitattributes":   small("*.safetensors filter=lfs\n"),
		"README.md":        small("# tiny\n"),
		"model_index.json": small(tinyModelIndex),
		"unet/config.json": small(`{"_class_name":"UNet2DConditionModel","sample_size":8}`),
		"unet/diffusion_pytorch_model.safetensors":               lfs(64<<10, 1),
		"unet/diffusion_pytorch_model.fp16.safetensors":          lfs(1000, 2),
		"unet/diffusion_pytorch_model.bin":                       lfs(100, 3),
		"vae/config.json":                                        small(`{"_class_name":"AutoencoderKL"}`),
		"vae/diffusion_pytorch_model.safetensors.index.json":     small(`{"metadata":{},"weight_map":{"a":"diffusion_pytorch_model-00001-of-00002.safetensors","b":"diffusion_pytorch_model-00002-of-00002.safetensors"}}`),
		"vae/diffusion_pytorch_model-00001-of-00002.safetensors": lfs(3000, 4),
		"vae/diffusion_pytorch_model-00002-of-00002.safetensors": lfs(2000, 5),
		"text_encoder/config.json":                               small(`{"architectures":["CLIPTextModel"]}`),
		"text_encoder/model.safetensors":                         lfs(4000, 6),
		"text_encoder/model.fp16.safetensors":                    lfs(500, 7),
		"text_encoder/pytorch_model.bin":                         lfs(100, 8),
		"tokenizer/vocab.json":                                   small(`{"a</w>":0}`),
		"tokenizer/merges.txt":                                   small("#version: 0.2\n"),
		"tokenizer/tokenizer_config.json":                        small(`{"model_max_length":77}`),
		"tokenizer/special_tokens_map.json":                      small(`{}`),
		"scheduler/scheduler_config.json":                        small(`{"_class_name":"PNDMScheduler"}`),
		"safety_checker/config.json":                             small(`{}`),
		"safety_checker/model.safetensors":                       lfs(100, 9),
		"docs/unet/notes.json":                                   small(`{}`),
	}
}

// tinyPipelineWant is what DownloadPipeline must fetch without a variant.
var tinyPipelineWant = []string{
	"model_index.json",
	"scheduler/scheduler_config.json",
	"text_encoder/config.json",
	"text_encoder/model.safetensors",
	"tokenizer/merges.txt",
	"tokenizer/special_tokens_map.json",
	"tokenizer/tokenizer_config.json",
	"tokenizer/vocab.json",
	"unet/config.json",
	"unet/diffusion_pytorch_model.safetensors",
	"vae/config.json",
	"vae/diffusion_pytorch_model-00001-of-00002.safetensors",
	"vae/diffusion_pytorch_model-00002-of-00002.safetensors",
	"vae/diffusion_pytorch_model.safetensors.index.json",
}
