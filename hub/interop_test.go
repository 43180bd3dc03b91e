package hub

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// pyInterop downloads or resolves files with huggingface_hub itself.
const pyInterop = `
import json, os, sys
from huggingface_hub import hf_hub_download, snapshot_download
mode, repo, cache, endpoint, files = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], json.loads(sys.argv[5])
out = {}
if mode == "download":
    for f in files:
        out[f] = hf_hub_download(repo, f, cache_dir=cache, endpoint=endpoint, token=False)
else:
    for f in files:
        out[f] = hf_hub_download(repo, f, cache_dir=cache, local_files_only=True)
    out["<snapshot>"] = snapshot_download(repo, cache_dir=cache, local_files_only=True)
print(json.dumps(out))
`

// TestInteropHuggingfaceHub checks, with huggingface_hub itself, that a
// cache written by Python is used by this package without any request and
// that a cache written here is found by Python offline. Opt-in:
// AUTOPIPE_HUB_PYTHON=tools/reference/.venv/bin/python (a Python with
// huggingface_hub installed).
func TestInteropHuggingfaceHub(t *testing.T) {
	py := os.Getenv("AUTOPIPE_HUB_PYTHON")
	if py == "" {
		t.Skip("set AUTOPIPE_HUB_PYTHON to a Python with huggingface_hub")
	}
	if !filepath.IsAbs(py) {
		py, _ = filepath.Abs(filepath.Join("..", py))
	}
	f, files, commit := newTinyHub(t)
	list, _ := json.Marshal(tinyPipelineWant)
	run := func(mode, cache string) map[string]string {
		t.Helper()
		cmd := exec.Command(py, "-c", pyInterop, mode, tinyRepo, cache, f.hub.URL, string(list))
		cmd.Env = append(os.Environ(), "HF_HUB_DISABLE_TELEMETRY=1", "HF_TOKEN=")
		if mode != "download" {
			cmd.Env = append(cmd.Env, "HF_HUB_OFFLINE=1")
		}
		out, err := cmd.Output()
		var stderr string
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		require.NoError(t, err, "python %s\n%s", mode, stderr)
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		var paths map[string]string
		require.NoError(t, json.Unmarshal([]byte(lines[len(lines)-1]), &paths), "python output %q", out)
		return paths
	}

	// Python writes, Go reads offline and by commit, without requests.
	pyCache := t.TempDir()
	run("download", pyCache)
	n := len(f.requests())
	t.Logf("huggingface_hub made %d requests, e.g. %q", n, f.requests()[:2])
	s, err := testClient(f, pyCache, WithOffline(true)).Pipeline(context.Background(), tinyRepo)
	require.NoError(t, err)
	checkSnapshot(t, s, pyCache, files, tinyPipelineWant)
	_, err = testClient(f, pyCache).Pipeline(context.Background(), tinyRepo, WithRevision(commit))
	require.NoError(t, err)
	r := f.requests()[n:]
	require.Empty(t, r, "requests on a Python-written cache: %q", r)

	// Go writes, Python reads offline.
	goCache := t.TempDir()
	s, err = testClient(f, goCache).Pipeline(context.Background(), tinyRepo)
	require.NoError(t, err)
	paths := run("offline", goCache)
	for _, p := range tinyPipelineWant {
		assert.Equal(t, filepath.Join(s.Dir, filepath.FromSlash(p)), paths[p], "python resolves %s to %s", p, paths[p])
	}
	assert.Equal(t, s.Dir, paths["<snapshot>"], "python snapshot %s, want %s", paths["<snapshot>"], s.Dir)
}
