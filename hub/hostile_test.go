package hub

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const hostileCommit = "0123456789abcdef0123456789abcdef01234567"

// hostileServer answers every HEAD of a resolve URL with a commit, an ETag
// and the headers set by head, and every GET with get.
func hostileServer(t *testing.T, head func(http.Header), get http.HandlerFunc) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodHead {
			w.Header().Set("X-Repo-Commit", hostileCommit)
			w.Header().Set("ETag", `"abc123"`)
			head(w.Header())
			w.WriteHeader(http.StatusOK)
			return
		}
		get(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func hostileClient(endpoint, cache string) *Client {
	return NewClient(WithEndpoint(endpoint), WithCacheDir(cache), WithToken(""), WithOffline(false),
		WithRetry(2, time.Millisecond, 2*time.Millisecond))
}

func TestHostileServer(t *testing.T) {
	ansi := "\x1b[31mboom\x1b[0m\x1b]0;title\x07 " + strings.Repeat("listing ", 200000)
	cases := []struct {
		name    string
		head    func(http.Header)
		get     http.HandlerFunc
		partial int // bytes of a leftover .incomplete file
		want    error
		absent  []string // must not appear in the message
	}{
		{
			name:    "416 on resume",
			head:    func(h http.Header) { h.Set("Content-Length", "100") },
			get:     func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusRequestedRangeNotSatisfiable) },
			partial: 10,
			want:    ErrHTTP,
			absent:  []string{"restarting"},
		},
		{
			name: "escapes in a header",
			head: func(h http.Header) { h.Set("Content-Length", "100") },
			get: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("X-Error-Message", ansi[:4000])
				w.WriteHeader(http.StatusTeapot)
			},
			absent: []string{"\x1b", "\x07", strings.Repeat("listing ", 100)},
		},
		{
			name: "a long error header",
			head: func(h http.Header) { h.Set("Content-Length", "100") },
			get: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("X-Error-Message", strings.Repeat("listing ", 10000))
				w.WriteHeader(http.StatusTeapot)
			},
			want:   ErrHTTP,
			absent: []string{strings.Repeat("listing ", 100)},
		},
		{
			name: "escapes in the body",
			head: func(h http.Header) { h.Set("Content-Length", "100") },
			get: func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusTeapot)
				w.Write([]byte("\x1b[2J\x1b[31mrepository moved\x1b[0m\x07"))
			},
			want:   ErrHTTP,
			absent: []string{"\x1b", "\x07"},
		},
		{
			name: "unannounced size, non-sha ETag",
			head: func(h http.Header) {},
			get: func(w http.ResponseWriter, r *http.Request) {
				chunk := make([]byte, 4096)
				for range 64 {
					if _, err := w.Write(chunk); err != nil {
						return
					}
					w.(http.Flusher).Flush()
				}
			},
			want: ErrTooLarge,
		},
	}
	old := maxUnsizedDownload
	maxUnsizedDownload = 64 << 10
	t.Cleanup(func() { maxUnsizedDownload = old })
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cache := t.TempDir()
			url := hostileServer(t, tc.head, tc.get)
			if tc.partial > 0 {
				blobs := filepath.Join(cache, "models--org--repo", "blobs")
				require.NoError(t, os.MkdirAll(blobs, 0o755))
				require.NoError(t, os.WriteFile(filepath.Join(blobs, "abc123.incomplete"), make([]byte, tc.partial), 0o644))
			}
			_, err := hostileClient(url, cache).Download(context.Background(), "org/repo", "config.json")
			require.Error(t, err)
			if tc.want != nil {
				assert.True(t, errors.Is(err, tc.want), "%v", err)
			}
			assert.Less(t, len(err.Error()), 600)
			for _, s := range tc.absent {
				assert.NotContains(t, err.Error(), s)
			}
			_, statErr := os.Stat(filepath.Join(cache, "models--org--repo", "blobs", "abc123"))
			assert.True(t, os.IsNotExist(statErr), "nothing cached")
		})
	}
}

func TestServerText(t *testing.T) {
	cases := []struct {
		in   string
		max  int
		want string
	}{
		{"plain", 20, "plain"},
		{"\x1b[1;31mred\x1b[0m text", 20, "red text"},
		{"a\r\n\tb  c", 20, "a b c"},
		{"bad\xffutf8", 20, "bad?utf8"},
		{"\x1b]0;title\x1b\\ok", 20, "ok"},
		{strings.Repeat("x", 30), 10, strings.Repeat("x", 10) + "..."},
	}
	for _, tc := range cases {
		assert.Equal(t, tc.want, serverText(tc.in, tc.max), "%q", tc.in)
	}
}
