package weightstest

import (
	"testing"

	"github.com/goautopipe/diffusers/internal/testutil"
	"github.com/goautopipe/diffusers/tensor"
	"github.com/stretchr/testify/require"
)

func TestOpenAndTensor(t *testing.T) {
	src := Open(t, testutil.Golden("ops_nn.safetensors"))
	want := testutil.LoadSafetensors(t, testutil.Golden("ops_nn.safetensors"))["act.x"]
	got := Tensor(t, src, "act.x")
	require.Equal(t, want.Shape, tensor.Shape(got))
	testutil.RequireSameBits(t, want.Data, tensor.F32(got))
}
