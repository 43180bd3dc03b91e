package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/goautopipe/diffusers/hub"
	"github.com/stretchr/testify/require"
)

func TestProgressBar(t *testing.T) {
	var buf bytes.Buffer
	b := newProgressBar(&buf)
	b.width = 10
	t0 := time.Unix(0, 0)
	clock := t0
	b.start, b.now = t0, func() time.Time { return clock }

	clock = t0.Add(3600 * time.Millisecond)
	b.Update(3, 10)
	require.Equal(t, "\r[###-------] 3/10  1.20 s/step", buf.String())
	b.Finish()
	require.Equal(t, "\r[###-------] 3/10  1.20 s/step\n", buf.String(), "an interrupted bar ends its line")

	buf.Reset()
	clock = t0.Add(5 * time.Second)
	b.Update(10, 10)
	b.Finish()
	require.Equal(t, "\r[##########] 10/10  0.50 s/step\n", buf.String(), "one newline at the end")

	// A shorter line blanks out the end of the longer one before it.
	buf.Reset()
	clock = t0.Add(20 * time.Second)
	b.Update(1, 2)
	clock = t0.Add(20 * time.Second)
	b.Update(2, 4)
	require.Equal(t, "\r[#####-----] 1/2  20.00 s/step\r[#####-----] 2/4  10.00 s/step", buf.String())
	b.start = clock.Add(-time.Second)
	buf.Reset()
	b.Update(3, 4)
	require.Equal(t, "\r[#######---] 3/4  0.33 s/step ", buf.String())
	b.Finish()

	buf.Reset()
	b.Update(0, 0)
	require.Empty(t, buf.String())
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
