package unet

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goautopipe/diffusers/internal/testutil"
	"github.com/goautopipe/diffusers/internal/testutil/weightstest"
	"github.com/goautopipe/diffusers/models/weights"
	"github.com/goautopipe/diffusers/tensor"
)

// TestTimeCondGolden runs the tiny LCM UNet (time_cond_proj_dim 32) with and
// without timestep_cond against diffusers, and checks the guidance-scale
// embedding the LCM pipelines feed it.
func TestTimeCondGolden(t *testing.T) {
	m, err := Load(filepath.Join("..", "..", "testdata", "tiny-lcm", "unet"), weights.OpenOptions{})
	require.NoError(t, err)
	require.NotNil(t, m.TimeCondProj)
	cond, err := m.Config().CondProjDim()
	require.NoError(t, err)
	assert.Equal(t, 32, cond)

	src := weightstest.Open(t, testutil.Golden("unet_tiny_lcm.safetensors"))
	want := weightstest.Tensor(t, src, "timestep_cond")
	emb, err := GuidanceEmbedding(tensor.F32(weightstest.Tensor(t, src, "w")), 32)
	require.NoError(t, err)
	d := testutil.DenseMaxAbsDiff(t, emb, want)
	t.Logf("guidance embedding: max abs err %.3g", d)
	assert.LessOrEqual(t, d, 1e-5)

	ctx := context.Background()
	x, ehs := weightstest.Tensor(t, src, "sample"), weightstest.Tensor(t, src, "encoder_hidden_states")
	ts := []float32{999, 259}
	out, err := m.Forward(ctx, x, ts, ehs, &AddedCond{TimestepCond: want})
	require.NoError(t, err)
	d = testutil.DenseMaxAbsDiff(t, out, weightstest.Tensor(t, src, "out"))
	t.Logf("with timestep_cond: max abs err %.3g", d)
	assert.LessOrEqual(t, d, 1e-4)

	out, err = m.Forward(ctx, x, ts, ehs, nil)
	require.NoError(t, err)
	d = testutil.DenseMaxAbsDiff(t, out, weightstest.Tensor(t, src, "out_nocond"))
	t.Logf("without timestep_cond: max abs err %.3g", d)
	assert.LessOrEqual(t, d, 1e-4)

	_, err = m.Forward(ctx, x, ts, ehs, &AddedCond{TimestepCond: tensor.New(2, 16)})
	assert.Error(t, err, "wrong timestep_cond width")
	_, err = GuidanceEmbedding([]float32{1}, 2)
	assert.Error(t, err)
}

func TestTimeCondRejected(t *testing.T) {
	m, err := Load(filepath.Join("..", "..", "testdata", "tiny-sd", "unet"), weights.OpenOptions{})
	require.NoError(t, err)
	_, err = m.Forward(context.Background(), tensor.New(1, 4, 8, 8), []float32{1}, tensor.New(1, 7, 32), &AddedCond{TimestepCond: tensor.New(1, 32)})
	assert.Error(t, err, "timestep_cond on a model without time_cond_proj_dim")
	c := m.Config()
	c.TimeCondProjDim = []byte(`-3`)
	_, err = New(c)
	assert.Error(t, err)
}
