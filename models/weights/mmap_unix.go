//go:build unix

package weights

import (
	"os"

	"golang.org/x/sys/unix"
)

// mapFile maps the whole file privately (copy-on-write): tensors handed out
// as views may even be written to without touching the file. The returned
// release function unmaps it.
func mapFile(f *os.File, size int64) ([]byte, func() error, error) {
	if size == 0 {
		return nil, func() error { return nil }, nil
	}
	if int64(int(size)) != size {
		return readWhole(f, size)
	}
	data, err := unix.Mmap(int(f.Fd()), 0, int(size), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE)
	if err != nil {
		// Some file systems cannot be mapped; read the file instead.
		return readWhole(f, size)
	}
	return data, func() error { return unix.Munmap(data) }, nil
}
