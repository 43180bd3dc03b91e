package limits

import "context"

type ctxKey struct{}

// NewContext returns ctx carrying l: the limits every call made with the
// context is checked against (an operator may give each tenant its own).
func NewContext(ctx context.Context, l Limits) context.Context {
	return context.WithValue(ctx, ctxKey{}, l)
}

// FromContext returns the limits of ctx (NewContext), or the zero Limits
// (the defaults) when it carries none.
func FromContext(ctx context.Context) Limits {
	l, _ := ctx.Value(ctxKey{}).(Limits)
	return l
}
