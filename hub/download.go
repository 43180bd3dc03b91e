package hub

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
)

// Download fetches one file of a repository into the cache (like
// huggingface_hub's hf_hub_download) and returns its path inside the
// snapshot folder, snapshots/<commit>/<filename>.
//
// A revision given as a commit hash whose file is cached needs no request.
// Otherwise a HEAD request gives the file's commit and etag; a blob
// already cached under that etag is reused. In offline mode, or when the
// Hub cannot be reached, the file is served from the cache through
// refs/<revision>.
func (c *Client) Download(ctx context.Context, repoID, filename string, opts ...Option) (string, error) {
	k, err := c.newCall(repoID, opts)
	if err != nil {
		return "", err
	}
	if err := checkRepoPath(filename); err != nil {
		return "", err
	}
	rev := k.revision
	if isCommitHash(rev) {
		if p := k.pointerPath(rev, filename); fileExists(p) {
			return p, nil
		}
	}
	if *k.offline {
		if p, ok := k.cachedFile(rev, filename); ok {
			return p, nil
		}
		return "", k.notCached(rev, fmt.Sprintf("file %q", filename), k.missingFileWhy(rev, filename), nil)
	}
	m, err := k.headFile(ctx, rev, filename)
	if err != nil {
		// As huggingface_hub: a cached copy stands in when the Hub is
		// unreachable or refuses, but not when it says the revision or
		// the file does not exist.
		if !errors.Is(err, ErrRevisionNotFound) && !errors.Is(err, ErrEntryNotFound) {
			if p, ok := k.cachedFile(rev, filename); ok {
				return p, nil
			}
		}
		if isTransient(err) {
			first := err
			err = k.retry(ctx, func(attempt int) error {
				if attempt == 0 {
					return first
				}
				var e error
				m, e = k.headFile(ctx, rev, filename)
				return e
			})
		}
		if err != nil {
			return "", k.unreachable(rev, fmt.Sprintf("file %q", filename), err)
		}
	}
	if err := k.writeRef(rev, m.commit); err != nil {
		return "", err
	}
	if p := k.pointerPath(m.commit, filename); fileExists(p) {
		return p, nil
	}
	if err := k.fetchAll(ctx, rev, m.commit, []fileMeta{m}); err != nil {
		return "", err
	}
	return k.pointerPath(m.commit, filename), nil
}

// DownloadPipeline is the package-level shortcut for
// NewClient(opts...).DownloadPipeline.
func DownloadPipeline(ctx context.Context, repoID string, opts ...Option) (string, error) {
	return NewClient(opts...).DownloadPipeline(ctx, repoID)
}

// Download is the package-level shortcut for NewClient(opts...).Download.
func Download(ctx context.Context, repoID, filename string, opts ...Option) (string, error) {
	return NewClient(opts...).Download(ctx, repoID, filename)
}

func (k *call) cachedFile(rev, file string) (string, bool) {
	commit, ok := k.cachedCommit(rev)
	if !ok {
		return "", false
	}
	p := k.pointerPath(commit, file)
	return p, fileExists(p)
}

func (k *call) missingWhy(rev string) string {
	if _, ok := k.cachedCommit(rev); !ok {
		return fmt.Sprintf("this revision was never downloaded (no %s)", filepath.Join(k.storage, "refs", rev))
	}
	return "no snapshot in " + k.storage
}

func (k *call) missingFileWhy(rev, file string) string {
	commit, ok := k.cachedCommit(rev)
	if !ok {
		return k.missingWhy(rev)
	}
	return "no " + k.pointerPath(commit, file)
}

// notCached is the offline-mode error; what names what is missing.
func (k *call) notCached(rev, what, why string, cause error) error {
	return &Error{Kind: ErrNotCached, Repo: k.repo.String(), Revision: rev, Err: cause,
		Msg: fmt.Sprintf("hub: offline mode (HF_HUB_OFFLINE or hub.WithOffline): %s of %q at revision %q is not in the cache: %s",
			what, k.repo, rev, why)}
}

// unreachable wraps a request error when the cache could not stand in.
func (k *call) unreachable(rev, what string, err error) error {
	if !isTransient(err) {
		return err
	}
	var inner error = err
	var te *transientError
	if errors.As(err, &te) {
		inner = te.err
	}
	return &Error{Kind: ErrNotCached, Repo: k.repo.String(), Revision: rev, Err: inner,
		Msg: fmt.Sprintf("hub: no usable answer from %s after %d attempts (last: %s), and %s of %q at revision %q is not in the cache %s",
			k.endpoint, k.retries, strings.TrimPrefix(inner.Error(), "hub: "), what, k.repo, rev, k.cacheDir)}
}

// fetchAll downloads the blobs of metas (bounded parallelism, progress)
// and links them into snapshots/<commit>.
func (k *call) fetchAll(ctx context.Context, rev, commit string, metas []fileMeta) error {
	if len(metas) == 0 {
		return nil
	}
	if err := k.checkSpace(metas); err != nil {
		return err
	}
	tr := k.tracker
	tr.add(metas)
	return forEach(ctx, k.concurrency, len(metas), func(ctx context.Context, i int) error {
		m := metas[i]
		if err := k.fetchBlob(ctx, rev, m, tr); err != nil {
			return err
		}
		_, err := k.linkPointer(commit, m.file, m.etag)
		return err
	})
}

// forEach runs f for 0..n-1 with at most par at once; the first error
// cancels the rest and is returned.
func forEach(ctx context.Context, par, n int, f func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	sem := make(chan struct{}, max(par, 1))
	for i := 0; i < n; i++ {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			defer func() { <-sem }()
			if err := f(ctx, i); err != nil {
				mu.Lock()
				if firstErr == nil {
					firstErr = err
				}
				mu.Unlock()
				cancel()
			}
		}(i)
	}
	wg.Wait()
	if firstErr == nil {
		return ctx.Err()
	}
	return firstErr
}
