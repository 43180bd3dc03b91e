package safety

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"path/filepath"

	"github.com/goautopipe/diffusers/internal/config"
	"github.com/goautopipe/diffusers/models/nn"
	"github.com/goautopipe/diffusers/models/weights"
	"github.com/goautopipe/diffusers/tensor"
)

// VisionConfig is the vision_config of the checker's CLIPConfig.
type VisionConfig struct {
	HiddenSize        int     `json:"hidden_size"`
	IntermediateSize  int     `json:"intermediate_size"`
	NumHiddenLayers   int     `json:"num_hidden_layers"`
	NumAttentionHeads int     `json:"num_attention_heads"`
	ImageSize         int     `json:"image_size"`
	PatchSize         int     `json:"patch_size"`
	NumChannels       int     `json:"num_channels"`
	HiddenAct         string  `json:"hidden_act"`
	LayerNormEps      float64 `json:"layer_norm_eps"`
}

// Config is the checker's config.json (a transformers CLIPConfig).
type Config struct {
	ProjectionDim int          `json:"projection_dim"`
	Vision        VisionConfig `json:"vision_config"`
}

type vembeddings struct {
	Class    *tensor.Dense `st:"class_embedding"`
	Patch    *nn.Conv2D    `st:"patch_embedding"`
	Position *tensor.Dense `st:"position_embedding.weight"`
	hidden   int
	patches  int
}

func (e *vembeddings) WeightShapes() map[string][]int {
	return map[string][]int{"class_embedding": {e.hidden}, "position_embedding.weight": {e.patches + 1, e.hidden}}
}

type vattention struct {
	Q   *nn.Linear `st:"q_proj"`
	K   *nn.Linear `st:"k_proj"`
	V   *nn.Linear `st:"v_proj"`
	Out *nn.Linear `st:"out_proj"`
}

type vlayer struct {
	SelfAttn vattention    `st:"self_attn"`
	Norm1    *nn.LayerNorm `st:"layer_norm1"`
	FC1      *nn.Linear    `st:"mlp.fc1"`
	FC2      *nn.Linear    `st:"mlp.fc2"`
	Norm2    *nn.LayerNorm `st:"layer_norm2"`
}

type vision struct {
	Embeddings vembeddings   `st:"embeddings"`
	PreLN      *nn.LayerNorm `st:"pre_layrnorm"`
	Layers     []*vlayer     `st:"encoder.layers"`
	PostLN     *nn.LayerNorm `st:"post_layernorm"`
}

// Checker is StableDiffusionSafetyChecker.
type Checker struct {
	Vision            vision        `st:"vision_model"`
	Projection        *nn.Linear    `st:"visual_projection"`
	ConceptEmbeds     *tensor.Dense `st:"concept_embeds"`
	SpecialEmbeds     *tensor.Dense `st:"special_care_embeds"`
	ConceptThresholds *tensor.Dense `st:"concept_embeds_weights"`
	SpecialThresholds *tensor.Dense `st:"special_care_embeds_weights"`
	cfg               Config
	act               func(*tensor.Dense) *tensor.Dense
	scale             float32
}

// WeightShapes implements weights.Shaper for the concept tensors (their
// counts come from the file).
func (c *Checker) WeightShapes() map[string][]int { return nil }

// Load reads dir/config.json and dir/model[.variant].safetensors.
func Load(dir string, o weights.OpenOptions) (*Checker, error) {
	path := filepath.Join(dir, "config.json")
	cfg, err := readConfig(path)
	if err != nil {
		return nil, err
	}
	return weights.LoadModel(dir, o, weights.Spec[*Checker]{
		Name:     "safety",
		Basename: "model",
		New:      func(weights.Source) (*Checker, error) { return newChecker(cfg, path) },
		Options: func(weights.Source) []weights.Option {
			return []weights.Option{weights.AllowUnused("vision_model.embeddings.position_ids")}
		},
		Finish: (*Checker).checkConcepts,
	})
}

