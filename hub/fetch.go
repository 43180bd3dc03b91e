package hub

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// testHookWrite, when set by tests, is called before each write into a
// blob's .incomplete file; a non-nil error is treated as the write's error.
var testHookWrite func(file string, n int) error

// tracker aggregates progress over the files of one call and serialises
// the callback.
type tracker struct {
	mu         sync.Mutex
	fn         func(Progress)
	per        map[string]int64
	sizes      map[string]int64
	done       int64
	total      int64
	filesDone  int
	filesTotal int
}

func newTracker(fn func(Progress)) *tracker {
	return &tracker{fn: fn, per: map[string]int64{}, sizes: map[string]int64{}}
}

// add announces more files to transfer; Total grows accordingly.
func (t *tracker) add(metas []fileMeta) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, m := range metas {
		if _, seen := t.sizes[m.file]; seen {
			continue
		}
		t.sizes[m.file] = m.size
		t.filesTotal++
		if m.size < 0 || t.total < 0 {
			t.total = -1
		} else {
			t.total += m.size
		}
	}
}

// update records that fileDone bytes of file are on disk.
func (t *tracker) update(file string, fileDone int64, finished bool) {
	if t == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.done += fileDone - t.per[file]
	t.per[file] = fileDone
	if finished {
		t.filesDone++
	}
	if t.fn != nil {
		t.fn(Progress{File: file, FileDone: fileDone, FileTotal: t.sizes[file], Done: t.done,
			Total: t.total, FilesDone: t.filesDone, FilesTotal: t.filesTotal})
	}
}

// writeError reports a failure to write into the cache.
type writeError struct {
	msg  string
	errs []error
}

func (e *writeError) Error() string   { return e.msg }
func (e *writeError) Unwrap() []error { return e.errs }

// classifyWriteErr marks "no space left" errors with ErrDiskFull.
func classifyWriteErr(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, syscall.ENOSPC) && !errors.Is(err, ErrDiskFull) {
		return &writeError{msg: "disk full: " + err.Error(), errs: []error{ErrDiskFull, err}}
	}
	return err
}

// fetchBlob makes sure blobs/<etag> holds the file described by m:
// downloaded under the blob's lock into blobs/<etag>.incomplete (resumed
// from what an earlier attempt left there), checked against the announced
// size and, for LFS files, sha256, then renamed into place.
func (k *call) fetchBlob(ctx context.Context, rev string, m fileMeta, tr *tracker) error {
	blob := k.blobPath(m.etag)
	if fileExists(blob) {
		tr.update(m.file, max(m.size, 0), true)
		return nil
	}
	release, err := acquireLock(ctx, k.lockPath(m.etag))
	if err != nil {
		return err
	}
	defer release()
	if fileExists(blob) { // another process finished it while we waited
		tr.update(m.file, max(m.size, 0), true)
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(blob), 0o755); err != nil {
		return k.writeFailed(m, err)
	}
	inc := blob + ".incomplete"
	t := k.target(rev, m.file)
	for restarted := false; ; restarted = true {
		var sum []byte
		var resumed bool
		err := k.retry(ctx, func(int) error {
			var err error
			sum, resumed, err = k.transfer(ctx, t, m, inc, tr)
			return err
		})
		if err != nil {
			if errors.Is(err, ErrChecksum) {
				os.Remove(inc)
			}
			return err
		}
		if isSHA256(m.etag) && hex.EncodeToString(sum) != m.etag {
			os.Remove(inc)
			tr.update(m.file, 0, false)
			if resumed && !restarted {
				continue // the kept partial file may be the culprit: one clean try
			}
			return t.newError(ErrChecksum, 0, nil,
				"file %q of %q: sha256 of the downloaded bytes is %s, the Hub announced %s; the download was discarded and nothing was cached",
				m.file, k.repo, hex.EncodeToString(sum), m.etag)
		}
		break
	}
	if err := os.Rename(inc, blob); err != nil {
		return k.writeFailed(m, err)
	}
	tr.update(m.file, max(m.size, 0), true)
	return nil
}

