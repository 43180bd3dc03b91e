package clip

import (
	"fmt"
	"math"
	"path/filepath"
	"strings"

	"github.com/goautopipe/diffusers/models/nn"
	"github.com/goautopipe/diffusers/models/weights"
	"github.com/goautopipe/diffusers/tensor"
)

// TextOutput is what Forward returns, for ids of shape [B, L].
type TextOutput struct {
	// LastHidden is final_layer_norm(last layer output), [B, L, hidden].
	LastHidden *tensor.Dense
	// HiddenStates[0] are the embeddings and HiddenStates[i] the output of
	// encoder layer i (without the final layer norm), as transformers'
	// output_hidden_states; HiddenStates[len-2] is the penultimate state.
	HiddenStates []*tensor.Dense
	// Pooled is LastHidden at the end-of-text position of each row, [B, hidden].
	Pooled *tensor.Dense
	// TextEmbeds is text_projection(Pooled), [B, projection_dim]; nil for CLIPTextModel.
	TextEmbeds *tensor.Dense
}

type embeddings struct {
	Token    *tensor.Dense `st:"token_embedding.weight"`
	Position *tensor.Dense `st:"position_embedding.weight"`

	vocab, positions, dim int
	extra                 []float32 // rows of added tokens (ids vocab...), see WithTokenEmbeddings
}

func (e *embeddings) WeightShapes() map[string][]int {
	return map[string][]int{
		"token_embedding.weight":    {e.vocab, e.dim},
		"position_embedding.weight": {e.positions, e.dim},
	}
}

// HalfWeights implements weights.HalfCapable: the token table may stay in
// float16 or bfloat16 storage (rows are widened as they are looked up).
func (e *embeddings) HalfWeights() []string { return []string{"token_embedding.weight"} }

type attention struct {
	Q   *nn.Linear `st:"q_proj"`
	K   *nn.Linear `st:"k_proj"`
	V   *nn.Linear `st:"v_proj"`
	Out *nn.Linear `st:"out_proj"`
}

type mlp struct {
	FC1 *nn.Linear `st:"fc1"`
	FC2 *nn.Linear `st:"fc2"`
}

type encoderLayer struct {
	SelfAttn attention     `st:"self_attn"`
	Norm1    *nn.LayerNorm `st:"layer_norm1"`
	MLP      mlp           `st:"mlp"`
	Norm2    *nn.LayerNorm `st:"layer_norm2"`
}

type encoder struct {
	Layers []*encoderLayer `st:"layers"`
}

type transformer struct {
	Embeddings     embeddings    `st:"embeddings"`
	Encoder        encoder       `st:"encoder"`
	FinalLayerNorm *nn.LayerNorm `st:"final_layer_norm"`
}

// TextModel is CLIPTextModel, or CLIPTextModelWithProjection when Projection
// is set. Linear weights stay in the checkpoint's [out, in] layout, views
// of a mapped file where it can be (as nn.Linear).
type TextModel struct {
	Text       transformer `st:"text_model"`
	Projection *nn.Linear  `st:"text_projection"`

	cfg    TextConfig
	act    func(*tensor.Dense) *tensor.Dense
	scale  float32
	loaded bool
}

// NewTextModel returns an unloaded model sized from cfg; projection selects
// CLIPTextModelWithProjection.
func NewTextModel(cfg TextConfig, projection bool) (*TextModel, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("clip: %w", err)
	}
	act, _ := activation(cfg.HiddenAct)
	h, eps := cfg.HiddenSize, float32(cfg.LayerNormEps)
	m := &TextModel{cfg: cfg, act: act, scale: float32(math.Pow(float64(h/cfg.NumAttentionHeads), -0.5))}
	m.Text.Embeddings = embeddings{vocab: cfg.VocabSize, positions: cfg.MaxPositionEmbeddings, dim: h}
	m.Text.Encoder.Layers = make([]*encoderLayer, cfg.NumHiddenLayers)
	for i := range m.Text.Encoder.Layers {
		m.Text.Encoder.Layers[i] = &encoderLayer{
			SelfAttn: attention{
				Q: nn.NewLinear(h, h, true), K: nn.NewLinear(h, h, true),
				V: nn.NewLinear(h, h, true), Out: nn.NewLinear(h, h, true),
			},
			Norm1: nn.NewLayerNorm(h, eps, true),
			MLP:   mlp{FC1: nn.NewLinear(h, cfg.IntermediateSize, true), FC2: nn.NewLinear(cfg.IntermediateSize, h, true)},
			Norm2: nn.NewLayerNorm(h, eps, true),
		}
	}
	m.Text.FinalLayerNorm = nn.NewLayerNorm(h, eps, true)
	if projection {
		m.Projection = nn.NewLinear(h, cfg.ProjectionDim, false)
	}
	return m, nil
}

// Config returns the model's configuration.
func (m *TextModel) Config() TextConfig { return m.cfg }

// HasProjection reports whether the model is CLIPTextModelWithProjection.
func (m *TextModel) HasProjection() bool { return m.Projection != nil }

// Load fills the weights from src. Names are the transformers keys
// ("text_model.encoder.layers.0.self_attn.q_proj.weight", "text_projection.weight");
// keys saved without the "text_model." prefix (CLIPTextModel.save_pretrained
// in transformers 5) are accepted too, and the position_ids buffer may be
// present. opts are passed on to weights.Load (e.g. WithPrefix for a
// single-file checkpoint's "cond_stage_model.transformer").
func (m *TextModel) Load(src weights.Source, opts ...weights.Option) error {
	if err := weights.Fill(src, m, textSpec, opts...); err != nil {
		return fmt.Errorf("clip: %w", err)
	}
	return nil
}

// textSpec fills a TextModel (New is set by LoadTextModel).
var textSpec = weights.Spec[*TextModel]{
	Name:     "clip",
	Basename: "model",
	Options:  textOptions,
	Finish:   (*TextModel).prepare,
}

// textOptions allows the position_ids buffer and accepts keys saved without
// the "text_model." prefix.
func textOptions(src weights.Source) []weights.Option {
	opts := []weights.Option{weights.AllowUnused("text_model.embeddings.position_ids")}
	if _, flat := src.Info("embeddings.token_embedding.weight"); !flat {
		return opts
	}
	return append(opts, weights.WithRename(func(n string) string {
		if strings.HasPrefix(n, "text_projection.") {
			return n
		}
		return "text_model." + n
	}))
}

// prepare marks the model loaded; weights.Load has checked every tensor.
func (m *TextModel) prepare() error {
	m.loaded = true
	return nil
}

// LoadTextModel reads dir/config.json and the weights of a transformers
// text encoder folder (model[.variant].safetensors or its sharded index) and
// builds CLIPTextModel or CLIPTextModelWithProjection as "architectures"
// says (when it names neither, by the presence of text_projection.weight).
func LoadTextModel(dir string, o weights.OpenOptions) (*TextModel, error) {
	cfg, err := ReadTextConfig(filepath.Join(dir, "config.json"))
	if err != nil {
		return nil, err
	}
	proj, known := cfg.WithProjection()
	if !known && len(cfg.Architectures) > 0 {
		return nil, fmt.Errorf("clip: %s: unsupported architectures %v (want %s or %s)", dir, cfg.Architectures,
			ArchTextModel, ArchTextModelWithProjection)
	}
	s := textSpec
	s.New = func(src weights.Source) (*TextModel, error) {
		if !known {
			_, proj = src.Info("text_projection.weight")
		}
		return NewTextModel(cfg, proj)
	}
	return weights.LoadModel(dir, o, s)
}
