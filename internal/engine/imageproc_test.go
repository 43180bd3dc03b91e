package engine

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestPostprocessRounding(t *testing.T) {
	// 0.5 -> 127.5 rounds to even (128), as numpy's round does.
	require.Equal(t, uint8(128), ToUint8(0.5))
	require.Equal(t, uint8(0), ToUint8(-3))
	require.Equal(t, uint8(255), ToUint8(1.5))
}