// readConfig reads the checker's config.json, fills transformers' vision
// defaults and validates the sizes.
func readConfig(path string) (Config, error) {
	var cfg Config
	if err := config.ReadJSON(path, &cfg); err != nil {
		return Config{}, fmt.Errorf("safety: %w", err)
	}
	v := &cfg.Vision
	v.NumChannels = cmp.Or(v.NumChannels, 3)
	v.LayerNormEps = cmp.Or(v.LayerNormEps, 1e-5)
	v.HiddenAct = cmp.Or(v.HiddenAct, "quick_gelu")
	if err := cfg.checkBounds(); err != nil {
		return Config{}, fmt.Errorf("safety: %s: %w", path, err)
	}
	if v.HiddenSize <= 0 || v.NumAttentionHeads <= 0 || v.HiddenSize%v.NumAttentionHeads != 0 || v.PatchSize <= 0 || v.ImageSize%v.PatchSize != 0 || cfg.ProjectionDim <= 0 {
		return Config{}, fmt.Errorf("safety: %s: invalid vision_config (hidden_size %d, heads %d, image_size %d, patch_size %d, projection_dim %d)",
			path, v.HiddenSize, v.NumAttentionHeads, v.ImageSize, v.PatchSize, cfg.ProjectionDim)
	}
	return cfg, nil
}

// activations are the vision tower's supported hidden_act values.
var activations = map[string]func(*tensor.Dense) *tensor.Dense{
	"quick_gelu": tensor.QuickGELU,
	"gelu":       tensor.GELU,
}

// newChecker returns an unloaded checker sized from cfg (read from path).
func newChecker(cfg Config, path string) (*Checker, error) {
	v := cfg.Vision
	act, ok := activations[v.HiddenAct]
	if !ok {
		return nil, fmt.Errorf("safety: %s: unsupported hidden_act %q", path, v.HiddenAct)
	}
	c := &Checker{cfg: cfg, act: act, scale: float32(math.Pow(float64(v.HiddenSize/v.NumAttentionHeads), -0.5))}
	h, eps := v.HiddenSize, float32(v.LayerNormEps)
	n := v.ImageSize / v.PatchSize
	c.Vision.Embeddings = vembeddings{hidden: h, patches: n * n, Patch: nn.NewConv2DOpts(v.NumChannels, h, v.PatchSize, v.PatchSize, 0, false)}
	c.Vision.PreLN = nn.NewLayerNorm(h, eps, true)
	c.Vision.PostLN = nn.NewLayerNorm(h, eps, true)
	c.Vision.Layers = make([]*vlayer, v.NumHiddenLayers)
	for i := range c.Vision.Layers {
		c.Vision.Layers[i] = &vlayer{
			SelfAttn: vattention{Q: nn.NewLinear(h, h, true), K: nn.NewLinear(h, h, true), V: nn.NewLinear(h, h, true), Out: nn.NewLinear(h, h, true)},
			Norm1:    nn.NewLayerNorm(h, eps, true), Norm2: nn.NewLayerNorm(h, eps, true),
			FC1: nn.NewLinear(h, v.IntermediateSize, true), FC2: nn.NewLinear(v.IntermediateSize, h, true),
		}
	}
	c.Projection = nn.NewLinear(h, cfg.ProjectionDim, false)
	return c, nil
}

// checkConcepts checks the concept tensors, whose counts come from the file,
// against projection_dim and each other.
func (c *Checker) checkConcepts() error {
	ce, se := c.ConceptEmbeds.Shape(), c.SpecialEmbeds.Shape()
	if len(ce) != 2 || ce[1] != c.cfg.ProjectionDim || len(se) != 2 || se[1] != c.cfg.ProjectionDim ||
		c.ConceptThresholds.Shape().TotalSize() != ce[0] || c.SpecialThresholds.Shape().TotalSize() != se[0] {
		return fmt.Errorf("concept tensors do not match projection_dim %d", c.cfg.ProjectionDim)
	}
	return nil
}

