package lora

import (
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strings"

	"github.com/goautopipe/diffusers/models/nn"
	"github.com/goautopipe/diffusers/models/singlefile"
	"github.com/goautopipe/diffusers/models/unet"
)

// layers returns the adapter-taking layers of a model by their dotted
// diffusers paths (the `st` tag names, as in the checkpoint).
func layers(model any) map[string]nn.AdapterLayer {
	out := map[string]nn.AdapterLayer{}
	walkLayers(reflect.ValueOf(model), "", out)
	return out
}

func walkLayers(v reflect.Value, path string, out map[string]nn.AdapterLayer) {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return
		}
		if l, ok := v.Interface().(nn.AdapterLayer); ok {
			out[path] = l
			return
		}
		walkLayers(v.Elem(), path, out)
	case reflect.Slice, reflect.Array:
		for i := 0; i < v.Len(); i++ {
			walkLayers(v.Index(i), join(path, fmt.Sprint(i)), out)
		}
	case reflect.Struct:
		forTagged(v, path, func(f reflect.Value, p string) { walkLayers(f, p, out) })
	}
}

// forTagged calls fn for every exported `st`-tagged field of struct v with
// its path.
func forTagged(v reflect.Value, path string, fn func(f reflect.Value, path string)) {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag, ok := f.Tag.Lookup("st")
		if !ok || tag == "-" || !f.IsExported() {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if strings.Contains(opts, "inline") {
			name = ""
		}
		fn(v.Field(i), join(path, name))
	}
}

func join(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "." + b
}

// ldmKohya matches kohya module names in the LDM layout of the UNet (SDXL
// LoRAs): the block part is rewritten to diffusers' names, the rest is
// looked up.
var ldmKohya = regexp.MustCompile(`^(input_blocks_\d+_\d+|output_blocks_\d+_\d+|middle_block_\d+|time_embed_\d+|label_emb_0_\d+|out_\d+)(?:_(.+))?$`)

// ldmInner are LDM layer names inside a block that differ from diffusers'.
var ldmInner = map[string]string{
	"in_layers_2": "in_layers.2", "out_layers_3": "out_layers.3", "emb_layers_1": "emb_layers.1",
	"skip_connection": "skip_connection", "op": "op", "conv": "conv",
}

// resolver finds the model layer a module updates.
type resolver struct {
	byPath       map[string]nn.AdapterLayer
	byUnderscore map[string]string // underscored path -> path
	lpb          int               // UNet layers per block (0: not a UNet)
}

func newResolver(model any) *resolver {
	r := &resolver{byPath: layers(model), byUnderscore: map[string]string{}}
	for p := range r.byPath {
		r.byUnderscore[strings.ReplaceAll(p, ".", "_")] = p
	}
	if u, ok := model.(*unet.Model); ok {
		r.lpb, _ = u.Config().LayersPerBlock.Single()
	}
	return r
}

// resolve returns the dotted path of the layer a module updates.
func (r *resolver) resolve(m *module) (string, error) {
	if !m.kohya {
		for _, p := range []string{m.key, "text_model." + m.key, strings.TrimPrefix(m.key, "text_model.")} {
			if _, ok := r.byPath[p]; ok {
				return p, nil
			}
		}
		return "", fmt.Errorf("no layer %s", m.key)
	}
	if p, ok := r.byUnderscore[m.key]; ok {
		return p, nil
	}
	if r.lpb > 0 {
		if p, ok := r.ldm(m.key); ok {
			return p, nil
		}
	}
	return "", fmt.Errorf("no layer %s", m.key)
}

// ldm resolves a kohya name in the LDM layout ("input_blocks_4_1_proj_in").
func (r *resolver) ldm(key string) (string, bool) {
	g := ldmKohya.FindStringSubmatch(key)
	if g == nil {
		return "", false
	}
	block := ldmBlockPath(g[1])
	inner, isLDM := ldmInner[g[2]]
	if g[2] == "" || isLDM {
		full := block
		if g[2] != "" {
			full += "." + inner
		}
		p, err := singlefile.UNetName(full, r.lpb)
		if err != nil {
			return "", false
		}
		_, ok := r.byPath[p]
		return p, ok
	}
	// A transformer's inner layers have diffusers names: map the block.
	p, err := singlefile.UNetName(block+".norm", r.lpb)
	if err != nil {
		return "", false
	}
	prefix := strings.TrimSuffix(p, ".norm")
	path, ok := r.byUnderscore[strings.ReplaceAll(prefix, ".", "_")+"_"+g[2]]
	return path, ok
}

// ldmBlockPath turns "input_blocks_4_1" into "input_blocks.4.1".
func ldmBlockPath(s string) string {
	for _, b := range []string{"input_blocks", "output_blocks", "middle_block", "time_embed", "label_emb", "out"} {
		if rest, ok := strings.CutPrefix(s, b+"_"); ok {
			return b + "." + strings.ReplaceAll(rest, "_", ".")
		}
	}
	return s
}

// unresolvedError lists the modules that match no layer.
func unresolvedError(component string, keys []string) error {
	sort.Strings(keys)
	if len(keys) > 20 {
		keys = append(keys[:20], fmt.Sprintf("... (%d more)", len(keys)-20))
	}
	return fmt.Errorf("lora: %s: %d modules match no layer: %s", component, len(keys), strings.Join(keys, ", "))
}