func (k *call) writeFailed(m fileMeta, err error) error {
	err = classifyWriteErr(err)
	return fmt.Errorf("hub: saving %q of %q into the cache %s failed (what was written stays as %s.incomplete, never used as a complete file; it is resumed next time): %w",
		m.file, k.repo, k.cacheDir, filepath.Join("blobs", m.etag), err)
}

// transfer runs one GET of m into inc, continuing from inc's current size
// with a Range request. It returns the sha256 of the whole file when
// complete; dropped connections come back as transient errors.
func (k *call) transfer(ctx context.Context, t target, m fileMeta, inc string, tr *tracker) (sum []byte, resumed bool, err error) {
	f, err := os.OpenFile(inc, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, false, k.writeFailed(m, err)
	}
	defer func() {
		if cerr := f.Close(); cerr != nil && err == nil {
			err = k.writeFailed(m, cerr)
		}
	}()
	h := sha256.New()
	off, err := k.hashPrefix(f, h, m.size)
	if err != nil {
		return nil, false, k.writeFailed(m, err)
	}
	resumed = off > 0
	tr.update(m.file, off, false)
	if m.size >= 0 && off == m.size {
		return h.Sum(nil), resumed, f.Sync()
	}

	// A transfer that receives nothing for k.stall is cut (and resumed by
	// the caller's retry).
	reqCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	watchdog := time.AfterFunc(k.stall, cancel)
	defer watchdog.Stop()
	stalled := func(err error) error {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if reqCtx.Err() != nil {
			return &transientError{fmt.Errorf("hub: download of %q stalled (nothing received for %v) after %d of %s bytes", m.file, k.stall, off, sizeString(m.size))}
		}
		return err
	}
	req, err := k.newRequest(reqCtx, http.MethodGet, m.location)
	if err != nil {
		return nil, resumed, err
	}
	req.Header.Set("Accept-Encoding", "identity")
	if off > 0 {
		req.Header.Set("Range", "bytes="+strconv.FormatInt(off, 10)+"-")
	}
	resp, err := k.do(k.get, req, t)
	if err != nil {
		return nil, resumed, stalled(err)
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK:
		if off > 0 { // the server ignored the Range: start over
			off, resumed = 0, false
			h.Reset()
			if err := f.Truncate(0); err != nil {
				return nil, false, k.writeFailed(m, err)
			}
			tr.update(m.file, 0, false)
		}
	case http.StatusPartialContent:
		if start, ok := contentRangeStart(resp.Header.Get("Content-Range")); !ok || start != off {
			f.Truncate(0)
			return nil, resumed, &transientError{t.newError(ErrHTTP, resp.StatusCode, nil,
				"file %q of %q: the server answered range %q for a resume at byte %d; the partial download was discarded",
				m.file, k.repo, serverText(resp.Header.Get("Content-Range"), 64), off)}
		}
	case http.StatusRequestedRangeNotSatisfiable:
		f.Truncate(0)
		return nil, resumed, &transientError{t.newError(ErrHTTP, resp.StatusCode, nil,
			"file %q of %q: the server refused to resume at byte %d (HTTP 416); the partial download was discarded",
			m.file, k.repo, off)}
	default:
		return nil, resumed, t.statusError(resp)
	}
	if _, err := f.Seek(off, io.SeekStart); err != nil {
		return nil, resumed, k.writeFailed(m, err)
	}
	buf := make([]byte, 256<<10)
	for {
		n, rerr := resp.Body.Read(buf)
		if n > 0 {
			watchdog.Reset(k.stall)
			if err := k.checkGrowth(t, m, off+int64(n)); err != nil {
				f.Truncate(0)
				return nil, resumed, err
			}
			if werr := writeChunk(f, m.file, buf[:n]); werr != nil {
				return nil, resumed, k.writeFailed(m, werr)
			}
			h.Write(buf[:n])
			off += int64(n)
			tr.update(m.file, off, false)
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			if err := stalled(nil); err != nil {
				return nil, resumed, err
			}
			return nil, resumed, &transientError{fmt.Errorf("hub: download of %q interrupted after %d of %s bytes: %w", m.file, off, sizeString(m.size), rerr)}
		}
	}
	if m.size >= 0 && off < m.size {
		return nil, resumed, &transientError{fmt.Errorf("hub: download of %q ended after %d of %d bytes", m.file, off, m.size)}
	}
	if err := f.Sync(); err != nil {
		return nil, resumed, k.writeFailed(m, err)
	}
	return h.Sum(nil), resumed, nil
}

