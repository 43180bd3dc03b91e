package autopipeline

import (
	"context"
	"fmt"

	"github.com/goautopipe/diffusers/hub"
	"github.com/goautopipe/diffusers/internal/config"
)

type hubOptions struct {
	opts []hub.Option
}

// WithHubOptions passes options to the Hub client used for repo ids
// (hub.WithToken, hub.WithCacheDir, hub.WithEndpoint, hub.WithProgress...).
// Without them the client follows HF_TOKEN, HF_HOME, HF_HUB_CACHE,
// HF_ENDPOINT and HF_HUB_OFFLINE like huggingface_hub.
func WithHubOptions(opts ...hub.Option) Option {
	return func(o *options) { o.hub.opts = append(o.hub.opts, opts...) }
}

// WithRevision selects a branch, tag or commit of a Hub repo.
func WithRevision(rev string) Option {
	return WithHubOptions(hub.WithRevision(rev))
}

// WithOffline resolves Hub repo ids from the local cache only.
func WithOffline(offline bool) Option {
	return WithHubOptions(hub.WithOffline(offline))
}

// WithDownloadProgress reports download progress of Hub files.
func WithDownloadProgress(f func(hub.Progress)) Option {
	return WithHubOptions(hub.WithProgress(f))
}

// resolveHub downloads what the task's pipeline class needs from a Hub repo
// and returns the snapshot folder. model_index.json comes first: the class
// is resolved (ErrUnsupported before any weight is fetched), then only the
// components that class takes, minus those replaced by WithComponent, are
// downloaded.
func resolveHub(ctx context.Context, nameOrPath string, t Task, o *options) (string, error) {
	if _, err := hub.ParseRepoID(nameOrPath); err != nil {
		return "", fmt.Errorf("autopipeline: %q is neither a local diffusers folder nor a Hub repo id (org/name): %w", nameOrPath, err)
	}
	c := hub.NewClient(o.hub.opts...)
	idxPath, err := c.Download(ctx, nameOrPath, "model_index.json")
	if err != nil {
		return "", movedError(nameOrPath, err)
	}
	idx, err := config.ReadModelIndex(idxPath)
	if err != nil {
		return "", err
	}
	cls, err := t.classFor(idx.ClassName)
	if err != nil {
		return "", err
	}
	sig := cls.Signature()
	var skip []string
	for _, name := range idx.Order {
		if _, replaced := o.components[name]; replaced || !sig.HasModule(name) {
			skip = append(skip, name)
		}
	}
	dopts := []hub.Option{hub.WithSkipComponents(skip...)}
	if o.variant != "" {
		dopts = append(dopts, hub.WithVariant(o.variant))
	}
	dir, err := c.DownloadPipeline(ctx, nameOrPath, dopts...)
	if err != nil {
		return "", fmt.Errorf("autopipeline: %w", err)
	}
	return dir, nil
}
