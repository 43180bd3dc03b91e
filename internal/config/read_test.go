//go:build unix

package config

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReadFileBounds(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo.json")
	require.NoError(t, syscall.Mkfifo(fifo, 0o600))
	big := filepath.Join(dir, "big.json")
	require.NoError(t, os.WriteFile(big, make([]byte, 100), 0o600))
	ok := filepath.Join(dir, "ok.json")
	require.NoError(t, os.WriteFile(ok, []byte(`{"a": 1}`), 0o600))
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	cases := []struct {
		name  string
		ctx   context.Context
		path  string
		limit int64
		want  error
	}{
		{"named pipe", context.Background(), fifo, MaxConfigBytes, ErrNotRegular},
		{"device", context.Background(), "/dev/zero", MaxConfigBytes, ErrNotRegular},
		{"directory", context.Background(), dir, MaxConfigBytes, ErrNotRegular},
		{"above the cap", context.Background(), big, 99, ErrTooLarge},
		{"cancelled", cancelled, ok, MaxConfigBytes, context.Canceled},
		{"missing", context.Background(), filepath.Join(dir, "nope"), MaxConfigBytes, os.ErrNotExist},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			done := make(chan error, 1)
			go func() { _, err := ReadFile(tc.ctx, tc.path, tc.limit); done <- err }()
			select {
			case err := <-done:
				require.Error(t, err)
				assert.True(t, errors.Is(err, tc.want), "%v", err)
			case <-time.After(5 * time.Second):
				t.Fatal("read blocked")
			}
		})
	}
	b, err := ReadFile(context.Background(), big, 100)
	require.NoError(t, err)
	assert.Len(t, b, 100)
}

func TestReadJSONNamedPipe(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "model_index.json")
	require.NoError(t, syscall.Mkfifo(fifo, 0o600))
	var m map[string]any
	err := ReadJSON(fifo, &m)
	require.ErrorIs(t, err, ErrNotRegular)
	_, err = ReadModelIndex(fifo)
	require.ErrorIs(t, err, ErrNotRegular)
}
