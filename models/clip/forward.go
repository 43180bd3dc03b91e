package clip

import (
	"context"
	"fmt"

	"github.com/goautopipe/diffusers/tensor"
)

// activation maps config.json's hidden_act to a tensor function.
func activation(name string) (func(*tensor.Dense) *tensor.Dense, error) {
	switch name {
	case "quick_gelu":
		return tensor.QuickGELU, nil
	case "gelu":
		return tensor.GELU, nil
	case "gelu_new", "gelu_pytorch_tanh":
		return tensor.GELUTanh, nil
	}
	return nil, fmt.Errorf("unsupported hidden_act %q (want quick_gelu, gelu, gelu_new or gelu_pytorch_tanh)", name)
}

// Forward encodes a batch of token id rows, all of the same length L
// (1 <= L <= max_position_embeddings). It checks ctx before every layer.
// A loaded model may run several Forward calls at once.
func (m *TextModel) Forward(ctx context.Context, ids [][]int) (*TextOutput, error) {
	if !m.loaded {
		return nil, fmt.Errorf("clip: forward: model weights not loaded")
	}
	if err := m.checkIDs(ids); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	h := m.embed(ids) // [B, L, hidden]
	out := &TextOutput{HiddenStates: make([]*tensor.Dense, 0, len(m.Text.Encoder.Layers)+1)}
	out.HiddenStates = append(out.HiddenStates, h)
	for i, l := range m.Text.Encoder.Layers {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("clip: layer %d: %w", i, err)
		}
		h = m.layer(l, h)
		out.HiddenStates = append(out.HiddenStates, h)
	}
	out.LastHidden = m.Text.FinalLayerNorm.Forward(h)
	out.Pooled = m.pool(out.LastHidden, ids) // [B, hidden]
	if m.Projection != nil {
		out.TextEmbeds = m.Projection.Forward(out.Pooled) // [B, projection_dim]
	}
	return out, nil
}

func (m *TextModel) checkIDs(ids [][]int) error {
	if len(ids) == 0 || len(ids[0]) == 0 {
		return fmt.Errorf("clip: forward: empty batch")
	}
	n := len(ids[0])
	if n > m.cfg.MaxPositionEmbeddings {
		return fmt.Errorf("clip: forward: %d tokens exceed max_position_embeddings %d", n, m.cfg.MaxPositionEmbeddings)
	}
	for b, row := range ids {
		if len(row) != n {
			return fmt.Errorf("clip: forward: row %d has %d tokens, row 0 has %d", b, len(row), n)
		}
		for i, id := range row {
			if id < 0 || id >= m.cfg.VocabSize {
				return fmt.Errorf("clip: forward: row %d position %d: token id %d outside the vocabulary (%d)", b, i, id, m.cfg.VocabSize)
			}
		}
	}
	return nil
}

// embed returns token + position embeddings, [B, L, hidden].
func (m *TextModel) embed(ids [][]int) *tensor.Dense {
	d := m.cfg.HiddenSize
	b, n := len(ids), len(ids[0])
	out := tensor.New(b, n, d)
	o := tensor.F32(out)
	pos := tensor.F32(m.Text.Embeddings.Position)
	buf := make([]float32, d)
	for bi, row := range ids {
		for i, id := range row {
			dst := o[(bi*n+i)*d : (bi*n+i+1)*d]
			t, p := m.Text.Embeddings.tokenRow(id, d, buf), pos[i*d:(i+1)*d]
			for j := range dst {
				dst[j] = t[j] + p[j]
			}
		}
	}
	return out
}

// layer is one pre-LN encoder layer with causal self-attention.
// Both returned states are kept as hidden states; the intermediates go
// back to the buffer pool.
func (m *TextModel) layer(l *encoderLayer, h *tensor.Dense) *tensor.Dense {
	x := l.Norm1.Forward(h)
	a := l.SelfAttn
	q, k, v := a.Q.Forward(x), a.K.Forward(x), a.V.Forward(x)
	att := tensor.Attention(q, k, v, m.cfg.NumAttentionHeads, m.scale, true) // [B, L, hidden]
	tensor.Recycle(x, q, k, v)
	o := a.Out.Forward(att)
	h = tensor.Add(h, o)
	tensor.Recycle(att, o)
	x = l.Norm2.Forward(h)
	x = tensor.Replace(x, l.MLP.FC1.Forward(x)) // [B, L, intermediate_size]
	x = tensor.Replace(x, m.act(x))             // new, or x itself
	x = tensor.Replace(x, l.MLP.FC2.Forward(x)) // [B, L, hidden]
	return tensor.AddInPlace(x, h)
}

// pool picks, per row, the hidden state at the end-of-text position:
// transformers' rule is the first maximum id when eos_token_id == 2 (legacy
// configs), else the first position holding eos_token_id (0 when absent).
func (m *TextModel) pool(last *tensor.Dense, ids [][]int) *tensor.Dense {
	d := m.cfg.HiddenSize
	n := len(ids[0])
	eos := m.cfg.eos()
	out := tensor.New(len(ids), d)
	src, dst := tensor.F32(last), tensor.F32(out)
	for b, row := range ids {
		p := 0
		for i, id := range row {
			if eos == 2 {
				if id > row[p] {
					p = i
				}
			} else if id == eos {
				p = i
				break
			}
		}
		copy(dst[b*d:(b+1)*d], src[(b*n+p)*d:(b*n+p+1)*d])
	}
	return out
}
