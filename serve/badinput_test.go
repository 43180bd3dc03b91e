package serve

import (
	"bytes"
	"encoding/base64"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestBadInput(t *testing.T) {
	cfg := testConfig(t, 0) // the door refuses these: no worker needed
	cfg.APIKeys = []string{"secret-key-1", "secret-key-2"}
	cfg.Limits.MaxBodyBytes = 64 << 10
	cfg.Limits.MaxPixels = 128 * 128
	cfg.Limits.MaxImages = 2
	s := startService(t, cfg)
	png64 := base64.StdEncoding.EncodeToString(testPNG(t, 64, 64, gradient))
	png32 := base64.StdEncoding.EncodeToString(testPNG(t, 32, 32, gradient))
	big := base64.StdEncoding.EncodeToString(testPNG(t, 256, 256, gradient))
	key := "secret-key-2"
	tests := []struct {
		name, method, path, body, key string
		code                          int
		msg                           string
	}{
		{"no key", "POST", "/v1/jobs", `{"prompt":"x"}`, "", 401, "missing or wrong API key"},
		{"wrong key", "POST", "/v1/jobs", `{"prompt":"x"}`, "nope-nope-nope", 401, "missing or wrong API key"},
		{"key on A1111", "GET", "/sdapi/v1/sd-models", ``, "", 401, "API key"},
		{"malformed JSON", "POST", "/v1/jobs", `{"prompt":`, key, 400, "malformed JSON body"},
		{"empty body", "POST", "/v1/jobs", ``, key, 400, "empty body"},
		{"trailing data", "POST", "/v1/jobs", `{"prompt":"x"} {}`, key, 400, "data after the object"},
		{"wrong type", "POST", "/v1/jobs", `{"prompt":"x","steps":"ten"}`, key, 400, `field "steps": want a int, got a JSON string`},
		{"oversize body", "POST", "/v1/jobs", `{"prompt":"` + strings.Repeat("a", 70<<10) + `"}`, key, 413, "over the 65536-byte limit"},
		{"no prompt", "POST", "/v1/jobs", `{"steps":2}`, key, 400, "Provide either `prompt` or `prompt_embeds`"},
		{"unknown model", "POST", "/v1/jobs", `{"prompt":"x","model":"../../etc"}`, key, 400, `unknown model "../../etc": this server has tiny`},
		{"unknown task", "POST", "/v1/jobs", `{"prompt":"x","task":"video"}`, key, 400, `unknown task "video"`},
		{"unknown scheduler", "POST", "/v1/jobs", `{"prompt":"x","scheduler":"Magic"}`, key, 400, `unknown scheduler "Magic"`},
		{"negative steps", "POST", "/v1/jobs", `{"prompt":"x","steps":-3}`, key, 400, "`num_inference_steps` has to be a positive integer but is -3"},
		{"too many steps", "POST", "/v1/jobs", `{"prompt":"x","steps":1000}`, key, 400, "steps 1000 is over this server's limit of 60"},
		{"too many images", "POST", "/v1/jobs", `{"prompt":"x","n":3}`, key, 400, "3 images per call is over this server's limit of 2"},
		{"size over limit", "POST", "/v1/jobs", `{"prompt":"x","width":512,"height":512}`, key, 400, "size 512x512 is over this server's limit of 16384 pixels"},
		{"size not /8", "POST", "/v1/jobs", `{"prompt":"x","width":60,"height":64}`, key, 400, "divisible by 8 but are 64 and 60"},
		{"strength", "POST", "/v1/jobs", `{"prompt":"x","strength":1.5}`, key, 400, "strength should in [0.0, 1.0] but is 1.5"},
		{"img2img no image", "POST", "/v1/jobs", `{"prompt":"x","task":"img2img"}`, key, 400, "`image` input cannot be undefined."},
		{"inpaint no mask", "POST", "/v1/jobs", `{"prompt":"x","task":"inpaint","image":"` + png64 + `"}`, key, 400, "`mask_image` input cannot be undefined."},
		{"mask size", "POST", "/v1/jobs", `{"prompt":"x","image":"` + png64 + `","mask":"` + png32 + `"}`, key, 400, "The mask and image should be the same size! mask_image is 32x32, image is 64x64."},
		{"not base64", "POST", "/v1/jobs", `{"prompt":"x","image":"%%%"}`, key, 400, "image: not valid base64"},
		{"not an image", "POST", "/v1/jobs", `{"prompt":"x","image":"aGVsbG8="}`, key, 400, "image: not a PNG or JPEG image"},
		{"input over limit", "POST", "/v1/jobs", `{"prompt":"x","image":"` + big + `"}`, key, 400, "image: 256x256 is over this server's limit"},
		{"no job", "GET", "/v1/jobs/0123456789abcdef01234567", ``, key, 404, "never submitted, or expired"},
		{"bad job id", "GET", "/v1/jobs/..%2f..%2fetc", ``, key, 404, "no job"},
		{"openai size", "POST", "/v1/images/generations", `{"prompt":"x","size":"big"}`, key, 400, `size "big": want WIDTHxHEIGHT`},
		{"openai format", "POST", "/v1/images/generations", `{"prompt":"x","response_format":"gif"}`, key, 400, `response_format "gif"`},
		{"openai n", "POST", "/v1/images/generations", `{"prompt":"x","n":0}`, key, 400, "`num_images_per_prompt` has to be a positive integer but is 0"},
		{"openai edit not multipart", "POST", "/v1/images/edits", `{"prompt":"x"}`, key, 400, "malformed multipart form"},
		{"a1111 type", "POST", "/sdapi/v1/txt2img", `{"prompt":"x","steps":[1]}`, key, 400, `field "steps"`},
		{"a1111 two images", "POST", "/sdapi/v1/img2img", `{"prompt":"x","init_images":["` + png64 + `","` + png64 + `"]}`, key, 400, "one image per call"},
		{"a1111 batch", "POST", "/sdapi/v1/txt2img", `{"prompt":"x","batch_size":2,"n_iter":2}`, key, 400, "4 images per call"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, s.URL()+tt.path, strings.NewReader(tt.body))
			require.NoError(t, err)
			if tt.key != "" {
				req.Header.Set("Authorization", "Bearer "+tt.key)
			}
			res, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			defer res.Body.Close()
			var b bytes.Buffer
			_, _ = b.ReadFrom(res.Body)
			assert.Equal(t, tt.code, res.StatusCode, "body: %s", b.String())
			assert.Contains(t, strings.ReplaceAll(b.String(), `\"`, `"`), tt.msg)
		})
	}
	// The OpenAI edit without an image, as multipart.
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	_ = mw.WriteField("prompt", "x")
	_ = mw.Close()
	req, _ := http.NewRequest("POST", s.URL()+"/v1/images/edits", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+key)
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, http.StatusBadRequest, res.StatusCode)

	// Still serving, and nothing was queued.
	depth, err := s.Queue().Depth(t.Context())
	require.NoError(t, err)
	assert.Zero(t, depth)
	res, err = http.Get(s.URL() + "/healthz")
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, http.StatusOK, res.StatusCode)
}

