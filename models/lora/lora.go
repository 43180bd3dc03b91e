package lora

import (
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"github.com/goautopipe/diffusers/internal/config"
	"github.com/goautopipe/diffusers/internal/limits"
	"github.com/goautopipe/diffusers/models/weights"
	"github.com/goautopipe/diffusers/tensor"
)

// ErrUnsupported is wrapped by the error for LoRA files of a type this
// package does not compute (LoHa, LoKr, DoRA, full weight differences, ...).
var ErrUnsupported = errors.New("unsupported LoRA type")

// Limits on what a LoRA file may hold, checked before anything is read.
const (
	maxModules = 1 << 14
	maxRank    = 4096
)

// LoRA is a set of low-rank updates read from one file. It is immutable
// once loaded and may be shared by any number of pipelines.
type LoRA struct {
	// Name identifies the adapter (the file name without extension unless set otherwise).
	Name    string
	modules []*module
}

// module is the update of one layer: W += alpha/rank * Up @ Down.
type module struct {
	component string // unet, text_encoder, text_encoder_2
	key       string // dotted diffusers path, or the underscored kohya name
	kohya     bool
	down, up  *tensor.Dense
	alpha     float64 // 0: rank (scale 1)
}

func (m *module) rank() int { return tensor.Shape(m.down)[0] }

func (m *module) scale() float64 {
	if m.alpha == 0 {
		return 1
	}
	return m.alpha / float64(m.rank())
}

// Components returns the components the LoRA changes (sorted).
func (l *LoRA) Components() []string {
	seen := map[string]bool{}
	var out []string
	for _, m := range l.modules {
		if !seen[m.component] {
			seen[m.component] = true
			out = append(out, m.component)
		}
	}
	sort.Strings(out)
	return out
}

// Load reads a LoRA .safetensors file in the kohya/A1111 layout
// (lora_unet_*, lora_te_*, lora_te1_*, lora_te2_* with .lora_down, .lora_up
// and .alpha; LDM- or diffusers-named; LoCon convolutions) or the
// diffusers/PEFT layout (unet.*, text_encoder.*, text_encoder_2.* with
// .lora_A/.lora_B or .lora.down/.lora.up, alphas from the
// lora_adapter_metadata or .alpha tensors). Tensors are read into memory.
func Load(path string) (*LoRA, error) {
	src, err := weights.Open(path)
	if err != nil {
		return nil, fmt.Errorf("lora: %w", err)
	}
	defer src.Close()
	var meta map[string]string
	if ms, ok := src.(weights.MetadataSource); ok {
		meta = ms.Metadata()
	}
	l, err := Parse(src, meta)
	if err != nil {
		return nil, fmt.Errorf("lora: %s: %w", path, err)
	}
	l.Name = strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	return l, nil
}

// Parse reads the LoRA held by src (metadata: the safetensors metadata, may
// be nil).
func Parse(src weights.Source, meta map[string]string) (*LoRA, error) {
	names := src.Names()
	if len(names) > 3*maxModules {
		return nil, fmt.Errorf("%d tensors: more than %d modules", len(names), maxModules)
	}
	groups, err := group(names)
	if err != nil {
		return nil, err
	}
	alphas, err := peftAlphas(meta)
	if err != nil {
		return nil, err
	}
	l := &LoRA{}
	for _, g := range groups {
		m, err := g.read(src, alphas)
		if err != nil {
			return nil, err
		}
		l.modules = append(l.modules, m)
	}
	if len(l.modules) == 0 {
		return nil, fmt.Errorf("no LoRA modules found")
	}
	return l, nil
}

// tensorGroup is the tensors of one module.
type tensorGroup struct {
	base, down, up, alpha string
	component, key        string
	kohya                 bool
}

// suffixes of the down/up/alpha tensors, per layout.
var layouts = []struct{ down, up string }{
	{".lora_down.weight", ".lora_up.weight"},
	{".lora_A.weight", ".lora_B.weight"},
	{".lora.down.weight", ".lora.up.weight"},
	{".lora_linear_layer.down.weight", ".lora_linear_layer.up.weight"},
}

// unsupportedMarks are tensor name parts of other adapter types.
var unsupportedMarks = map[string]string{
	"hada_w1": "LoHa", "lokr_w1": "LoKr", "lokr_w2": "LoKr", "dora_scale": "DoRA", "lora_mid": "LoCon with a mid (Tucker) weight",
	".diff": "full weight difference", ".diff_b": "full bias difference", "oft_": "OFT", ".w_norm": "GLoRA", "lora_magnitude_vector": "DoRA",
}

