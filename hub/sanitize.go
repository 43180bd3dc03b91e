package hub

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxServerText caps what of a server's own text (an error message, a
// header) goes into an error of this package.
const maxServerText = 200

// serverText makes text received from a server safe to print: terminal
// escape sequences and other control characters are dropped, invalid UTF-8
// replaced, runs of white space collapsed, and the result cut to max runes
// with "..." marking the cut.
func serverText(s string, max int) string {
	var b strings.Builder
	runes, space := 0, false
	for i := 0; i < len(s) && runes < max+1; {
		if s[i] == 0x1b { // ESC: skip the whole escape sequence
			i = skipEscape(s, i)
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		i += n
		switch {
		case r == utf8.RuneError && n <= 1:
			r = '?'
		case unicode.IsSpace(r):
			space = runes > 0
			continue
		case !unicode.IsPrint(r):
			continue
		}
		if space {
			b.WriteByte(' ')
			runes++
			space = false
		}
		b.WriteRune(r)
		runes++
	}
	out := b.String()
	if runes > max {
		rs := []rune(out)
		out = string(rs[:max]) + "..."
	}
	return out
}

// skipEscape returns the index after the escape sequence starting at s[i]
// (ESC): CSI sequences (ESC [ ... final byte in @-~), OSC sequences
// (ESC ] ... BEL or ESC \), and two-byte escapes.
func skipEscape(s string, i int) int {
	i++
	if i >= len(s) {
		return i
	}
	switch s[i] {
	case '[':
		for i++; i < len(s); i++ {
			if s[i] >= 0x40 && s[i] <= 0x7e {
				return i + 1
			}
		}
		return i
	case ']':
		for i++; i < len(s); i++ {
			if s[i] == 0x07 {
				return i + 1
			}
			if s[i] == 0x1b && i+1 < len(s) && s[i+1] == '\\' {
				return i + 2
			}
		}
		return i
	}
	return i + 1
}

// maxETagLen bounds an ETag used as a blob file name.
const maxETagLen = 128

// usableETag reports whether an ETag can name a blob file: short, printable
// ASCII, no path separators, not "." or "..".
func usableETag(e string) bool {
	if e == "" || e == "." || e == ".." || len(e) > maxETagLen {
		return false
	}
	for i := 0; i < len(e); i++ {
		if c := e[i]; c <= ' ' || c >= 0x7f || c == '/' || c == '\\' {
			return false
		}
	}
	return true
}

// cleanError shows a transport error (whose text may quote what the server
// sent, such as a malformed header line) through serverText, keeping the
// error itself for errors.Is and errors.As.
type cleanError struct{ err error }

func (e cleanError) Error() string { return serverText(e.err.Error(), 2*maxServerText) }
func (e cleanError) Unwrap() error { return e.err }
