package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/goautopipe/diffusers/hub"
)

// isTerminal reports whether w is a terminal (a character device).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// progressBar draws the denoising steps on one line:
//
//	[#########---------------------] 3/10  1.20 s/step
type progressBar struct {
	mu    sync.Mutex
	w     io.Writer
	width int
	start time.Time
	now   func() time.Time
	drawn bool // a line is open (not yet ended by a newline)
	last  int  // length of the line drawn last
}

func newProgressBar(w io.Writer) *progressBar {
	return &progressBar{w: w, width: 30, now: time.Now, start: time.Now()}
}

// Update is a pipelines.Request Callback: step (1-based) of total is done.
func (b *progressBar) Update(step, total int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if total <= 0 {
		return
	}
	step = min(max(step, 0), total)
	fill := b.width * step / total
	bar := strings.Repeat("#", fill) + strings.Repeat("-", b.width-fill)
	line := fmt.Sprintf("\r[%s] %d/%d", bar, step, total)
	if step > 0 {
		per := b.now().Sub(b.start).Seconds() / float64(step)
		line += fmt.Sprintf("  %.2f s/step", per)
	}
	// Blank out what is left of a longer previous line.
	pad := max(b.last-len(line), 0)
	b.last = len(line)
	io.WriteString(b.w, line+strings.Repeat(" ", pad))
	b.drawn = true
	if step == total {
		io.WriteString(b.w, "\n")
		b.drawn, b.last = false, 0
	}
}

// Finish ends the line if the run stopped before the last step.
func (b *progressBar) Finish() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.drawn {
		io.WriteString(b.w, "\n")
		b.drawn, b.last = false, 0
	}
}

// downloadBar reports Hub downloads on one line, at most ten times a
// second.
type downloadBar struct {
	w    io.Writer
	last time.Time
}

func newDownloadBar(w io.Writer) *downloadBar { return &downloadBar{w: w} }

// Update is a hub progress callback (calls are serialised by the hub client).
func (d *downloadBar) Update(p hub.Progress) {
	done := p.FilesTotal > 0 && p.FilesDone == p.FilesTotal
	if !done && time.Since(d.last) < 100*time.Millisecond {
		return
	}
	d.last = time.Now()
	total := "?"
	if p.Total >= 0 {
		total = fmt.Sprintf("%.1f", float64(p.Total)/1e6)
	}
	fmt.Fprintf(d.w, "\rdownloading %d/%d files  %.1f/%s MB", p.FilesDone, p.FilesTotal, float64(p.Done)/1e6, total)
	if done {
		io.WriteString(d.w, "\n")
	}
}
