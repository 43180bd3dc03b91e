package hub

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/goautopipe/diffusers/internal/config"
)

// Cache layout, identical to huggingface_hub's:
//
//	<cache>/models--ns--name/blobs/<etag>
//	<cache>/models--ns--name/refs/<revision>          (holds the commit)
//	<cache>/models--ns--name/snapshots/<commit>/<path> -> ../../blobs/<etag>
//	<cache>/.locks/models--ns--name/<etag>.lock

func (k *call) blobPath(etag string) string { return filepath.Join(k.storage, "blobs", etag) }

func (k *call) snapshotDir(commit string) string {
	return filepath.Join(k.storage, "snapshots", commit)
}

func (k *call) pointerPath(commit, file string) string {
	return filepath.Join(k.snapshotDir(commit), filepath.FromSlash(file))
}

func (k *call) lockPath(etag string) string {
	return filepath.Join(k.cacheDir, ".locks", k.repo.FolderName(), etag+".lock")
}

// cachedCommit returns the commit a revision points to in the cache: the
// revision itself when it is a commit hash, else the content of
// refs/<revision>.
func (k *call) cachedCommit(rev string) (string, bool) {
	if isCommitHash(rev) {
		return rev, true
	}
	if checkRepoPath(rev) != nil {
		return "", false
	}
	b, err := config.ReadFile(context.Background(), filepath.Join(k.storage, "refs", filepath.FromSlash(rev)), maxRefBytes)
	if err != nil {
		return "", false
	}
	c := strings.TrimSpace(string(b))
	return c, isCommitHash(c)
}

// maxRefBytes caps a refs/<revision> file (a 40-character commit hash).
const maxRefBytes = 4 << 10

// fileExists reports whether p exists as a regular file, following
// symlinks (a dangling snapshot link counts as missing).
func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}

// writeRef records rev -> commit, atomically.
func (k *call) writeRef(rev, commit string) error {
	if rev == commit || checkRepoPath(rev) != nil {
		return nil
	}
	p := filepath.Join(k.storage, "refs", filepath.FromSlash(rev))
	if b, err := config.ReadFile(context.Background(), p, maxRefBytes); err == nil && strings.TrimSpace(string(b)) == commit {
		return nil
	}
	if err := writeFileAtomic(p, []byte(commit)); err != nil {
		return fmt.Errorf("hub: write ref %s: %w", p, classifyWriteErr(err))
	}
	return nil
}

func writeFileAtomic(p string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	tmp := p + ".tmp-" + randSuffix()
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, p); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

func randSuffix() string {
	var b [6]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// linkPointer makes snapshots/<commit>/<file> point at blobs/<etag> with
// a relative symlink, replacing whatever was there. Where symlinks are not
// available the blob is copied.
func (k *call) linkPointer(commit, file, etag string) (string, error) {
	ptr := k.pointerPath(commit, file)
	blob := k.blobPath(etag)
	if err := os.MkdirAll(filepath.Dir(ptr), 0o755); err != nil {
		return "", fmt.Errorf("hub: create snapshot folder: %w", classifyWriteErr(err))
	}
	rel, err := filepath.Rel(filepath.Dir(ptr), blob)
	if err != nil {
		rel = blob
	}
	tmp := ptr + ".tmp-" + randSuffix()
	if err := os.Symlink(rel, tmp); err != nil {
		if err := copyFile(blob, tmp); err != nil {
			os.Remove(tmp)
			return "", fmt.Errorf("hub: place %s in snapshot: %w", file, classifyWriteErr(err))
		}
	}
	if err := os.Rename(tmp, ptr); err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("hub: place %s in snapshot: %w", file, classifyWriteErr(err))
	}
	return ptr, nil
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// snapshotFiles lists the repo-relative paths (forward slashes) of the
// regular files reachable in a snapshot folder; dangling links are left
// out.
func snapshotFiles(dir string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == dir {
				return err
			}
			return nil
		}
		if d.IsDir() {
			return nil
		}
		if strings.Contains(d.Name(), ".tmp-") || !fileExists(p) {
			return nil
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return nil
		}
		out = append(out, filepath.ToSlash(rel))
		return nil
	})
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return out, err
}
