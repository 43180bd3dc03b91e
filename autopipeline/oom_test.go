//go:build linux

package autopipeline_test

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goautopipe/diffusers/autopipeline"
)

const oomChildEnv = "AUTOPIPELINE_OOM_CHILD"

// The requests and files that used to end the process with Go's
// unrecoverable "out of memory" run in a child process with an address
// space limit and an RSS watchdog, so a regression fails this test instead
// of killing the test binary (or the machine).
func TestOutOfMemoryCases(t *testing.T) {
	if os.Getenv(oomChildEnv) != "" {
		t.Skip("in the child")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestOutOfMemoryChild$", "-test.v")
	cmd.Env = append(os.Environ(), oomChildEnv+"=1")
	out, err := cmd.CombinedOutput()
	text := string(out)
	require.NoError(t, err, "the child failed (a case exhausted memory?):\n%s", head(text, 2000))
	assert.Contains(t, text, "--- PASS: TestOutOfMemoryChild")
	assert.NotContains(t, text, "--- SKIP: TestOutOfMemoryChild")
}

func head(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// childLimits caps the child: 1 GiB of Go heap target, 8 GiB of address
// space (an allocation past it fails at once), and a watchdog that exits
// with code 3 above 2 GiB of resident memory.
func childLimits(t *testing.T) {
	debug.SetMemoryLimit(1 << 30)
	lim := syscall.Rlimit{Cur: 8 << 30, Max: 8 << 30}
	require.NoError(t, syscall.Setrlimit(syscall.RLIMIT_AS, &lim))
	go func() {
		for range time.Tick(20 * time.Millisecond) {
			if rss := residentBytes(); rss > 2<<30 {
				fmt.Fprintf(os.Stderr, "watchdog: resident memory %d bytes above 2 GiB\n", rss)
				os.Exit(3)
			}
		}
	}()
}

func residentBytes() int64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0
	}
	pages, _ := strconv.ParseInt(f[1], 10, 64)
	return pages * int64(os.Getpagesize())
}

func TestOutOfMemoryChild(t *testing.T) {
	if os.Getenv(oomChildEnv) == "" {
		t.Skip("run by TestOutOfMemoryCases in a memory-limited child")
	}
	childLimits(t)
	ctx := context.Background()
	t2i, i2i := tinyPipes(t)
	requests := []struct {
		name string
		pipe autopipeline.Pipeline
		req  autopipeline.Request
	}{
		{"images per prompt 1<<30", t2i, autopipeline.Request{NumImagesPerPrompt: 1 << 30}},
		{"images per prompt 5000", t2i, autopipeline.Request{NumImagesPerPrompt: 5000}},
		{"65536 x 65536", t2i, autopipeline.Request{Width: 65536, Height: 65536}},
		{"16384 x 16384", t2i, autopipeline.Request{Width: 16384, Height: 16384}},
		{"8192 x 8192", t2i, autopipeline.Request{Width: 8192, Height: 8192}},
		{"width near MaxInt", t2i, autopipeline.Request{Width: math.MaxInt - 7, Height: 64}},
		{"image.Uniform input", i2i, autopipeline.Request{Image: image.NewUniform(color.White)}},
	}
	for _, tc := range requests {
		r := tc.req
		r.Prompt, r.NumInferenceSteps = "a cat", 2
		_, err := tc.pipe.Generate(ctx, r)
		require.Error(t, err, tc.name)
		t.Logf("%s: %v", tc.name, err)
	}
	require.Error(t, autopipeline.SavePNG(filepath.Join(t.TempDir(), "u.png"), image.NewUniform(color.White), autopipeline.Parameters{}))
	for _, tc := range []struct{ file, key, value string }{
		{"unet/config.json", "layers_per_block", "1e9"},
		{"text_encoder/config.json", "num_hidden_layers", "1e9"},
		{"scheduler/scheduler_config.json", "num_train_timesteps", "1e9"},
		{"feature_extractor/preprocessor_config.json", "crop_size", "1e9"},
		{"unet/config.json", "sample_size", "1e9"},
	} {
		dir := copyFixture(t, "tiny-sd")
		setKey(t, filepath.Join(dir, tc.file), tc.key, tc.value)
		_, err := autopipeline.Text2Image.FromPretrained(ctx, dir)
		require.Error(t, err, tc.file+" "+tc.key)
	}
	dir := copyFixture(t, "tiny-sd")
	vocab := filepath.Join(dir, "tokenizer", "vocab.json")
	require.NoError(t, os.Remove(vocab))
	require.NoError(t, os.Symlink("/dev/zero", vocab))
	_, err := autopipeline.Text2Image.FromPretrained(ctx, dir)
	require.Error(t, err)
}
