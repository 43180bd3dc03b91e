package serve

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// chromium finds a Chromium or Chrome binary ("" when none).
func chromium() string {
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// TestBrowser drives the web page in a real headless Chromium: the page
// loads the model list, a generation is submitted, step progress shows and
// the image lands in the gallery with its parameters.
func TestBrowser(t *testing.T) {
	bin := chromium()
	if bin == "" {
		t.Skip("no chromium binary on PATH (apt-get install chromium; .ci/run does): browser test skipped")
	}
	s := sharedService(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(bin), chromedp.NoSandbox,
		chromedp.WindowSize(1100, 900), chromedp.Flag("disable-dev-shm-usage", true))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(actx)
	defer cancelBrowser()
	require.NoError(t, chromedp.Do(bctx)) // starts the browser (no timeout on this first call)
	ctx, cancel := context.WithTimeout(bctx, 90*time.Second)
	defer cancel()

	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(s.URL()+"/"),
		chromedp.WaitReady(chromedp.CSS(`#model option[value="tiny"]`)),
		chromedp.SetValue(chromedp.ID("prompt"), "a tiny house"),
		chromedp.SetValue(chromedp.ID("steps"), "40"),
		chromedp.SetValue(chromedp.ID("seed"), "11"),
		chromedp.SetValue(chromedp.ID("scheduler"), "EulerDiscreteScheduler"),
		chromedp.Click(chromedp.ID("generate")),
	))
	// Step progress shows while the job runs.
	step, err := chromedp.Run(ctx, chromedp.Poll[string](
		`(() => { const s = document.querySelector(".job .state"); return s && /^step \d+\/40$/.test(s.textContent) && s.textContent; })()`,
		chromedp.WithPollingInterval(5*time.Millisecond)))
	require.NoError(t, err)
	t.Logf("progress seen: %q", step)
	require.NoError(t, chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS("#gallery figure.result img"))))
	width, err := chromedp.Run(ctx, chromedp.Poll[int](`document.querySelector("#gallery figure.result img").naturalWidth`))
	require.NoError(t, err)
	assert.Equal(t, 64, width)
	caption, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#gallery figure.result figcaption pre")))
	require.NoError(t, err)
	assert.Equal(t, "a tiny house\nSteps: 40, Sampler: Euler, CFG scale: 7.5, Seed: 11, Size: 64x64, Model: tiny", strings.TrimSpace(caption))
	label, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(".job .state")))
	require.NoError(t, err)
	assert.Equal(t, "done", label)
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	require.NoError(t, err)

	path := filepath.Join(t.TempDir(), "serve-page.png")
	if dir := os.Getenv("AUTOPIPE_ARTIFACTS"); dir != "" {
		path = filepath.Join(dir, "serve-page.png")
	}
	require.NoError(t, os.WriteFile(path, shot, 0o644))
	t.Logf("screenshot: %s (%d bytes)", path, len(shot))
}
