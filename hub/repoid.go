package hub

import (
	"fmt"
	"strings"
)

// maxRepoPartLen is the longest namespace or name the Hub accepts.
const maxRepoPartLen = 96

// RepoID names a model repository on the Hub: "namespace/name", or just
// "name" for the few legacy repositories without a namespace.
type RepoID struct {
	Namespace string // user or organisation; empty for legacy names
	Name      string
}

// String returns the canonical "namespace/name" form.
func (r RepoID) String() string {
	if r.Namespace == "" {
		return r.Name
	}
	return r.Namespace + "/" + r.Name
}

// FolderName is the repository's folder in the cache, as huggingface_hub
// names it: "models--namespace--name".
func (r RepoID) FolderName() string {
	return "models--" + strings.ReplaceAll(r.String(), "/", "--")
}

// ParseRepoID validates s with the Hub's naming rules: one optional
// namespace and a name, each 1 to 96 characters from [A-Za-z0-9_.-],
// starting and ending with a letter, digit or underscore, with no "--" or
// "..", and not ending in ".git". The error wraps ErrInvalidRepoID.
func ParseRepoID(s string) (RepoID, error) {
	bad := func(why string) (RepoID, error) {
		return RepoID{}, &Error{Kind: ErrInvalidRepoID, Repo: s, Msg: fmt.Sprintf("hub: invalid repo id %q: %s", s, why)}
	}
	if s == "" {
		return bad("empty")
	}
	parts := strings.Split(s, "/")
	if len(parts) > 2 {
		return bad(`expected "namespace/name" (repo type prefixes such as "datasets/" are not supported)`)
	}
	for _, p := range parts {
		if why := checkRepoPart(p); why != "" {
			return bad(why)
		}
	}
	if strings.Contains(s, "--") || strings.Contains(s, "..") {
		return bad(`cannot contain "--" or ".."`)
	}
	if strings.HasSuffix(s, ".git") {
		return bad(`cannot end with ".git"`)
	}
	if len(parts) == 1 {
		return RepoID{Name: parts[0]}, nil
	}
	return RepoID{Namespace: parts[0], Name: parts[1]}, nil
}

func checkRepoPart(p string) string {
	if p == "" {
		return "empty namespace or name"
	}
	if len(p) > maxRepoPartLen {
		return fmt.Sprintf("namespace and name are limited to %d characters", maxRepoPartLen)
	}
	for i := 0; i < len(p); i++ {
		c := p[i]
		if !isWordChar(c) && c != '-' && c != '.' {
			return fmt.Sprintf("character %q not allowed (use letters, digits, '-', '_' or '.')", c)
		}
	}
	if !isWordChar(p[0]) || !isWordChar(p[len(p)-1]) {
		return "namespace and name must start and end with a letter, digit or '_'"
	}
	return ""
}

func isWordChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}

// isCommitHash reports whether rev is a full 40-character lowercase hex
// commit id.
func isCommitHash(rev string) bool {
	if len(rev) != 40 {
		return false
	}
	for i := 0; i < len(rev); i++ {
		c := rev[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// isSHA256 reports whether s is 64 lowercase hex digits, the form of an
// LFS object id.
func isSHA256(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// checkRepoPath validates a file path inside a repository: relative,
// forward slashes, no "." or ".." segments.
func checkRepoPath(p string) error {
	if p == "" || strings.HasPrefix(p, "/") || strings.Contains(p, "\\") {
		return fmt.Errorf("hub: invalid file path %q in repository", p)
	}
	for _, seg := range strings.Split(p, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return fmt.Errorf("hub: invalid file path %q in repository", p)
		}
	}
	return nil
}
