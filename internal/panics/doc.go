// Package panics turns panics into errors at the library's public
// boundary, so that no panic crosses the API and no stack trace reaches a
// user's terminal.
//
// A recovered panic becomes an *Error whose message is one short line,
// "internal error in <stage>: <panic value>"; the goroutine's stack is kept
// for developers behind the Stack method and never appears in Error().
//
//	func (p *Pipe) Generate(ctx context.Context, r Request) (out *Output, err error) {
//		defer panics.Recover("generate", &err)
//		...
//	}
//
// Panics in worker goroutines would end the process however many recovers
// the caller has; a Relay carries them back to the goroutine that waits for
// the workers, which re-raises them where Recover can see them.
//
// The package does not log, and does not recover anything it is not asked
// to: a bug still shows as an error a user can report, with the stack a
// developer needs one method call away.
package panics
