package serve

import (
	"errors"
	"fmt"
	"net/http"
)

// httpError is an error with the HTTP status it answers with.
type httpError struct {
	status int
	msg    string
	// retryAfter, in seconds, is sent with 429 and 503.
	retryAfter int
}

func (e *httpError) Error() string { return e.msg }

func badRequestf(format string, args ...any) error {
	return &httpError{status: http.StatusBadRequest, msg: fmt.Sprintf(format, args...)}
}

func statusError(status int, format string, args ...any) error {
	return &httpError{status: status, msg: fmt.Sprintf(format, args...)}
}

// statusOf maps an error to its HTTP status (500 when it has none).
func statusOf(err error) (int, string) {
	var he *httpError
	if errors.As(err, &he) {
		return he.status, he.msg
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return http.StatusRequestEntityTooLarge, fmt.Sprintf("request body over the %d-byte limit", mbe.Limit)
	}
	return http.StatusInternalServerError, err.Error()
}
