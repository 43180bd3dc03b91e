package hub

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// Sentinel errors. Every error returned by this package that falls in one
// of these classes matches it with errors.Is.
var (
	// ErrInvalidRepoID: the repo id breaks the Hub's naming rules.
	ErrInvalidRepoID = errors.New("invalid repo id")
	// ErrRepoNotFound: the Hub does not know the repository, or hides it
	// (private repositories look like missing ones without a valid token).
	ErrRepoNotFound = errors.New("repository not found")
	// ErrRevisionNotFound: the branch, tag or commit does not exist.
	ErrRevisionNotFound = errors.New("revision not found")
	// ErrEntryNotFound: the repository has no such file at that revision.
	ErrEntryNotFound = errors.New("file not found in repository")
	// ErrGated: access refused (HTTP 401/403): gated or private repository,
	// missing or insufficient token.
	ErrGated = errors.New("access refused: gated or private repository")
	// ErrNotCached: offline mode (or the Hub unreachable) and the local
	// cache lacks what was asked for.
	ErrNotCached = errors.New("not in the local cache")
	// ErrNoSafetensors: a pipeline component has weights only in formats
	// this package refuses (.bin, .ckpt, .pt, ...), or no weights at all.
	ErrNoSafetensors = errors.New("no safetensors weights")
	// ErrVariantNotFound: a weight variant (e.g. "fp16") was asked for but
	// no component of the repository has it.
	ErrVariantNotFound = errors.New("weight variant not found")
	// ErrChecksum: downloaded bytes do not match the size or sha256 the Hub
	// announced; nothing was placed in the cache.
	ErrChecksum = errors.New("checksum mismatch")
	// ErrDiskFull: the cache's disk is full (or too small for the download).
	ErrDiskFull = errors.New("no space left on device")
	// ErrTooLarge: a file whose size the Hub did not announce grew past
	// the cap for such files; nothing was placed in the cache.
	ErrTooLarge = errors.New("file too large")
	// ErrHTTP: any other unexpected HTTP status.
	ErrHTTP = errors.New("unexpected HTTP status")
)

// Error is the error type for failures tied to a repository or a file. It
// matches its Kind (one of the sentinels above) and the underlying cause
// with errors.Is / errors.As.
type Error struct {
	Kind     error  // sentinel class, e.g. ErrRepoNotFound
	Repo     string // "namespace/name"
	Revision string // as requested
	File     string // repo-relative path; empty for repository-level errors
	Status   int    // HTTP status when the error comes from a response
	Msg      string // full human-readable message
	Err      error  // underlying cause, if any
}

func (e *Error) Error() string { return e.Msg }

// Unwrap exposes both the class and the cause to errors.Is / errors.As.
func (e *Error) Unwrap() []error {
	var out []error
	if e.Kind != nil {
		out = append(out, e.Kind)
	}
	if e.Err != nil {
		out = append(out, e.Err)
	}
	return out
}

// target describes what a request was for, to word its errors.
type target struct {
	repo      RepoID
	revision  string
	file      string // empty: repository-level request (model info)
	tokenSent bool
}

func (t target) newError(kind error, status int, cause error, format string, args ...any) *Error {
	return &Error{
		Kind: kind, Repo: t.repo.String(), Revision: t.revision, File: t.file,
		Status: status, Msg: "hub: " + fmt.Sprintf(format, args...), Err: cause,
	}
}

func (t target) tokenHint() string {
	if t.tokenSent {
		return "the token that was sent was refused: check that it has read access to this repository and, for a gated model, that you accepted its conditions on the model page"
	}
	return "no token was sent: set HF_TOKEN (or run `hf auth login`, or pass hub.WithToken) with a token that has access, after accepting the model's conditions on its Hub page if it is gated"
}

// statusError turns a failed Hub response into an *Error, using the
// X-Error-Code header the Hub sets (RepoNotFound, RevisionNotFound,
// EntryNotFound, GatedRepo) and the status code otherwise.
func (t target) statusError(resp *http.Response) *Error {
	code := resp.Header.Get("X-Error-Code")
	detail := resp.Header.Get("X-Error-Message")
	if detail == "" && resp.Body != nil && resp.Request != nil && resp.Request.Method != http.MethodHead {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		if s := strings.TrimSpace(string(b)); !strings.HasPrefix(s, "<") {
			detail = s
		}
	}
	detail = serverText(detail, maxServerText)
	st := resp.StatusCode
	where := fmt.Sprintf("%q", t.repo.String())
	what := ""
	if t.file != "" {
		what = fmt.Sprintf("file %q of ", t.file)
	}
	tail := fmt.Sprintf("(HTTP %d", st)
	if detail != "" {
		tail += ": " + detail
	}
	tail += ")"

	switch {
	case code == "RepoNotFound":
		msg := "repository %s not found %s"
		if !t.tokenSent {
			msg += "; if it is private or gated, " + t.tokenHint()
		}
		return t.newError(ErrRepoNotFound, st, nil, msg, where, tail)
	case code == "RevisionNotFound":
		return t.newError(ErrRevisionNotFound, st, nil, "revision %q not found in repository %s %s", t.revision, where, tail)
	case code == "EntryNotFound", code == "" && st == http.StatusNotFound && t.file != "":
		return t.newError(ErrEntryNotFound, st, nil, "file %q not found in repository %s at revision %q %s", t.file, where, t.revision, tail)
	case code == "GatedRepo", code == "DisabledRepo", st == http.StatusUnauthorized, st == http.StatusForbidden:
		return t.newError(ErrGated, st, nil, "access to %s%s refused %s: the repository is gated or private; %s", what, where, tail, t.tokenHint())
	case st == http.StatusNotFound:
		// Model info without an error code: the Hub answers 404 for an
		// unknown revision of an existing repo only with the code set, so
		// this is most likely the repository itself.
		return t.newError(ErrRepoNotFound, st, nil, "repository %s or revision %q not found %s", where, t.revision, tail)
	}
	return t.newError(ErrHTTP, st, nil, "%s%s at revision %q: %s %s", what, where, t.revision, resp.Request.Method+" "+redactURL(resp.Request.URL.String()), tail)
}

// redactURL drops the query string, which may carry signed CDN parameters.
func redactURL(u string) string {
	if i := strings.IndexByte(u, '?'); i >= 0 {
		return u[:i]
	}
	return u
}

// transientError marks an error worth retrying: connection failures,
// dropped transfers, 429 and 5xx responses.
type transientError struct{ err error }

func (e *transientError) Error() string { return e.err.Error() }
func (e *transientError) Unwrap() error { return e.err }

func isTransient(err error) bool {
	var t *transientError
	return errors.As(err, &t)
}

func retryableStatus(st int) bool {
	return st == http.StatusTooManyRequests || st == http.StatusInternalServerError ||
		st == http.StatusBadGateway || st == http.StatusServiceUnavailable || st == http.StatusGatewayTimeout
}

// humanBytes formats n bytes for messages.
func humanBytes(n int64) string {
	const unit = 1000
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %cB", float64(n)/float64(div), "kMGTPE"[exp])
}
