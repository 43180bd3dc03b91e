//go:build unix

package config

import "syscall"

// openNonblock keeps open(2) from waiting for a writer on a named pipe.
const openNonblock = syscall.O_NONBLOCK
