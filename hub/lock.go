package hub

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// acquireLock takes the inter-process lock at path, waiting (while ctx
// allows) for another holder to finish. The returned function releases it.
func acquireLock(ctx context.Context, path string) (func(), error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("hub: create lock folder: %w", classifyWriteErr(err))
	}
	wait := 5 * time.Millisecond
	for {
		release, busy, err := tryLock(path)
		if err != nil {
			return nil, fmt.Errorf("hub: lock %s: %w", path, err)
		}
		if !busy {
			return release, nil
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
		wait = min(2*wait, 200*time.Millisecond)
	}
}
