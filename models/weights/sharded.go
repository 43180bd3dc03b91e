package weights

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"github.com/goautopipe/diffusers/internal/config"
	"github.com/goautopipe/diffusers/tensor"
)

// sharded is a checkpoint split over several safetensors files, described
// by an index file {"metadata": {...}, "weight_map": {tensor: file}}.
type sharded struct {
	path   string
	shards map[string]*file // by file name
	where  map[string]*file // by tensor name
	names  []string
}

type indexJSON struct {
	Metadata  map[string]any     `json:"metadata"`
	WeightMap *map[string]string `json:"weight_map"`
}

// openIndex opens every shard listed in a sharded checkpoint's index file.
// All headers are read and checked at once (mapping a file is cheap; no
// tensor data is read), so an inconsistent index fails here, not halfway
// through loading.
func openIndex(path string) (_ *sharded, err error) {
	data, err := config.ReadFile(context.Background(), path, config.MaxIndexBytes)
	if err != nil {
		return nil, fmt.Errorf("weights: %w", err)
	}
	var idx indexJSON
	if err := config.Unmarshal(data, &idx); err != nil {
		return nil, fmt.Errorf("weights: index %s: invalid JSON: %v", path, err)
	}
	if idx.WeightMap == nil {
		return nil, fmt.Errorf("weights: index %s: no weight_map", path)
	}
	s := &sharded{path: path, shards: map[string]*file{}, where: map[string]*file{}}
	defer func() {
		if err != nil {
			s.Close()
		}
	}()
	dir := filepath.Dir(path)
	for name, fname := range *idx.WeightMap {
		if fname == "" || fname != filepath.Base(fname) || strings.ContainsAny(fname, `/\`) || fname == ".." {
			return nil, fmt.Errorf("weights: index %s: tensor %q: shard %q must be a file name in the same folder", path, name, fname)
		}
		if pickleExt[strings.ToLower(filepath.Ext(fname))] {
			return nil, fmt.Errorf("weights: index %s: shard %s: %w", path, fname, ErrPickle)
		}
		f, ok := s.shards[fname]
		if !ok {
			f, err = openFile(filepath.Join(dir, fname))
			if err != nil {
				return nil, fmt.Errorf("weights: index %s: %w", path, err)
			}
			s.shards[fname] = f
		}
		if _, ok := f.hdr.entries[name]; !ok {
			return nil, fmt.Errorf("weights: index %s: tensor %q is not in shard %s", path, name, fname)
		}
		s.where[name] = f
		s.names = append(s.names, name)
	}
	sort.Strings(s.names)
	return s, nil
}

func (s *sharded) Names() []string { return append([]string(nil), s.names...) }

func (s *sharded) Info(name string) (Info, bool) {
	f, ok := s.where[name]
	if !ok {
		return Info{}, false
	}
	return f.Info(name)
}

func (s *sharded) Tensor(name string) (*tensor.Dense, error) {
	f, ok := s.where[name]
	if !ok {
		return nil, fmt.Errorf("weights: %s: no tensor %q", s.path, name)
	}
	return f.Tensor(name)
}

func (s *sharded) raw16(name, dtype string) ([]uint16, []int, bool) {
	f, ok := s.where[name]
	if !ok {
		return nil, nil, false
	}
	return f.raw16(name, dtype)
}

// Metadata merges the shards' __metadata__ maps.
func (s *sharded) Metadata() map[string]string {
	out := map[string]string{}
	for _, f := range s.shards {
		for k, v := range f.hdr.metadata {
			out[k] = v
		}
	}
	return out
}

func (s *sharded) Close() error {
	var errs []error
	for _, f := range s.shards {
		errs = append(errs, f.Close())
	}
	return errors.Join(errs...)
}
