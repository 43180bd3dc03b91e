package config

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
)

// Size caps per kind of file. A file above its cap is refused before it is
// read, so a wrong path (a weights file given as a config, /dev/zero, an
// endless stream) fails at once instead of exhausting memory.
const (
	// MaxConfigBytes caps config.json, scheduler_config.json,
	// model_index.json and preprocessor_config.json.
	MaxConfigBytes = 4 << 20
	// MaxTokenizerBytes caps vocab.json, merges.txt, tokenizer.json and the
	// other tokenizer files.
	MaxTokenizerBytes = 64 << 20
	// MaxIndexBytes caps a sharded checkpoint's *.safetensors.index.json.
	MaxIndexBytes = 64 << 20
)

var (
	// ErrNotRegular is returned for a path that names a named pipe, a
	// device, a socket or a directory instead of a regular file.
	ErrNotRegular = errors.New("not a regular file")
	// ErrTooLarge is returned for a file above the size cap of its kind.
	ErrTooLarge = errors.New("file too large")
)

// readChunk is how much is read between two looks at the context.
const readChunk = 1 << 20

// OpenFile opens the regular file at path for reading. It never blocks on a
// named pipe (the open is non-blocking and anything but a regular file is
// refused with ErrNotRegular) and refuses a file whose size is above limit
// with ErrTooLarge. The reader returned also stops with ErrTooLarge past
// limit bytes (for files whose size is not known in advance) and with the
// context's error once ctx is done.
func OpenFile(ctx context.Context, path string, limit int64) (io.ReadCloser, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	f, fi, err := OpenRegular(path)
	if err != nil {
		return nil, err
	}
	if fi.Size() > limit {
		f.Close()
		return nil, fmt.Errorf("%s: %w: %d bytes, the limit is %d", path, ErrTooLarge, fi.Size(), limit)
	}
	return &boundedFile{ctx: ctx, f: f, path: path, left: limit}, nil
}

// OpenRegular opens the file at path for reading if it is a regular file,
// without blocking on a named pipe (the open is non-blocking; anything but a
// regular file is refused with ErrNotRegular), and returns it with its
// FileInfo.
func OpenRegular(path string) (*os.File, os.FileInfo, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|openNonblock, 0)
	if err != nil {
		return nil, nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, nil, fmt.Errorf("%s: %w (%s)", path, ErrNotRegular, fi.Mode().Type())
	}
	return f, fi, nil
}

// ReadFile reads the regular file at path with OpenFile's checks.
func ReadFile(ctx context.Context, path string, limit int64) ([]byte, error) {
	r, err := OpenFile(ctx, path, limit)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(r)
}

// boundedFile is the reader OpenFile returns.
type boundedFile struct {
	ctx  context.Context
	f    *os.File
	path string
	left int64 // bytes that may still be read
}

func (b *boundedFile) Read(p []byte) (int, error) {
	if err := b.ctx.Err(); err != nil {
		return 0, fmt.Errorf("%s: %w", b.path, err)
	}
	if len(p) > readChunk {
		p = p[:readChunk]
	}
	if int64(len(p)) > b.left+1 {
		p = p[:b.left+1]
	}
	n, err := b.f.Read(p)
	b.left -= int64(n)
	if b.left < 0 {
		return 0, fmt.Errorf("%s: %w: it grew past the limit while being read", b.path, ErrTooLarge)
	}
	return n, err
}

func (b *boundedFile) Close() error { return b.f.Close() }