func group(names []string) ([]*tensorGroup, error) {
	byBase := map[string]*tensorGroup{}
	var order []string
	for _, n := range names {
		for mark, what := range unsupportedMarks {
			if strings.Contains(n, mark) {
				return nil, fmt.Errorf("%w: %s (tensor %s)", ErrUnsupported, what, n)
			}
		}
		base, role := splitRole(n)
		if role == "" {
			return nil, fmt.Errorf("%w: tensor %s is not a LoRA down, up or alpha weight", ErrUnsupported, n)
		}
		g, ok := byBase[base]
		if !ok {
			g = &tensorGroup{base: base}
			byBase[base] = g
			order = append(order, base)
		}
		switch role {
		case "down":
			g.down = n
		case "up":
			g.up = n
		case "alpha":
			g.alpha = n
		}
	}
	var out []*tensorGroup
	for _, b := range order {
		g := byBase[b]
		if g.down == "" || g.up == "" {
			return nil, fmt.Errorf("module %s: needs both a down and an up weight", b)
		}
		if err := g.locate(); err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, nil
}

func splitRole(n string) (base, role string) {
	for _, l := range layouts {
		if b, ok := strings.CutSuffix(n, l.down); ok {
			return b, "down"
		}
		if b, ok := strings.CutSuffix(n, l.up); ok {
			return b, "up"
		}
	}
	if b, ok := strings.CutSuffix(n, ".alpha"); ok {
		return b, "alpha"
	}
	return "", ""
}

// kohyaPrefixes map kohya module name prefixes to components.
var kohyaPrefixes = [][2]string{
	{"lora_unet_", "unet"}, {"lora_te1_", "text_encoder"}, {"lora_te2_", "text_encoder_2"}, {"lora_te_", "text_encoder"},
}

// peftPrefixes map diffusers/PEFT module path prefixes to components.
var peftPrefixes = [][2]string{
	{"unet.", "unet"}, {"text_encoder_2.", "text_encoder_2"}, {"text_encoder.", "text_encoder"},
}

// locate finds the component and module key of a group.
func (g *tensorGroup) locate() error {
	for _, p := range kohyaPrefixes {
		if k, ok := strings.CutPrefix(g.base, p[0]); ok {
			g.component, g.key, g.kohya = p[1], k, true
			return nil
		}
	}
	base := strings.TrimPrefix(g.base, "base_model.model.")
	for _, p := range peftPrefixes {
		if k, ok := strings.CutPrefix(base, p[0]); ok {
			// Older diffusers attention-processor names: to_q_lora -> to_q.
			k = strings.Replace(k, ".processor.", ".", 1)
			for _, proj := range []string{"to_q", "to_k", "to_v", "to_out"} {
				if strings.HasSuffix(k, "."+proj+"_lora") {
					k = strings.TrimSuffix(k, "_lora")
					if proj == "to_out" {
						k += ".0"
					}
				}
			}
			g.component, g.key = p[1], k
			return nil
		}
	}
	return fmt.Errorf("%w: module %s belongs to no known component (want lora_unet_, lora_te_, unet., text_encoder., ...)", ErrUnsupported, g.base)
}

func (g *tensorGroup) read(src weights.Source, alphas map[string]peftAlpha) (*module, error) {
	di, _ := src.Info(g.down)
	ui, _ := src.Info(g.up)
	if len(di.Shape) < 2 || len(ui.Shape) < 2 || di.Shape[0] != ui.Shape[1] || di.Shape[0] > maxRank || di.Shape[0] <= 0 {
		return nil, fmt.Errorf("module %s: down %v and up %v are not a low-rank pair", g.base, di.Shape, ui.Shape)
	}
	down, err := src.Tensor(g.down)
	if err != nil {
		return nil, err
	}
	up, err := src.Tensor(g.up)
	if err != nil {
		return nil, err
	}
	m := &module{component: g.component, key: g.key, kohya: g.kohya, down: copyDense(down), up: copyDense(up)}
	if g.alpha != "" {
		a, err := src.Tensor(g.alpha)
		if err != nil {
			return nil, err
		}
		if v := tensor.F32(a); len(v) == 1 && v[0] == v[0] && v[0] > 0 && v[0] < 1e6 {
			m.alpha = float64(v[0])
		} else {
			return nil, fmt.Errorf("module %s: alpha %v is not one positive finite value", g.base, v)
		}
	} else if a, ok := alphas[g.component]; ok {
		m.alpha = a.forModule(g.key)
	}
	return m, nil
}

// copyDense copies a tensor out of a file mapping.
func copyDense(t *tensor.Dense) *tensor.Dense {
	return tensor.FromSlice(append([]float32(nil), tensor.F32(t)...), tensor.Shape(t)...)
}

// peftAlpha is a component's LoraConfig alpha settings from diffusers'
// lora_adapter_metadata.
type peftAlpha struct {
	alpha   float64
	pattern map[string]float64
}

func (a peftAlpha) forModule(key string) float64 {
	for k, v := range a.pattern {
		if key == k || strings.HasSuffix(key, "."+k) {
			return v
		}
	}
	return a.alpha
}

func peftAlphas(meta map[string]string) (map[string]peftAlpha, error) {
	raw, ok := meta["lora_adapter_metadata"]
	if !ok {
		return nil, nil
	}
	if len(raw) > 1<<20 {
		return nil, fmt.Errorf("lora_adapter_metadata: %d bytes", len(raw))
	}
	var m map[string]json.RawMessage
	if err := config.Unmarshal([]byte(raw), &m); err != nil { // written by Python's json
		return nil, fmt.Errorf("lora_adapter_metadata: %w", err)
	}
	out := map[string]peftAlpha{}
	for _, p := range peftPrefixes {
		comp := p[1]
		var a peftAlpha
		if v, ok := m[comp+".lora_alpha"]; ok {
			if err := config.Unmarshal(v, &a.alpha); err != nil {
				return nil, fmt.Errorf("lora_adapter_metadata: %s.lora_alpha: %w", comp, err)
			}
			if err := limits.Finite(comp+".lora_alpha", a.alpha); err != nil {
				return nil, fmt.Errorf("lora_adapter_metadata: %w", err)
			}
		}
		if v, ok := m[comp+".alpha_pattern"]; ok {
			if err := config.Unmarshal(v, &a.pattern); err != nil {
				return nil, fmt.Errorf("lora_adapter_metadata: %s.alpha_pattern: %w", comp, err)
			}
		}
		if a.alpha > 0 || len(a.pattern) > 0 {
			out[comp] = a
		}
	}
	return out, nil
}
