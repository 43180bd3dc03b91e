package panics

import (
	"errors"
	"io"
	"runtime"
	"strings"
	"sync"
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

func run(stage string, f func()) (err error) {
	defer Recover(&err, stage)
	f()
	return nil
}

func TestRecover(t *testing.T) {
	var nilMap map[string]int
	cases := []struct {
		name, want string
		f          func()
	}{
		{"string", "internal error in load: boom", func() { panic("boom") }},
		{"multi-line value", "internal error in load: a b", func() { panic("a\n\tb") }},
		{"runtime error", "internal error in load: assignment to entry in nil map", func() { nilMap["x"] = 1 }},
		{"long value", "internal error in load: " + strings.Repeat("x", 200) + "...", func() { panic(strings.Repeat("x", 5000)) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := run("load", tc.f)
			require.Error(t, err)
			assert.Equal(t, tc.want, err.Error())
			assert.NotContains(t, err.Error(), "goroutine")
			assert.ErrorIs(t, err, ErrInternal)
			var pe *Error
			require.True(t, errors.As(err, &pe))
			assert.Contains(t, string(pe.Stack()), "goroutine")
			assert.Contains(t, string(pe.Stack()), "panics_test.go")
		})
	}
	var re runtime.Error
	assert.True(t, errors.As(run("x", func() { nilMap["x"] = 1 }), &re))
	assert.NoError(t, run("x", func() {}))
}

func TestRelay(t *testing.T) {
	err := run("generate", func() {
		var r Relay
		var wg sync.WaitGroup
		for i := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer r.Catch()
				if i == 2 {
					panic("worker failed")
				}
			}()
		}
		wg.Wait()
		r.Raise()
	})
	require.Error(t, err)
	assert.Equal(t, "internal error in generate: worker failed", err.Error())
	var pe *Error
	require.True(t, errors.As(err, &pe))
	assert.Contains(t, string(pe.Stack()), "TestRelay", "the worker's stack is kept")
}
