package main

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/goautopipe/diffusers/tensor"
)

func TestScratchLimitFromEnvironment(t *testing.T) {
	defer tensor.SetScratchLimit(tensor.DefaultScratchLimit)
	t.Setenv("AUTOPIPE_SCRATCH_MIB", " 64 ")
	require.NoError(t, setScratchLimit())
	require.Equal(t, int64(64<<20), tensor.SetScratchLimit(tensor.DefaultScratchLimit))

	t.Setenv("AUTOPIPE_SCRATCH_MIB", "0")
	require.NoError(t, setScratchLimit())
	require.Zero(t, tensor.SetScratchLimit(tensor.DefaultScratchLimit), "0 keeps nothing")

	t.Setenv("AUTOPIPE_SCRATCH_MIB", "")
	require.NoError(t, setScratchLimit(), "empty is unset")
	require.Equal(t, int64(tensor.DefaultScratchLimit), tensor.SetScratchLimit(tensor.DefaultScratchLimit))

	for _, bad := range []string{"lots", "-1", "1.5", "1048577", "99999999999999999999"} {
		t.Setenv("AUTOPIPE_SCRATCH_MIB", bad)
		require.ErrorContains(t, setScratchLimit(), "AUTOPIPE_SCRATCH_MIB", "%q", bad)
		require.Equal(t, int64(tensor.DefaultScratchLimit), tensor.SetScratchLimit(tensor.DefaultScratchLimit), "%q leaves the limit", bad)
	}
}
