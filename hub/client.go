package hub

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Client downloads files and pipelines from the Hub into the shared
// huggingface_hub cache. It is safe for concurrent use, also across
// processes sharing a cache.
type Client struct {
	s settings
}

// NewClient returns a Client; options not given are taken from the
// environment (HF_TOKEN, HF_ENDPOINT, HF_HOME, HF_HUB_CACHE, HF_HUB_OFFLINE)
// as huggingface_hub does.
func NewClient(opts ...Option) *Client {
	var s settings
	for _, o := range opts {
		o(&s)
	}
	s.defaults()
	return &Client{s: s}
}

// CacheDir is the cache folder in use.
func (c *Client) CacheDir() string { return c.s.cacheDir }

// call is one operation with its effective settings.
type call struct {
	settings
	repo    RepoID
	storage string // <cache>/models--ns--name
	head    *http.Client
	get     *http.Client
	tracker *tracker // progress over the whole call
}

func (c *Client) newCall(repoID string, opts []Option) (*call, error) {
	repo, err := ParseRepoID(repoID)
	if err != nil {
		return nil, err
	}
	s := c.s
	for _, o := range opts {
		o(&s)
	}
	s.defaults()
	k := &call{settings: s, repo: repo, tracker: newTracker(s.progress)}
	k.storage = filepath.Join(s.cacheDir, repo.FolderName())

	// HEAD: never follow redirects automatically (relative ones are
	// followed by hand, the first absolute one carries the metadata).
	h := *s.httpClient
	h.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	k.head = &h
	// GET: follow redirects, but the token only goes to the Hub's origin.
	g := *s.httpClient
	endpoint, _ := url.Parse(s.endpoint)
	g.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if len(via) >= 10 {
			return errors.New("stopped after 10 redirects")
		}
		if endpoint == nil || !sameOrigin(req.URL, endpoint) {
			req.Header.Del("Authorization")
		}
		return nil
	}
	k.get = &g
	return k, nil
}

func sameOrigin(a, b *url.URL) bool {
	return strings.EqualFold(a.Scheme, b.Scheme) && strings.EqualFold(a.Host, b.Host)
}

func (k *call) bearer() string { return *k.token }

// newRequest builds a request; the token is attached only for the Hub's
// own origin.
func (k *call) newRequest(ctx context.Context, method, rawURL string) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, method, rawURL, nil)
	if err != nil {
		return nil, fmt.Errorf("hub: %s %s: %w", method, redactURL(rawURL), err)
	}
	req.Header.Set("User-Agent", k.userAgent)
	if tok := k.bearer(); tok != "" {
		if ep, err := url.Parse(k.endpoint); err == nil && sameOrigin(req.URL, ep) {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
	}
	return req, nil
}

