package unet

import (
	"encoding/json"
	"fmt"
	"math"

	"github.com/goautopipe/diffusers/models/nn"
	"github.com/goautopipe/diffusers/tensor"
)

// maxTimeCondProjDim bounds time_cond_proj_dim read from a config.
const maxTimeCondProjDim = 1 << 16

// CondProjDim returns the config's time_cond_proj_dim (the width of the
// timestep_cond input of latent consistency models), 0 when absent or null.
func (c Config) CondProjDim() (int, error) {
	if isNull(c.TimeCondProjDim) {
		return 0, nil
	}
	var d int
	if err := json.Unmarshal(c.TimeCondProjDim, &d); err != nil || d <= 0 || d > maxTimeCondProjDim {
		return 0, fmt.Errorf("config key \"time_cond_proj_dim\": want an integer in [1, %d], got %s", maxTimeCondProjDim, string(c.TimeCondProjDim))
	}
	return d, nil
}

// addTimeCond sizes time_embedding.cond_proj, diffusers' projection of
// timestep_cond added to the sinusoidal timestep features.
func (m *Model) addTimeCond() error {
	d, err := m.cfg.CondProjDim()
	if err != nil || d == 0 {
		return err
	}
	m.TimeCondProj = nn.NewLinear(d, m.cfg.BlockOutChannels[0], false)
	return nil
}

// timeInput is the time embedding's input: the sinusoidal features of ts,
// plus the projected timestep_cond when the model has one and it is given.
func (m *Model) timeInput(ts []float32, added *AddedCond) *tensor.Dense {
	t := m.timeProj.Forward(ts)
	if m.TimeCondProj != nil && added != nil && added.TimestepCond != nil {
		tensor.AddInPlace(t, m.TimeCondProj.Forward(added.TimestepCond))
	}
	return t
}

func (m *Model) checkTimeCond(nb int, added *AddedCond) error {
	if added == nil || added.TimestepCond == nil {
		return nil
	}
	if m.TimeCondProj == nil {
		return fmt.Errorf("unet: timestep_cond given, but the model has no time_cond_proj_dim")
	}
	s := added.TimestepCond.Shape()
	if len(s) != 2 || s[0] != nb || s[1] != m.TimeCondProj.In {
		return fmt.Errorf("unet: timestep_cond must be [%d, %d], got shape %v", nb, m.TimeCondProj.In, []int(s))
	}
	return nil
}

// GuidanceEmbedding is diffusers' get_guidance_scale_embedding: the
// sinusoidal embedding [len(w), dim] of 1000*w that latent consistency
// pipelines give as timestep_cond, with w = guidance_scale - 1 per image.
// It is computed in float32 in the reference's operation order.
func GuidanceEmbedding(w []float32, dim int) (*tensor.Dense, error) {
	if dim < 4 || dim > maxTimeCondProjDim {
		return nil, fmt.Errorf("unet: guidance embedding width %d out of range [4, %d]", dim, maxTimeCondProjDim)
	}
	half := dim / 2
	step := float32(math.Log(float64(float32(10000)))) / float32(half-1)
	freq := make([]float32, half)
	for i := range freq {
		freq[i] = float32(math.Exp(float64(float32(i) * -step)))
	}
	out := tensor.New(len(w), dim)
	d := tensor.F32(out)
	for r, g := range w {
		row := d[r*dim : (r+1)*dim]
		g *= 1000
		for i, f := range freq {
			a := float64(g * f)
			row[i] = float32(math.Sin(a))
			row[half+i] = float32(math.Cos(a))
		}
	}
	return out, nil
}
