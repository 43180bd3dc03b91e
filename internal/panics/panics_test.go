package panics

import (
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func boom(v any) (err error) {
	defer Recover(&err, "unet")
	panic(v)
}

func TestRecoverIsShortWithStackAside(t *testing.T) {
	err := boom("index out of range [3] with length 2")
	require.Error(t, err)
	assert.Equal(t, "internal error in unet: index out of range [3] with length 2", err.Error())
	assert.NotContains(t, err.Error(), "goroutine")
	var pe *Error
	require.True(t, errors.As(err, &pe))
	assert.True(t, strings.Contains(string(pe.Stack()), "boom"), "stack names the panicking function")
	assert.ErrorIs(t, boom(io.ErrUnexpectedEOF), io.ErrUnexpectedEOF)
}
