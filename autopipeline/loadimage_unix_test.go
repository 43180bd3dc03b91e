//go:build unix

package autopipeline

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/goautopipe/diffusers/internal/config"
)

// LoadImage refuses a named pipe or a device at once instead of blocking or
// reading forever, and a file above the size limit before reading it.
func TestLoadImageSpecialFiles(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "in.png")
	require.NoError(t, syscall.Mkfifo(fifo, 0o600))
	big := filepath.Join(dir, "big.png")
	require.NoError(t, os.WriteFile(big, make([]byte, 2048), 0o600))
	cases := []struct {
		path string
		l    ImageLoader
		want error
	}{
		{fifo, ImageLoader{}, config.ErrNotRegular},
		{"/dev/zero", ImageLoader{}, config.ErrNotRegular},
		{big, ImageLoader{MaxBytes: 1024}, config.ErrTooLarge},
	}
	for _, tc := range cases {
		done := make(chan error, 1)
		go func() { _, err := tc.l.Load(context.Background(), tc.path); done <- err }()
		select {
		case err := <-done:
			require.ErrorIs(t, err, tc.want, tc.path)
		case <-time.After(5 * time.Second):
			t.Fatalf("LoadImage(%s) blocked", tc.path)
		}
	}
}
