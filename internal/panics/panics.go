// Package panics turns a panic inside the library into an error, so that
// no panic crosses the public API. The error's text is one short line; the
// stack is kept for a developer behind Stack().
package panics

import (
	"fmt"
	"runtime/debug"
)

// Error is a recovered panic.
type Error struct {
	// Stage names where it happened (a pipeline class, a component).
	Stage string
	// Value is what was passed to panic.
	Value any
	stack []byte
}

func (e *Error) Error() string {
	return fmt.Sprintf("internal error in %s: %v", e.Stage, e.Value)
}

// Stack returns the goroutine stack at the panic.
func (e *Error) Stack() []byte { return e.stack }

// Unwrap returns the panic value when it is an error.
func (e *Error) Unwrap() error {
	if err, ok := e.Value.(error); ok {
		return err
	}
	return nil
}

// Recover, deferred, turns a panic into an *Error stored in *err.
func Recover(err *error, stage string) {
	if r := recover(); r != nil {
		*err = &Error{Stage: stage, Value: r, stack: debug.Stack()}
	}
}
