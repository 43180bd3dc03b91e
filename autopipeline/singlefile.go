package autopipeline

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path"
	"strings"

	"github.com/goautopipe/diffusers/hub"
	"github.com/goautopipe/diffusers/internal/config"
	"github.com/goautopipe/diffusers/models/singlefile"
	"github.com/goautopipe/diffusers/pipelines"
	"github.com/goautopipe/diffusers/schedulers"
	"github.com/goautopipe/diffusers/tensor"
)

// WithSingleFileConfig makes FromPretrained describe a single-file
// checkpoint with the configs of the diffusers folder dir (model_index.json,
// component configs, scheduler and tokenizers; its weights are not read)
// instead of the reference configs the library carries for the detected
// model type, like diffusers' from_single_file(config=...).
func WithSingleFileConfig(dir string) Option { return func(o *options) { o.singleFileConfig = dir } }

// WithPredictionType states the prediction type ("epsilon" or
// "v_prediction") of a single-file checkpoint: an SD 2.x file cannot tell
// the 768 v-prediction model (the default) from the 512 epsilon one.
func WithPredictionType(p string) Option { return func(o *options) { o.predictionType = p } }

// singleFileExts are the file extensions taken as single-file checkpoints;
// pickle files are listed so that they get the single-file error (refused,
// with a pointer to safetensors) rather than a Hub lookup.
var singleFileExts = []string{".safetensors", ".ckpt", ".pt", ".pth", ".bin"}

func isSingleFileName(name string) bool {
	for _, ext := range singleFileExts {
		if strings.HasSuffix(strings.ToLower(name), ext) {
			return true
		}
	}
	return false
}

// singleFilePath returns the local path of a single-file checkpoint named
// by nameOrPath: a local file, a file in a Hub repo ("org/name/file.safetensors")
// or a Hub file URL ("https://huggingface.co/org/name/blob/main/file.safetensors",
// also /resolve/). ok is false when nameOrPath names no single file.
func singleFilePath(ctx context.Context, nameOrPath string, o *options) (p string, ok bool, err error) {
	if st, err := os.Stat(nameOrPath); err == nil {
		return nameOrPath, !st.IsDir() && isSingleFileName(nameOrPath), nil
	}
	repo, file, rev, ok := hubFile(nameOrPath)
	if !ok {
		return "", false, nil
	}
	p, err = o.download(ctx, repo, file, rev)
	if err != nil {
		return "", true, fmt.Errorf("autopipeline: %s: %w", nameOrPath, err)
	}
	return p, true, nil
}

// download fetches one file of a Hub repo (at revision rev, "" for the
// options' or the default) into the cache and returns its path.
func (o *options) download(ctx context.Context, repo, file, rev string) (string, error) {
	opts := append([]hub.Option(nil), o.hub.opts...)
	if rev != "" {
		opts = append(opts, hub.WithRevision(rev))
	}
	return hub.NewClient(opts...).Download(ctx, repo, file)
}

// hubFile splits a Hub file reference into repo id, file path and revision.
func hubFile(s string) (repo, file, rev string, ok bool) {
	if strings.HasPrefix(s, "https://") || strings.HasPrefix(s, "http://") {
		u, err := url.Parse(s)
		if err != nil || u.Host != "huggingface.co" {
			return "", "", "", false
		}
		parts := strings.Split(strings.Trim(u.Path, "/"), "/")
		if len(parts) < 5 || (parts[2] != "blob" && parts[2] != "resolve") {
			return "", "", "", false
		}
		repo, rev, file = parts[0]+"/"+parts[1], parts[3], strings.Join(parts[4:], "/")
	} else {
		parts := strings.Split(s, "/")
		if len(parts) < 3 {
			return "", "", "", false
		}
		repo, file = parts[0]+"/"+parts[1], strings.Join(parts[2:], "/")
	}
	if !isSingleFileName(file) || path.Clean(file) != file || strings.HasPrefix(file, "../") {
		return "", "", "", false
	}
	if _, err := hub.ParseRepoID(repo); err != nil {
		return "", "", "", false
	}
	return repo, file, rev, true
}

// fromSingleFile builds the task's pipeline from a single-file checkpoint:
// its model type gives the reference configs (or WithSingleFileConfig's),
// whose model_index.json gives the class.
func (t Task) fromSingleFile(ctx context.Context, file, nameOrPath string, o *options) (Pipeline, error) {
	sf, err := singlefile.Load(ctx, file, singlefile.Options{
		ConfigDir: o.singleFileConfig, PredictionType: o.predictionType, Precision: tensor.DType(o.dtype),
	})
	if err != nil {
		return nil, fmt.Errorf("autopipeline: %w", err)
	}
	idx, err := config.ParseModelIndex(sf.ModelIndex)
	if err != nil {
		return nil, err
	}
	cls, err := t.classFor(idx.ClassName)
	if err != nil {
		return nil, err
	}
	sig := cls.Signature()
	if err := o.checkComponents(cls.Name(), sig); err != nil {
		return nil, err
	}
	sched, err := schedulers.FromConfig(sf.Scheduler)
	if err != nil {
		return nil, fmt.Errorf("autopipeline: %s: scheduler: %w", nameOrPath, err)
	}
	loaded := pipelines.Components{"scheduler": sched}
	for k, v := range sf.Components {
		loaded[k] = v
	}
	comps := sharedComponents(sig, loaded, o.components)
	return t.build(cls, comps, pretrainedConfig(sig, idx, o, nameOrPath), o)
}