// embed runs the vision tower and returns the projected image embeddings [N, proj].
func (c *Checker) embed(ctx context.Context, px *tensor.Dense) (*tensor.Dense, error) {
	v := c.cfg.Vision
	sh := px.Shape()
	if len(sh) != 4 || sh[1] != v.NumChannels || sh[2] != v.ImageSize || sh[3] != v.ImageSize {
		return nil, fmt.Errorf("safety: pixel values have shape %v, want [N,%d,%d,%d]", sh, v.NumChannels, v.ImageSize, v.ImageSize)
	}
	n, hdim := sh[0], v.HiddenSize
	patches := tensor.Conv2D(px, c.Vision.Embeddings.Patch.Weight, nil, v.PatchSize, 0) // [N,h,g,g]
	np := c.Vision.Embeddings.patches
	tokens := tensor.Permute(tensor.Reshape(patches, n, hdim, np), 0, 2, 1) // [N,np,h]
	x := tensor.New(n, np+1, hdim)
	xd, td := tensor.F32(x), tensor.F32(tokens)
	cls, pos := tensor.F32(c.Vision.Embeddings.Class), tensor.F32(c.Vision.Embeddings.Position)
	for b := 0; b < n; b++ {
		for t := 0; t <= np; t++ {
			dst := xd[(b*(np+1)+t)*hdim : (b*(np+1)+t+1)*hdim]
			for j := range dst {
				e := cls[j]
				if t > 0 {
					e = td[(b*np+t-1)*hdim+j]
				}
				dst[j] = e + pos[t*hdim+j]
			}
		}
	}
	h := c.Vision.PreLN.Forward(x)
	for i, l := range c.Vision.Layers {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("safety: layer %d: %w", i, err)
		}
		y := l.Norm1.Forward(h)
		a := l.SelfAttn
		att := tensor.Attention(a.Q.Forward(y), a.K.Forward(y), a.V.Forward(y), v.NumAttentionHeads, c.scale, false)
		h = tensor.Add(h, a.Out.Forward(att))
		y = l.Norm2.Forward(h)
		h = tensor.Add(h, l.FC2.Forward(c.act(l.FC1.Forward(y))))
	}
	// pooled output: post_layernorm of the class token
	cls0 := tensor.New(n, hdim)
	hd, cd := tensor.F32(h), tensor.F32(cls0)
	for b := 0; b < n; b++ {
		copy(cd[b*hdim:(b+1)*hdim], hd[b*(np+1)*hdim:])
	}
	return c.Projection.Forward(c.Vision.PostLN.Forward(cls0)), nil
}

// Flags reports, per image, whether a concept's cosine similarity passes
// its threshold, with diffusers' rule: scores rounded to 3 decimals, and a
// 0.01 adjustment once a "special care" concept is hit.
func (c *Checker) Flags(ctx context.Context, px *tensor.Dense) ([]bool, error) {
	emb, err := c.embed(ctx, px)
	if err != nil {
		return nil, err
	}
	n := emb.Shape()[0]
	special := cosine(emb, c.SpecialEmbeds)
	concept := cosine(emb, c.ConceptEmbeds)
	st, ct := tensor.F32(c.SpecialThresholds), tensor.F32(c.ConceptThresholds)
	out := make([]bool, n)
	for b := 0; b < n; b++ {
		adj := 0.0
		for k, th := range st {
			if round3(float64(special[b][k])-float64(th)+adj) > 0 {
				adj = 0.01
			}
		}
		for k, th := range ct {
			if round3(float64(concept[b][k])-float64(th)+adj) > 0 {
				out[b] = true
			}
		}
	}
	return out, nil
}

func round3(x float64) float64 { return math.RoundToEven(x*1000) / 1000 }

// cosine returns normalize(a) · normalize(b)ᵀ as rows of float32.
func cosine(a, b *tensor.Dense) [][]float32 {
	na, nb := normalize(a), normalize(b)
	m := tensor.MatMul(na, nb, false, true)
	rows := m.Shape()[0]
	cols := m.Shape()[1]
	d := tensor.F32(m)
	out := make([][]float32, rows)
	for i := range out {
		out[i] = d[i*cols : (i+1)*cols]
	}
	return out
}

// normalize is F.normalize(x, dim=-1) (eps 1e-12).
func normalize(x *tensor.Dense) *tensor.Dense {
	sh := x.Shape()
	out := tensor.Clone(x)
	d := tensor.F32(out)
	k := sh[len(sh)-1]
	for i := 0; i < len(d); i += k {
		var s float64
		for _, v := range d[i : i+k] {
			s += float64(v) * float64(v)
		}
		nrm := float32(math.Max(math.Sqrt(s), 1e-12))
		for j := range d[i : i+k] {
			d[i+j] /= nrm
		}
	}
	return out
}
