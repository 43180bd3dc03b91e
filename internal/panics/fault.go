package panics

import (
	"errors"
	"runtime/debug"
)

// ErrFault is matched (errors.Is) by an *Error recovered from a memory
// fault: reading weights from a file that was cut short or replaced while
// it was mapped.
var ErrFault = errors.New("a mapped file was changed or cut short while in use")

// OnFault makes a memory fault in the calling goroutine a panic, which
// Recover and Relay turn into an error, instead of a crash of the process
// (the weights are mapped from their files, and a file truncated under a
// loaded pipeline faults when read). The returned function restores the
// goroutine's previous setting:
//
//	defer panics.Recover(&err, "generate")
//	defer panics.OnFault()()
func OnFault() (restore func()) {
	old := debug.SetPanicOnFault(true)
	return func() { debug.SetPanicOnFault(old) }
}

// isFault reports whether a panic value is a memory fault turned into a
// panic by OnFault (debug.SetPanicOnFault: its runtime.Error has an Addr
// method).
func isFault(v any) bool {
	_, ok := v.(interface{ Addr() uintptr })
	return ok
}
