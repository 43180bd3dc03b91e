package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/goautopipe/diffusers/autopipeline"
	"github.com/goautopipe/diffusers/hub"
	"github.com/stretchr/testify/require"
)

// fakeProgress is a progress reporter on a buffer with a clock the test moves.
func fakeProgress(tty bool, steps int) (*progress, *bytes.Buffer, *time.Time) {
	var buf bytes.Buffer
	p := newProgress(&buf, &options{progress: tty, steps: steps})
	p.width = 10
	clock := time.Unix(0, 0)
	p.now = func() time.Time { return clock }
	return p, &buf, &clock
}

func TestProgressTerminal(t *testing.T) {
	p, buf, clock := fakeProgress(true, 3)
	p.phase("loading m")
	*clock = clock.Add(1500 * time.Millisecond)
	p.done("loaded m")
	require.Equal(t, "\rloading m ...\rloaded m in 1.50 s\n", buf.String())

	buf.Reset()
	p.phase("encoding the prompt")
	p.step(1, 4)
	*clock = clock.Add(2 * time.Second)
	p.step(3, 4)
	require.Equal(t, "\rencoding the prompt ..."+
		"\rdenoising 3 steps (4 UNet evaluations) [##--------] 1/4"+
		"\rdenoising 3 steps (4 UNet evaluations) [#######---] 3/4  1.00 s/step  ETA 1.00 s", buf.String(),
		"a scheduler that adds evaluations says so")
	buf.Reset()
	*clock = clock.Add(time.Second)
	p.step(4, 4)
	p.summary(autopipeline.Timings{Encode: 10 * time.Millisecond, Denoise: 3 * time.Second, Decode: 500 * time.Millisecond})
	require.Equal(t, "\rdenoising 3 steps (4 UNet evaluations) [##########] 4/4  1.00 s/step  ETA 0.00 s\n"+
		"\rdecoding ...\rdone: text encoding 0.01 s, preparation 0.00 s, denoising 3.00 s, decoding 0.50 s\n", buf.String())

	buf.Reset()
	p.phase("loading")
	p.phase("x")
	p.end()
	p.end()
	require.Equal(t, "\rloading ...\rx ...      \n", buf.String(), "a shorter line blanks out the longer one; an interrupted run ends its line once")
}

func TestProgressPlain(t *testing.T) {
	p, buf, clock := fakeProgress(false, 10)
	p.phase("encoding the prompt")
	for i := 1; i <= 10; i++ {
		*clock = clock.Add(500 * time.Millisecond)
		p.step(i, 10)
	}
	require.Equal(t, "encoding the prompt ...\n"+
		"denoising 10 steps: 1/10\n"+
		"denoising 10 steps: 5/10  0.50 s/step  ETA 2.50 s\n"+
		"denoising 10 steps: 9/10  0.50 s/step  ETA 0.50 s\n"+
		"denoising 10 steps: 10/10  0.50 s/step  ETA 0.00 s\n"+
		"decoding ...\n", buf.String(), "a line every two seconds and at the end")

	q, qbuf, _ := fakeProgress(false, 2)
	q.off = true
	q.phase("x")
	q.step(1, 2)
	q.step(2, 2)
	q.summary(autopipeline.Timings{})
	require.Empty(t, qbuf.String(), "--quiet")
	q.step(0, 0)
}

func TestDownloadBar(t *testing.T) {
	var buf bytes.Buffer
	d := newDownloadBar(&buf)
	d.Update(hub.Progress{Done: 1e6, Total: 4e6, FilesDone: 1, FilesTotal: 3})
	d.Update(hub.Progress{Done: 2e6, Total: 4e6, FilesDone: 1, FilesTotal: 3}) // throttled
	d.Update(hub.Progress{Done: 4e6, Total: 4e6, FilesDone: 3, FilesTotal: 3})
	require.Equal(t, "\rdownloading 1/3 files  1.0/4.0 MB\rdownloading 3/3 files  4.0/4.0 MB\n", buf.String())
}

func TestNumbered(t *testing.T) {
	require.Equal(t, "out/cat_1.png", numbered("out/cat.png", 1))
	require.Equal(t, "cat_0", numbered("cat", 0))
}

func TestCheckLocalModel(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, checkLocalModel(dir))
	require.NoError(t, checkLocalModel("org/name"), "a Hub repo id is left to the Hub client")
	require.NoError(t, checkLocalModel("gpt2"), "so is a legacy repo id without namespace")
	for _, m := range []string{filepath.Join(dir, "missing"), "./missing", "../missing/model", "a/b/c", "~/models/sd"} {
		require.Error(t, checkLocalModel(m), m)
	}
	require.False(t, isTerminal(&bytes.Buffer{}))
	f, err := os.CreateTemp(dir, "x")
	require.NoError(t, err)
	defer f.Close()
	require.False(t, isTerminal(f))
}