// retry runs f until it succeeds, fails with a non-transient error, the
// attempts are spent or ctx ends. f receives the attempt number (0-based).
func (k *call) retry(ctx context.Context, f func(attempt int) error) error {
	delay := k.retryBase
	var err error
	for attempt := 0; attempt < k.retries; attempt++ {
		if attempt > 0 {
			t := time.NewTimer(delay)
			select {
			case <-ctx.Done():
				t.Stop()
				return ctx.Err()
			case <-t.C:
			}
			delay = min(2*delay, k.retryMax)
		}
		err = f(attempt)
		if err == nil || !isTransient(err) || ctx.Err() != nil {
			break
		}
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

// do sends req, turning connection failures and retryable statuses into
// transient errors.
func (k *call) do(hc *http.Client, req *http.Request, t target) (*http.Response, error) {
	resp, err := hc.Do(req)
	if err != nil {
		if ctxErr := req.Context().Err(); ctxErr != nil && !errors.Is(ctxErr, context.DeadlineExceeded) {
			return nil, ctxErr
		}
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // its text repeats the method and URL
		}
		return nil, &transientError{fmt.Errorf("%s %s: %w", req.Method, redactURL(req.URL.String()), cleanError{err})}
	}
	if retryableStatus(resp.StatusCode) {
		e := t.statusError(resp)
		drain(resp)
		return nil, &transientError{e}
	}
	return resp, nil
}

func drain(resp *http.Response) {
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
}

func (k *call) target(rev, file string) target {
	return target{repo: k.repo, revision: rev, file: file, tokenSent: k.bearer() != ""}
}

// repoURL is {endpoint}/{ns}/{name}.
func (k *call) repoURL() string { return k.endpoint + "/" + k.repo.String() }

func (k *call) resolveURL(rev, file string) string {
	segs := strings.Split(file, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return k.repoURL() + "/resolve/" + url.PathEscape(rev) + "/" + strings.Join(segs, "/")
}

// repoInfo is the part of GET /api/models/{repo}/revision/{rev} we use.
type repoInfo struct {
	SHA      string `json:"sha"`
	Siblings []struct {
		RFilename string `json:"rfilename"`
	} `json:"siblings"`
}

func (ri *repoInfo) files() []string {
	out := make([]string, 0, len(ri.Siblings))
	for _, s := range ri.Siblings {
		out = append(out, s.RFilename)
	}
	return out
}

// modelInfo fetches the commit and file list of a revision (one attempt;
// the caller decides about retries).
func (k *call) modelInfo(ctx context.Context, rev string) (*repoInfo, error) {
	ctx, cancel := context.WithTimeout(ctx, k.metaTimeout)
	defer cancel()
	t := k.target(rev, "")
	u := k.endpoint + "/api/models/" + k.repo.String() + "/revision/" + url.PathEscape(rev)
	req, err := k.newRequest(ctx, http.MethodGet, u)
	if err != nil {
		return nil, err
	}
	resp, err := k.do(k.get, req, t)
	if err != nil {
		return nil, err
	}
	defer drain(resp)
	if resp.StatusCode != http.StatusOK {
		return nil, t.statusError(resp)
	}
	var ri repoInfo
	if err := json.NewDecoder(io.LimitReader(resp.Body, 64<<20)).Decode(&ri); err != nil {
		return nil, &transientError{fmt.Errorf("hub: model info of %q at %q: %w", k.repo, rev, err)}
	}
	if !isCommitHash(ri.SHA) {
		return nil, fmt.Errorf("hub: model info of %q at %q: invalid commit sha %q", k.repo, rev, ri.SHA)
	}
	return &ri, nil
}

// fileMeta is what a HEAD on a resolve URL tells.
type fileMeta struct {
	file     string // repo-relative path
	commit   string
	etag     string // blob name in the cache; sha256 for LFS files
	size     int64  // -1 when unknown
	location string // where to GET the bytes (CDN for LFS files)
}

// headFile does the metadata request for one file, like huggingface_hub:
// HEAD without following redirects except relative ones (renamed repos),
// so that a 302 to the CDN yields the Hub's own headers.
func (k *call) headFile(ctx context.Context, rev, file string) (fileMeta, error) {
	ctx, cancel := context.WithTimeout(ctx, k.metaTimeout)
	defer cancel()
	t := k.target(rev, file)
	cur := k.resolveURL(rev, file)
	for hops := 0; ; hops++ {
		req, err := k.newRequest(ctx, http.MethodHead, cur)
		if err != nil {
			return fileMeta{}, err
		}
		req.Header.Set("Accept-Encoding", "identity")
		resp, err := k.do(k.head, req, t)
		if err != nil {
			return fileMeta{}, err
		}
		drain(resp)
		loc := resp.Header.Get("Location")
		isRedirect := resp.StatusCode >= 300 && resp.StatusCode < 400
		if isRedirect && loc != "" && hops < 10 {
			if lu, err := url.Parse(loc); err == nil && lu.Host == "" {
				cur = req.URL.ResolveReference(lu).String()
				continue
			}
		}
		if !isRedirect && resp.StatusCode != http.StatusOK {
			return fileMeta{}, t.statusError(resp)
		}
		m := fileMeta{file: file, size: -1, location: cur}
		if loc != "" && isRedirect {
			if lu, err := url.Parse(loc); err == nil {
				m.location = req.URL.ResolveReference(lu).String()
			}
		}
		m.commit = resp.Header.Get("X-Repo-Commit")
		m.etag = normalizeETag(resp.Header.Get("X-Linked-Etag"))
		if m.etag == "" {
			m.etag = normalizeETag(resp.Header.Get("ETag"))
		}
		sz := resp.Header.Get("X-Linked-Size")
		if sz == "" && !isRedirect {
			sz = resp.Header.Get("Content-Length")
		}
		if n, err := strconv.ParseInt(sz, 10, 64); err == nil && n >= 0 {
			m.size = n
		}
		if !isCommitHash(m.commit) {
			return m, t.newError(ErrHTTP, resp.StatusCode, nil, "HEAD %s: response lacks a valid X-Repo-Commit header (got %q); is %s a Hugging Face Hub endpoint?", redactURL(cur), serverText(m.commit, 64), k.endpoint)
		}
		if !usableETag(m.etag) {
			return m, t.newError(ErrHTTP, resp.StatusCode, nil, "HEAD %s: response has no usable ETag, so the file cannot be cached reliably", redactURL(cur))
		}
		return m, nil
	}
}

// normalizeETag strips the weak prefix and the quotes.
func normalizeETag(e string) string {
	e = strings.TrimSpace(e)
	e = strings.TrimPrefix(e, "W/")
	return strings.Trim(e, `"`)
}
