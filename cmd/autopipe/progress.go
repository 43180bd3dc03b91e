package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/goautopipe/diffusers/autopipeline"
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

// progress reports the phases of a run on stderr: loading, prompt
// encoding, denoising (with s/step and ETA) and decoding. On a terminal
// each phase redraws one line, the denoising bar included:
//
//	denoising 25 steps (26 UNet evaluations) [#########---------------------] 8/26  0.05 s/step  ETA 0.9 s
//
// Elsewhere (a log file, a pipe) it writes plain lines: one per phase and
// one every few seconds of denoising.
type progress struct {
	mu       sync.Mutex
	w        io.Writer
	tty      bool
	off      bool
	steps    int // requested inference steps, for the label
	width    int
	every    time.Duration // plain mode: time between denoising lines
	now      func() time.Time
	began    time.Time // of the current phase
	first    time.Time // first UNet evaluation done
	lastLine time.Time
	last     int  // length of the open terminal line
	open     bool // a terminal line is drawn without its newline
}

func newProgress(w io.Writer, o *options) *progress {
	return &progress{w: w, tty: o.progress || isTerminal(w), off: o.quiet, steps: o.steps,
		width: 30, every: 2 * time.Second, now: time.Now}
}

// line draws s: on a terminal over the open line, else as a line of its own.
func (p *progress) line(s string, final bool) {
	if p.tty {
		pad := max(p.last-len(s), 0)
		io.WriteString(p.w, "\r"+s+strings.Repeat(" ", pad))
		p.last, p.open = len(s), true
		if final {
			io.WriteString(p.w, "\n")
			p.last, p.open = 0, false
		}
		return
	}
	io.WriteString(p.w, s+"\n")
}

// phase starts a phase ("loading x").
func (p *progress) phase(what string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.began = p.now()
	if !p.off {
		p.line(what+" ...", false)
	}
}

// done ends the current phase with what and its duration.
func (p *progress) done(what string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.off {
		p.line(fmt.Sprintf("%s in %s", what, seconds(p.now().Sub(p.began))), true)
	}
}

// step is the Request callback: evaluation step (1-based) of total is done.
func (p *progress) step(step, total int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.off || total <= 0 {
		return
	}
	now := p.now()
	step = min(max(step, 1), total)
	if step == 1 {
		p.first, p.lastLine = now, time.Time{}
	}
	label := fmt.Sprintf("denoising %d steps", p.steps)
	if total != p.steps {
		label += fmt.Sprintf(" (%d UNet evaluations)", total)
	}
	rate := ""
	if step > 1 {
		per := now.Sub(p.first) / time.Duration(step-1)
		rate = fmt.Sprintf("  %.2f s/step  ETA %s", per.Seconds(), seconds(per*time.Duration(total-step)))
	}
	if p.tty {
		fill := p.width * step / total
		bar := strings.Repeat("#", fill) + strings.Repeat("-", p.width-fill)
		p.line(fmt.Sprintf("%s [%s] %d/%d%s", label, bar, step, total, rate), step == total)
	} else if step == 1 || step == total || now.Sub(p.lastLine) >= p.every {
		p.line(fmt.Sprintf("%s: %d/%d%s", label, step, total, rate), false)
		p.lastLine = now
	}
	if step == total {
		p.began = now
		p.line("decoding ...", false)
	}
}

// end closes an open terminal line (an interrupted run).
func (p *progress) end() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.open {
		io.WriteString(p.w, "\n")
		p.last, p.open = 0, false
	}
}

// summary reports the time of each phase of the generation.
func (p *progress) summary(t autopipeline.Timings) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.off {
		return
	}
	p.line(fmt.Sprintf("done: text encoding %s, preparation %s, denoising %s, decoding %s",
		seconds(t.Encode), seconds(t.Prepare), seconds(t.Denoise), seconds(t.Decode)), true)
}

// seconds formats d as "1.23 s".
func seconds(d time.Duration) string { return fmt.Sprintf("%.2f s", d.Seconds()) }

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
