//go:build !unix

package weights

import "os"

// mapFile reads the whole file into memory on systems without mmap support
// in this package.
func mapFile(f *os.File, size int64) ([]byte, func() error, error) {
	return readWhole(f, size)
}
