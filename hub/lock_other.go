//go:build !unix

package hub

import (
	"errors"
	"io/fs"
	"os"
	"time"
)

// staleLock is how old a lock file must be before it is taken to be left
// over by a crashed process.
const staleLock = 10 * time.Minute

// tryLock is the portable fallback: the lock is the existence of a file
// created with O_EXCL, removed on release; a lock file older than
// staleLock is considered abandoned.
func tryLock(path string) (release func(), busy bool, err error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		if errors.Is(err, fs.ErrExist) {
			if st, serr := os.Stat(path); serr == nil && time.Since(st.ModTime()) > staleLock {
				os.Remove(path)
			}
			return nil, true, nil
		}
		return nil, false, err
	}
	f.Close()
	// Keep the lock fresh while held, so long transfers are not mistaken
	// for abandoned ones.
	done := make(chan struct{})
	go func() {
		tick := time.NewTicker(staleLock / 5)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case now := <-tick.C:
				os.Chtimes(path, now, now)
			}
		}
	}()
	return func() { close(done); os.Remove(path) }, false, nil
}
