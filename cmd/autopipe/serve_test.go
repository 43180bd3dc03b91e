package main

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestServeUsage(t *testing.T) {
	for _, tt := range []struct {
		args []string
		msg  string
	}{
		{[]string{"serve"}, "give --model <folder|org/name> or --config models.yaml"},
		{[]string{"serve", "--model", td + "tiny-sd", "--log-level", "loud"}, `--log-level "loud"`},
		{[]string{"worker", "--model", td + "tiny-sd"}, "give --nats nats://host:4222"},
		{[]string{"serve", "--config", "/nonexistent.yaml"}, "serve: config"},
	} {
		code, _, stderr := autopipe(t, tt.args...)
		assert.NotEqual(t, exitOK, code, tt.args)
		assert.Contains(t, stderr, tt.msg, tt.args)
	}
}

func TestServeCommand(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	var stderr strings.Builder
	go func() {
		done <- run(ctx, []string{"serve", "--model", td + "tiny-sd", "--listen", addr, "--data-dir", t.TempDir(),
			"--max-steps", "8", "--stop-timeout", "10s"}, &strings.Builder{}, &stderr)
	}()
	url := "http://" + addr
	require.Eventually(t, func() bool {
		res, err := http.Get(url + "/readyz")
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == http.StatusOK
	}, 30*time.Second, 50*time.Millisecond)

	res, err := http.Post(url+"/sdapi/v1/txt2img", "application/json", strings.NewReader(`{"prompt":"a cat","steps":2,"seed":1}`))
	require.NoError(t, err)
	var out struct {
		Images []string `json:"images"`
		Info   string   `json:"info"`
	}
	require.NoError(t, json.NewDecoder(res.Body).Decode(&out))
	res.Body.Close()
	require.Len(t, out.Images, 1)
	assert.Contains(t, out.Info, `"sd_model_name":"tiny-sd"`) // named after the folder
	res, err = http.Post(url+"/sdapi/v1/txt2img", "application/json", strings.NewReader(`{"prompt":"a cat","steps":9}`))
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, http.StatusBadRequest, res.StatusCode, "--max-steps applies")

	cancel()
	select {
	case code := <-done:
		assert.Equal(t, exitOK, code, stderr.String())
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop")
	}
	assert.Contains(t, stderr.String(), `"msg":"shutting down"`)
}