func TestQueueFull(t *testing.T) {
	cfg := testConfig(t, 0) // no worker: the queue fills
	cfg.Limits.QueueSize = 3
	s := startService(t, cfg)
	for range 3 {
		submitJob(t, s.URL(), map[string]any{"prompt": "x", "steps": 2})
	}
	var v map[string]any
	code, h := call(t, http.MethodPost, s.URL()+"/v1/jobs", map[string]any{"prompt": "x"}, &v)
	assert.Equal(t, http.StatusTooManyRequests, code)
	assert.NotEmpty(t, h.Get("Retry-After"))
	assert.Equal(t, "the job queue is full; retry later", v["error"])
	code, h = call(t, http.MethodPost, s.URL()+"/v1/images/generations", map[string]any{"prompt": "x"}, &v)
	assert.Equal(t, http.StatusTooManyRequests, code)
	assert.NotEmpty(t, h.Get("Retry-After"))
}

// A job the worker cannot run fails max_deliver times and ends on the
// dead-letter subject with its error.
func TestDeadLetter(t *testing.T) {
	cfg := testConfig(t, 1)
	cfg.Limits.MaxDeliver = 2
	s := startService(t, cfg)
	// The front end knows a model this worker has not loaded.
	s.srv.cfg.Models = append(s.srv.cfg.Models, Model{Name: "ghost", Path: "nowhere"})
	id := submitJob(t, s.URL(), map[string]any{"prompt": "x", "model": "ghost", "steps": 2})
	v := waitJob(t, s.URL(), id, 30*time.Second)
	assert.Equal(t, "failed", string(v.State))
	assert.Contains(t, v.Error, `model "ghost" is not loaded by this worker`)
	assert.Equal(t, 2, v.Attempts)
	dead, err := s.Queue().DeadLetters(t.Context())
	require.NoError(t, err)
	require.Len(t, dead, 1)
	assert.Equal(t, id, dead[0].Spec.ID)
	assert.Contains(t, dead[0].Error, "not loaded by this worker")
	depth, err := s.Queue().Depth(t.Context())
	require.NoError(t, err)
	assert.Zero(t, depth)
}
