package hub

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/goautopipe/diffusers/internal/config"
)

// Snapshot describes a pipeline available in the cache.
type Snapshot struct {
	Repo       RepoID
	Revision   string      // as requested
	Commit     string      // the commit it resolved to
	Dir        string      // <cache>/models--ns--name/snapshots/<commit>
	Components []Component // from model_index.json, including null and skipped ones
	Files      []string    // repo-relative paths fetched or found, sorted
	// VariantFallback lists components that lack the requested variant and
	// use their regular weights instead.
	VariantFallback []string
	FromCache       bool // resolved without any network request
}

// DownloadPipeline fetches a diffusers pipeline repository and returns
// its snapshot folder: model_index.json, then for each component it lists
// (except [null, null] ones and those named by WithSkipComponents) its
// config, tokenizer and preprocessor files and its safetensors weights,
// of the variant set by WithVariant when available.
func (c *Client) DownloadPipeline(ctx context.Context, repoID string, opts ...Option) (string, error) {
	s, err := c.Pipeline(ctx, repoID, opts...)
	if err != nil {
		return "", err
	}
	return s.Dir, nil
}

// Pipeline is DownloadPipeline returning the full Snapshot description.
//
// Resolution order, as huggingface_hub's snapshot_download: a commit-hash
// revision whose snapshot is complete is used without any request; in
// offline mode the snapshot named by refs/<revision> is used if complete,
// and the error lists what is missing otherwise; online, the revision's
// file list is fetched (falling back to a complete cached snapshot when
// the Hub cannot be reached or refuses), then each missing file is
// fetched after a HEAD, reusing blobs cached under the same etag.
func (c *Client) Pipeline(ctx context.Context, repoID string, opts ...Option) (*Snapshot, error) {
	k, err := c.newCall(repoID, opts)
	if err != nil {
		return nil, err
	}
	rev := k.revision
	if isCommitHash(rev) {
		if s, err := k.cachedPipeline(rev); err == nil {
			return s, nil
		}
	}
	if *k.offline {
		s, err := k.cachedPipeline(rev)
		if err != nil {
			return nil, k.notCached(rev, "the pipeline", err.Error(), err)
		}
		return s, nil
	}
	info, err := k.modelInfo(ctx, rev)
	if err != nil {
		// As huggingface_hub: a complete cached snapshot stands in when the
		// Hub is unreachable or refuses, but not for a revision it says
		// does not exist.
		if !errors.Is(err, ErrRevisionNotFound) {
			if s, cerr := k.cachedPipeline(rev); cerr == nil {
				return s, nil
			}
		}
		if isTransient(err) {
			first := err
			err = k.retry(ctx, func(attempt int) error {
				if attempt == 0 {
					return first
				}
				var e error
				info, e = k.modelInfo(ctx, rev)
				return e
			})
		}
		if err != nil {
			return nil, k.unreachable(rev, "the pipeline", err)
		}
	}
	return k.downloadPipeline(ctx, rev, info)
}

func (k *call) downloadPipeline(ctx context.Context, rev string, info *repoInfo) (*Snapshot, error) {
	commit := info.SHA
	if err := k.writeRef(rev, commit); err != nil {
		return nil, err
	}
	repoFiles := info.files()
	if !slices.Contains(repoFiles, "model_index.json") {
		return nil, &Error{Kind: ErrEntryNotFound, Repo: k.repo.String(), Revision: rev, File: "model_index.json",
			Msg: fmt.Sprintf("hub: %q at revision %q has no model_index.json: not a diffusers pipeline repository", k.repo, rev)}
	}
	if err := k.ensureFiles(ctx, rev, commit, []string{"model_index.json"}); err != nil {
		return nil, err
	}
	mi, err := config.ReadFile(ctx, k.pointerPath(commit, "model_index.json"), config.MaxConfigBytes)
	if err != nil {
		return nil, fmt.Errorf("hub: read model_index.json: %w", err)
	}
	p, err := planPipeline(k.repo.String(), mi, repoFiles, k.variant, k.skip)
	if err != nil {
		return nil, withRevision(err, rev)
	}
	for _, f := range p.files {
		if !slices.Contains(repoFiles, f) {
			return nil, fmt.Errorf("hub: internal: planned file %q not in repository", f)
		}
	}
	if err := k.ensureFiles(ctx, rev, commit, p.files); err != nil {
		return nil, err
	}
	if err := k.checkShards(commit, p); err != nil {
		return nil, withRevision(err, rev)
	}
	return k.snapshot(rev, commit, p, false), nil
}

func withRevision(err error, rev string) error {
	var e *Error
	if errors.As(err, &e) && e.Revision == "" {
		e.Revision = rev
	}
	return err
}

