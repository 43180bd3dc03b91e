//go:build unix

package weights

import (
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/goautopipe/diffusers/internal/config"
)

// A named pipe (or a device) given as a weights file is refused at once
// instead of blocking on open until a writer appears.
func TestOpenNamedPipe(t *testing.T) {
	for _, p := range []string{filepath.Join(t.TempDir(), "model.safetensors"), "/dev/zero"} {
		if p != "/dev/zero" {
			require.NoError(t, syscall.Mkfifo(p, 0o600))
		}
		done := make(chan error, 1)
		go func() { _, err := Open(p); done <- err }()
		select {
		case err := <-done:
			require.ErrorIs(t, err, config.ErrNotRegular)
		case <-time.After(5 * time.Second):
			t.Fatalf("Open(%s) blocked", p)
		}
	}
}
