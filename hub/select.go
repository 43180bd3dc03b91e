package hub

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/goautopipe/diffusers/internal/config"
)

// Component is one entry of a pipeline's model_index.json.
type Component struct {
	Name    string // folder name, e.g. "unet"
	Library string // e.g. "diffusers", "transformers"; empty for [null, null]
	Class   string // e.g. "UNet2DConditionModel"
}

// Present reports whether the component is set (not [null, null]).
func (c Component) Present() bool { return c.Library != "" || c.Class != "" }

// ParseModelIndex returns the components listed in a model_index.json, in
// name order. Keys starting with "_" and values that are not
// [library, class] pairs (flags such as requires_safety_checker) are not
// components.
func ParseModelIndex(data []byte) ([]Component, error) {
	var raw map[string]json.RawMessage
	if err := config.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("hub: model_index.json: %w", err)
	}
	var out []Component
	for name, v := range raw {
		if strings.HasPrefix(name, "_") || !bytes.HasPrefix(bytes.TrimSpace(v), []byte("[")) {
			continue
		}
		var pair []*string
		if err := json.Unmarshal(v, &pair); err != nil || len(pair) != 2 {
			continue
		}
		c := Component{Name: name}
		if pair[0] != nil {
			c.Library = *pair[0]
		}
		if pair[1] != nil {
			c.Class = *pair[1]
		}
		if checkRepoPath(name) != nil || strings.Contains(name, "/") {
			return nil, fmt.Errorf("hub: model_index.json: invalid component name %q", name)
		}
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// weight file names (the part after "<component>/").
const (
	weightPrefix = `(?:diffusion_pytorch_model|model)`
	shardSuffix  = `-\d{5}-of-\d{5}`
)

var (
	// other weight formats, refused
	foreignWeightRe = regexp.MustCompile(`\.(?:bin|ckpt|pt|pth|msgpack|h5|onnx|onnx_data|pb|gguf|tflite|ot)$`)
	// any safetensors weight or index
	anySafetensorsRe = regexp.MustCompile(`\.safetensors$|\.safetensors\.(?:[^.]+\.)?index(?:\.[^.]+)?\.json$`)
	// index files of other formats ("pytorch_model.bin.index.json")
	foreignIndexRe = regexp.MustCompile(`\.(?:bin|msgpack|h5|onnx)\.(?:[^.]+\.)?index(?:\.[^.]+)?\.json$`)
)

// weightSet is the weight files chosen for one component.
type weightSet struct {
	files   []string
	index   string // sharded: the .safetensors.index*.json, else ""
	variant bool   // files are of the requested variant
}

// pickWeights chooses the safetensors weights among names (file names in
// one component folder) for a variant ("" for none): a single file first,
// else an index with its shards.
func pickWeights(names []string, variant string) weightSet {
	grab := func(single, index string, shard *regexp.Regexp) weightSet {
		var ws weightSet
		singleRe := regexp.MustCompile(`^` + single + `$`)
		indexRe := regexp.MustCompile(`^` + index + `$`)
		var singles, indexes, shards []string
		for _, n := range names {
			switch {
			case singleRe.MatchString(n):
				singles = append(singles, n)
			case indexRe.MatchString(n):
				indexes = append(indexes, n)
			case shard.MatchString(n):
				shards = append(shards, n)
			}
		}
		sort.Strings(singles)
		sort.Strings(indexes)
		sort.Strings(shards)
		if len(singles) > 0 {
			ws.files = singles
			return ws
		}
		if len(indexes) > 0 {
			ws.index = indexes[0]
			ws.files = append([]string{indexes[0]}, shards...)
		}
		return ws
	}
	if variant != "" {
		v := regexp.QuoteMeta(variant)
		ws := grab(weightPrefix+`\.`+v+`\.safetensors`,
			weightPrefix+`\.safetensors\.(?:index\.`+v+`|`+v+`\.index)\.json`,
			regexp.MustCompile(`^`+weightPrefix+`(?:\.`+v+shardSuffix+`|`+shardSuffix+`\.`+v+`)\.safetensors$`))
		if len(ws.files) > 0 {
			ws.variant = true
			return ws
		}
	}
	return grab(weightPrefix+`\.safetensors`, weightPrefix+`\.safetensors\.index\.json`,
		regexp.MustCompile(`^`+weightPrefix+shardSuffix+`\.safetensors$`))
}

// isAuxFile reports whether a component file is a config, tokenizer or
// preprocessor file that the pipeline needs (json, txt, sentencepiece
// model), as opposed to weights, docs or images.
func isAuxFile(name string) bool {
	if anySafetensorsRe.MatchString(name) || foreignIndexRe.MatchString(name) {
		return false
	}
	switch path.Ext(name) {
	case ".json", ".txt", ".model":
		return true
	}
	return false
}

// plan is what DownloadPipeline fetches.
type plan struct {
	components      []Component
	files           []string // repo-relative, sorted, model_index.json included
	indexes         []string // sharded weight indexes among files
	variantFallback []string // components without the requested variant
}

// planPipeline chooses, from a repository's file list, the files of the
// pipeline described by modelIndex, as diffusers does: every listed
// component not null and not skipped contributes its config/tokenizer
// files and its safetensors weights (of the variant when it has it).
func planPipeline(repo string, modelIndex []byte, repoFiles []string, variant string, skip map[string]bool) (*plan, error) {
	comps, err := ParseModelIndex(modelIndex)
	if err != nil {
		return nil, err
	}
	ignore := ignoredFiles(modelIndex)
	byDir := map[string][]string{}
	for _, f := range repoFiles {
		if checkRepoPath(f) != nil || slices.Contains(ignore, f) {
			continue
		}
		dir, name, ok := strings.Cut(f, "/")
		if !ok || strings.Contains(name, "/") {
			continue
		}
		byDir[dir] = append(byDir[dir], name)
	}
	p := &plan{components: comps, files: []string{"model_index.json"}}
	withWeights, withVariant := 0, 0
	for _, c := range comps {
		if !c.Present() || skip[c.Name] {
			continue
		}
		names := byDir[c.Name]
		if len(names) == 0 {
			return nil, &Error{Kind: ErrEntryNotFound, Repo: repo, File: c.Name + "/",
				Msg: fmt.Sprintf("hub: %q: model_index.json lists component %q (%s.%s) but the repository has no %s/ folder", repo, c.Name, c.Library, c.Class, c.Name)}
		}
		hasConfig := false
		var foreign []string
		for _, n := range names {
			if isAuxFile(n) {
				p.files = append(p.files, c.Name+"/"+n)
			}
			if n == "config.json" {
				hasConfig = true
			}
			if foreignWeightRe.MatchString(n) {
				foreign = append(foreign, c.Name+"/"+n)
			}
		}
		ws := pickWeights(names, variant)
		switch {
		case len(ws.files) > 0:
			withWeights++
			if ws.variant {
				withVariant++
			} else if variant != "" {
				p.variantFallback = append(p.variantFallback, c.Name)
			}
			for _, f := range ws.files {
				p.files = append(p.files, c.Name+"/"+f)
			}
			if ws.index != "" {
				p.indexes = append(p.indexes, c.Name+"/"+ws.index)
			}
		case len(foreign) > 0:
			sort.Strings(foreign)
			return nil, &Error{Kind: ErrNoSafetensors, Repo: repo, File: c.Name + "/",
				Msg: fmt.Sprintf("hub: %q: component %q has no .safetensors weights, only %s; only safetensors files are loaded (pickle-based formats are refused): pick a repository or revision with safetensors weights, or skip this component with hub.WithSkipComponents(%q) and supply it yourself",
					repo, c.Name, strings.Join(foreign, ", "), c.Name)}
		case hasConfig:
			return nil, &Error{Kind: ErrNoSafetensors, Repo: repo, File: c.Name + "/",
				Msg: fmt.Sprintf("hub: %q: component %q has a config.json but no weight files", repo, c.Name)}
		}
	}
	if variant != "" && withVariant == 0 && withWeights > 0 {
		return nil, &Error{Kind: ErrVariantNotFound, Repo: repo,
			Msg: fmt.Sprintf("hub: %q: variant %q requested but no component has %s weights (e.g. unet/diffusion_pytorch_model.%s.safetensors); leave the variant unset to use the regular weights",
				repo, variant, variant, variant)}
	}
	sort.Strings(p.files)
	p.files = dedup(p.files)
	return p, nil
}

// ignoredFiles is model_index.json's "_ignore_files" list, files diffusers
// leaves out of a download.
func ignoredFiles(modelIndex []byte) []string {
	var extra struct {
		IgnoreFiles []string `json:"_ignore_files"`
	}
	config.Unmarshal(modelIndex, &extra)
	return extra.IgnoreFiles
}

func dedup(s []string) []string {
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

// shardIndex is the part of a *.safetensors.index.json we check.
type shardIndex struct {
	WeightMap map[string]string `json:"weight_map"`
}

// shardsOf returns the shard files (repo-relative) a sharded index names.
func shardsOf(indexPath string, data []byte) ([]string, error) {
	var ix shardIndex
	if err := config.Unmarshal(data, &ix); err != nil {
		return nil, fmt.Errorf("hub: %s: %w", indexPath, err)
	}
	dir := path.Dir(indexPath)
	seen := map[string]bool{}
	var out []string
	for _, f := range ix.WeightMap {
		if checkRepoPath(f) != nil || strings.Contains(f, "/") {
			return nil, fmt.Errorf("hub: %s: invalid shard name %q", indexPath, f)
		}
		if !seen[f] {
			seen[f] = true
			out = append(out, dir+"/"+f)
		}
	}
	sort.Strings(out)
	return out, nil
}