// maxUnsizedDownload caps a file whose size the server did not announce
// (no X-Linked-Size, no Content-Length): such files are small configs and
// tokenizers on the Hub, and without a size or a sha256 ETag nothing else
// bounds them.
var maxUnsizedDownload int64 = 1 << 30

// checkGrowth refuses a download that has grown to n bytes, past the
// announced size or, without one, past maxUnsizedDownload.
func (k *call) checkGrowth(t target, m fileMeta, n int64) error {
	if m.size >= 0 && n > m.size {
		return t.newError(ErrChecksum, 0, nil, "file %q of %q: server sent more than the %d bytes announced; the download was discarded", m.file, k.repo, m.size)
	}
	if m.size < 0 && n > maxUnsizedDownload {
		return t.newError(ErrTooLarge, 0, nil, "file %q of %q: the server announced no size and sent more than %s; the download was discarded", m.file, k.repo, humanBytes(maxUnsizedDownload))
	}
	return nil
}

// hashPrefix feeds the bytes already in f to h and returns their count;
// a partial file larger than the announced size is discarded.
func (k *call) hashPrefix(f *os.File, h hash.Hash, size int64) (int64, error) {
	st, err := f.Stat()
	if err != nil {
		return 0, err
	}
	off := st.Size()
	if size >= 0 && off > size {
		return 0, f.Truncate(0)
	}
	if off == 0 {
		return 0, nil
	}
	if _, err := io.Copy(h, io.NewSectionReader(f, 0, off)); err != nil {
		h.Reset()
		return 0, f.Truncate(0)
	}
	return off, nil
}

func writeChunk(f *os.File, file string, b []byte) error {
	if testHookWrite != nil {
		if err := testHookWrite(file, len(b)); err != nil {
			return &os.PathError{Op: "write", Path: f.Name(), Err: err}
		}
	}
	_, err := f.Write(b)
	return err
}

func sizeString(n int64) string {
	if n < 0 {
		return "?"
	}
	return strconv.FormatInt(n, 10)
}

// contentRangeStart parses "bytes START-END/TOTAL".
func contentRangeStart(v string) (int64, bool) {
	v, ok := strings.CutPrefix(strings.TrimSpace(v), "bytes ")
	if !ok {
		return 0, false
	}
	s, _, ok := strings.Cut(v, "-")
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	return n, err == nil
}

// checkSpace fails early when the cache's disk cannot hold what metas
// still need.
func (k *call) checkSpace(metas []fileMeta) error {
	var need int64
	for _, m := range metas {
		if m.size <= 0 {
			continue
		}
		need += m.size
		if st, err := os.Stat(k.blobPath(m.etag) + ".incomplete"); err == nil {
			need -= min(st.Size(), m.size)
		}
	}
	dir := k.cacheDir
	for dir != "" && !fileOrDirExists(dir) {
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		dir = parent
	}
	free, ok := freeBytes(dir)
	if !ok || need <= 0 || uint64(need) <= free {
		return nil
	}
	return &Error{Kind: ErrDiskFull, Repo: k.repo.String(), Revision: k.revision,
		Msg: fmt.Sprintf("hub: not enough disk space in %s for %q: %s to download, %s free", k.cacheDir, k.repo, humanBytes(need), humanBytes(int64(free)))}
}

func fileOrDirExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
