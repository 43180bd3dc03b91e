package panics

import (
	"errors"
	"fmt"
	"runtime/debug"
	"strings"
	"sync"
)

// ErrInternal is matched (errors.Is) by every *Error.
var ErrInternal = errors.New("internal error")

// maxValueLen caps the panic value's text in Error().
const maxValueLen = 200

// Error is a recovered panic.
type Error struct {
	Stage string // what was running: "generate", "load unet", ...
	Value any    // the value given to panic
	stack []byte
}

// New returns the error for panic value v recovered in stage, with the
// stack of the panicking goroutine.
func New(stage string, v any, stack []byte) *Error {
	return &Error{Stage: stage, Value: v, stack: stack}
}

// Error is one line: "internal error in <stage>: <value>", without the
// stack.
func (e *Error) Error() string {
	s := strings.Join(strings.Fields(fmt.Sprint(e.Value)), " ")
	if isFault(e.Value) {
		s = ErrFault.Error() + " (" + s + ")"
	}
	if r := []rune(s); len(r) > maxValueLen {
		s = string(r[:maxValueLen]) + "..."
	}
	return "internal error in " + e.Stage + ": " + s
}

// Stack is the stack of the goroutine that panicked, as debug.Stack
// formats it.
func (e *Error) Stack() []byte { return e.stack }

// Is reports ErrInternal, and ErrFault for a memory fault.
func (e *Error) Is(target error) bool {
	return target == ErrInternal || (target == ErrFault && isFault(e.Value))
}

// Unwrap returns the panic value when it is an error (a runtime.Error, for
// instance), so errors.As can reach it.
func (e *Error) Unwrap() error {
	err, _ := e.Value.(error)
	return err
}

// Recover, deferred directly, turns a panic of the calling function into
// an *Error stored in *errp; a panic carrying an *Error (re-raised by a
// Relay) keeps its original stack.
func Recover(errp *error, stage string) {
	if v := recover(); v != nil {
		*errp = from(stage, v)
	}
}

func from(stage string, v any) *Error {
	if e, ok := v.(*Error); ok {
		return &Error{Stage: stage, Value: e.Value, stack: e.stack}
	}
	return New(stage, v, debug.Stack())
}

// Relay carries the first panic of a set of worker goroutines back to the
// goroutine that waits for them.
//
//	var r panics.Relay
//	for ... { go func() { defer wg.Done(); defer r.Catch(); work() }() }
//	wg.Wait()
//	r.Raise()
type Relay struct {
	once sync.Once
	err  *Error
}

// Catch, deferred directly in a worker goroutine, records a panic of the
// worker instead of letting it end the process.
func (r *Relay) Catch() {
	if v := recover(); v != nil {
		e := from("worker", v)
		r.once.Do(func() { r.err = e })
	}
}

// Raise re-panics, in the calling goroutine, with the first panic a worker
// recorded (its value and stack kept); it does nothing when none did. Call
// it after the workers have finished.
func (r *Relay) Raise() {
	if r.err != nil {
		panic(r.err)
	}
}