// ensureFiles fetches the files not yet in snapshots/<commit>: one HEAD
// each (in parallel), then the transfers.
func (k *call) ensureFiles(ctx context.Context, rev, commit string, files []string) error {
	var missing []string
	for _, f := range files {
		if !fileExists(k.pointerPath(commit, f)) {
			missing = append(missing, f)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	metas := make([]fileMeta, len(missing))
	err := forEach(ctx, k.concurrency, len(missing), func(ctx context.Context, i int) error {
		return k.retry(ctx, func(int) error {
			m, err := k.headFile(ctx, commit, missing[i])
			if err != nil {
				return withRevision(err, rev)
			}
			if m.commit != commit {
				return fmt.Errorf("hub: %q: HEAD of %q answered commit %s, expected %s", k.repo, missing[i], m.commit, commit)
			}
			metas[i] = m
			return nil
		})
	})
	if err != nil {
		return err
	}
	// Files whose blob is already cached (same etag) only need a link.
	var fetch []fileMeta
	for _, m := range metas {
		if fileExists(k.blobPath(m.etag)) {
			if _, err := k.linkPointer(commit, m.file, m.etag); err != nil {
				return err
			}
			continue
		}
		fetch = append(fetch, m)
	}
	return k.fetchAll(ctx, rev, commit, fetch)
}

// checkShards verifies that every shard named by a sharded index is in
// the snapshot.
func (k *call) checkShards(commit string, p *plan) error {
	for _, ix := range p.indexes {
		data, err := config.ReadFile(context.Background(), k.pointerPath(commit, ix), config.MaxIndexBytes)
		if err != nil {
			return fmt.Errorf("hub: read %s: %w", ix, err)
		}
		shards, err := shardsOf(ix, data)
		if err != nil {
			return err
		}
		for _, s := range shards {
			if !fileExists(k.pointerPath(commit, s)) {
				return &Error{Kind: ErrEntryNotFound, Repo: k.repo.String(), File: s,
					Msg: fmt.Sprintf("hub: %q: %s names shard %q, which is not in the repository snapshot", k.repo, ix, s)}
			}
		}
	}
	return nil
}

// cachedPipeline resolves the pipeline from the cache alone, applying
// the same selection as online to the snapshot's files; the error lists
// everything missing.
func (k *call) cachedPipeline(rev string) (*Snapshot, error) {
	commit, ok := k.cachedCommit(rev)
	if !ok {
		return nil, errors.New(k.missingWhy(rev))
	}
	dir := k.snapshotDir(commit)
	mi, err := config.ReadFile(context.Background(), k.pointerPath(commit, "model_index.json"), config.MaxConfigBytes)
	if err != nil {
		return nil, fmt.Errorf("snapshot %s lacks model_index.json", dir)
	}
	comps, err := ParseModelIndex(mi)
	if err != nil {
		return nil, err
	}
	files, err := snapshotFiles(dir)
	if err != nil {
		return nil, fmt.Errorf("read snapshot %s: %v", dir, err)
	}
	ignore := ignoredFiles(mi)
	files = slices.DeleteFunc(files, func(f string) bool { return slices.Contains(ignore, f) })
	byDir := map[string][]string{}
	for _, f := range files {
		if d, name, ok := strings.Cut(f, "/"); ok && !strings.Contains(name, "/") {
			byDir[d] = append(byDir[d], name)
		}
	}
	p := &plan{components: comps, files: []string{"model_index.json"}}
	var missing []string
	withWeights, withVariant := 0, 0
	for _, c := range comps {
		if !c.Present() || k.skip[c.Name] {
			continue
		}
		names := byDir[c.Name]
		if len(names) == 0 {
			missing = append(missing, fmt.Sprintf("%s/ (component %s)", c.Name, c.Class))
			continue
		}
		hasConfig := false
		for _, n := range names {
			if isAuxFile(n) {
				p.files = append(p.files, c.Name+"/"+n)
			}
			hasConfig = hasConfig || n == "config.json"
		}
		ws := pickWeights(names, k.variant)
		if len(ws.files) == 0 {
			if hasConfig {
				missing = append(missing, fmt.Sprintf("%s/ safetensors weights", c.Name))
			}
			continue
		}
		withWeights++
		if ws.variant {
			withVariant++
		} else if k.variant != "" {
			p.variantFallback = append(p.variantFallback, c.Name)
		}
		for _, f := range ws.files {
			p.files = append(p.files, c.Name+"/"+f)
		}
		if ws.index != "" {
			ix := c.Name + "/" + ws.index
			data, err := config.ReadFile(context.Background(), k.pointerPath(commit, ix), config.MaxIndexBytes)
			if err != nil {
				return nil, fmt.Errorf("read %s: %v", ix, err)
			}
			shards, err := shardsOf(ix, data)
			if err != nil {
				return nil, err
			}
			for _, sh := range shards {
				if !slices.Contains(files, sh) {
					missing = append(missing, sh)
				}
			}
		}
	}
	if k.variant != "" && withVariant == 0 && withWeights > 0 {
		missing = append(missing, fmt.Sprintf("%s weights (no component has them)", k.variant))
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("snapshot %s lacks %s", dir, strings.Join(missing, ", "))
	}
	sort.Strings(p.files)
	p.files = dedup(p.files)
	return k.snapshot(rev, commit, p, true), nil
}

func (k *call) snapshot(rev, commit string, p *plan, fromCache bool) *Snapshot {
	return &Snapshot{Repo: k.repo, Revision: rev, Commit: commit, Dir: k.snapshotDir(commit),
		Components: p.components, Files: p.files, VariantFallback: p.variantFallback, FromCache: fromCache}
}
