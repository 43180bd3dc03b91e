package serve

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goautopipe/diffusers/autopipeline"
	"github.com/goautopipe/diffusers/serve/queue"
)

// sharedService is one embedded-NATS service with a local worker, shared by
// the API tests.
func sharedService(t *testing.T) *Service {
	t.Helper()
	return startService(t, testConfig(t, 1))
}

// pngOf decodes PNG bytes and returns the image and its parameters text.
func pngOf(t *testing.T, b []byte) (image.Image, string) {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	require.NoError(t, err)
	text, err := autopipeline.ReadPNGText(bytes.NewReader(b))
	require.NoError(t, err)
	return img, text["parameters"]
}

func testPNG(t *testing.T, w, h int, fill func(x, y int) color.Color) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, fill(x, y))
		}
	}
	var buf bytes.Buffer
	require.NoError(t, png.Encode(&buf, img))
	return buf.Bytes()
}

func gradient(x, y int) color.Color { return color.NRGBA{uint8(x * 4), uint8(y * 4), 128, 255} }

func TestNativeJobWithEvents(t *testing.T) {
	s := sharedService(t)
	id := submitJob(t, s.URL(), map[string]any{"prompt": "a red cube", "steps": 12, "seed": 7, "scheduler": "Euler"})

	res, err := http.Get(s.URL() + "/v1/jobs/" + id + "/events")
	require.NoError(t, err)
	defer res.Body.Close()
	require.Equal(t, "text/event-stream", res.Header.Get("Content-Type"))
	var steps []queue.Progress
	var final jobView
	sc := bufio.NewScanner(res.Body)
	event := ""
	for sc.Scan() {
		line := sc.Text()
		if e, ok := strings.CutPrefix(line, "event: "); ok {
			event = e
		}
		data, ok := strings.CutPrefix(line, "data: ")
		if !ok {
			continue
		}
		switch event {
		case "progress":
			var p queue.Progress
			require.NoError(t, json.Unmarshal([]byte(data), &p))
			steps = append(steps, p)
		case "status":
			require.NoError(t, json.Unmarshal([]byte(data), &final))
		}
	}
	require.Equal(t, queue.Done, final.State, "error: %s", final.Error)
	require.NotEmpty(t, steps, "no progress events")
	last := steps[len(steps)-1]
	assert.Equal(t, 12, last.Total)
	assert.Equal(t, 12, last.Step)
	require.Equal(t, []string{"/v1/jobs/" + id + "/images/0"}, final.Images)

	res2, err := http.Get(s.URL() + final.Images[0])
	require.NoError(t, err)
	body, _ := io.ReadAll(res2.Body)
	res2.Body.Close()
	img, params := pngOf(t, body)
	assert.Equal(t, image.Rect(0, 0, 64, 64), img.Bounds())
	assert.Equal(t, "a red cube\nSteps: 12, Sampler: Euler, CFG scale: 7.5, Seed: 7, Size: 64x64, Model: tiny", params)
	assert.Equal(t, []string{params}, final.Info)

	// Same seed, same image: the job ran the library call it describes.
	p, err := autopipeline.Text2Image.FromPretrained(context.Background(), tinySD, autopipeline.WithScheduler("EulerDiscreteScheduler"))
	require.NoError(t, err)
	out, err := p.Generate(context.Background(), autopipeline.Request{Prompt: "a red cube", NumInferenceSteps: 12, Seed: 7})
	require.NoError(t, err)
	want, err := autopipeline.ToRGB(out.Images[0])
	require.NoError(t, err)
	got, err := autopipeline.ToRGB(img)
	require.NoError(t, err)
	assert.Equal(t, want.Pix, got.Pix)
}

func TestCancelQueuedJob(t *testing.T) {
	s := startService(t, testConfig(t, 0)) // no worker: jobs stay queued
	id := submitJob(t, s.URL(), map[string]any{"prompt": "x", "steps": 2})
	var v jobView
	code, _ := call(t, http.MethodDelete, s.URL()+"/v1/jobs/"+id, nil, &v)
	require.Equal(t, http.StatusOK, code)
	assert.Equal(t, queue.Cancelled, v.State)
	code, _ = call(t, http.MethodGet, s.URL()+"/v1/jobs/"+id, nil, &v)
	require.Equal(t, http.StatusOK, code)
	assert.Equal(t, queue.Cancelled, v.State)
}

func TestCancelRunningJob(t *testing.T) {
	s := sharedService(t)
	id := submitJob(t, s.URL(), map[string]any{"prompt": "x", "steps": 60})
	require.Eventually(t, func() bool { _, ok := s.srv.lastProgress(id); return ok }, 20*time.Second, 10*time.Millisecond)
	code, _ := call(t, http.MethodDelete, s.URL()+"/v1/jobs/"+id, nil, nil)
	require.Equal(t, http.StatusOK, code)
	v := waitJob(t, s.URL(), id, 20*time.Second)
	assert.Equal(t, queue.Cancelled, v.State)
	assert.Less(t, v.Step, 60)
}

func TestOpenAIClient(t *testing.T) {
	s := sharedService(t)
	client := openai.NewClient(option.WithBaseURL(s.URL()+"/v1/"), option.WithAPIKey("unused"), option.WithMaxRetries(0))
	ctx := context.Background()

	models, err := client.Models.List(ctx)
	require.NoError(t, err)
	require.Len(t, models.Data, 1)
	assert.Equal(t, "tiny", models.Data[0].ID)

	gen, err := client.Images.Generate(ctx, openai.ImageGenerateParams{
		Prompt: "a lighthouse", Model: "tiny", N: openai.Int(2), Size: "64x64",
		ResponseFormat: openai.ImageGenerateParamsResponseFormatB64JSON,
	})
	require.NoError(t, err)
	require.Len(t, gen.Data, 2)
	for _, d := range gen.Data {
		b, err := base64.StdEncoding.DecodeString(d.B64JSON)
		require.NoError(t, err)
		img, params := pngOf(t, b)
		assert.Equal(t, 64, img.Bounds().Dx())
		assert.Contains(t, params, "a lighthouse\nSteps: 4, Sampler: PLMS") // the model's configured default
	}

	// Edit with OpenAI's mask convention: the transparent half is repainted.
	src := testPNG(t, 64, 64, gradient)
	mask := testPNG(t, 64, 64, func(x, _ int) color.Color {
		if x < 32 {
			return color.NRGBA{0, 0, 0, 0}
		}
		return color.NRGBA{0, 0, 0, 255}
	})
	edit, err := client.Images.Edit(ctx, openai.ImageEditParams{
		Image:  openai.ImageEditParamsImageUnion{OfFile: openai.File(bytes.NewReader(src), "in.png", "image/png")},
		Mask:   openai.File(bytes.NewReader(mask), "mask.png", "image/png"),
		Prompt: "a boat", Model: "tiny", Size: "64x64",
		ResponseFormat: openai.ImageEditParamsResponseFormatB64JSON,
	})
	require.NoError(t, err)
	require.Len(t, edit.Data, 1)
	b, err := base64.StdEncoding.DecodeString(edit.Data[0].B64JSON)
	require.NoError(t, err)
	out, params := pngOf(t, b)
	assert.Contains(t, params, "a boat\n")
	assert.Contains(t, params, "Denoising strength: 1")
	// The kept (opaque) half stays close to the input; the repainted one not.
	in, err := png.Decode(bytes.NewReader(src))
	require.NoError(t, err)
	assert.Less(t, meanDiff(in, out, 40, 64), meanDiff(in, out, 0, 24))

	// An API error comes back in OpenAI's shape, which the client reads.
	_, err = client.Images.Generate(ctx, openai.ImageGenerateParams{Prompt: "x", Model: "nope"})
	var apiErr *openai.Error
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, http.StatusBadRequest, apiErr.StatusCode)
	assert.Contains(t, apiErr.Message, `unknown model "nope": this server has tiny`)
}

// meanDiff is the mean absolute channel difference over columns [x0, x1).
func meanDiff(a, b image.Image, x0, x1 int) float64 {
	var sum, n float64
	for y := 0; y < a.Bounds().Dy(); y++ {
		for x := x0; x < x1; x++ {
			r1, g1, b1, _ := a.At(x, y).RGBA()
			r2, g2, b2, _ := b.At(x, y).RGBA()
			for _, d := range [][2]uint32{{r1, r2}, {g1, g2}, {b1, b2}} {
				sum += abs(float64(d[0]>>8) - float64(d[1]>>8))
				n++
			}
		}
	}
	return sum / n
}

func abs(f float64) float64 {
	if f < 0 {
		return -f
	}
	return f
}

func TestA1111RoundTrip(t *testing.T) {
	s := sharedService(t)
	// The body a typical A1111 client sends (extra fields included).
	body := `{"prompt": "a castle", "negative_prompt": "blurry", "styles": [], "seed": 1234, "subseed": -1,
	  "sampler_name": "DPM++ 2M", "batch_size": 1, "n_iter": 1, "steps": 6, "cfg_scale": 6.5,
	  "width": 64, "height": 64, "restore_faces": false, "tiling": false, "send_images": true, "save_images": false,
	  "override_settings": {"sd_model_checkpoint": "tiny"}, "alwayson_scripts": {}}`
	var res struct {
		Images     []string        `json:"images"`
		Parameters json.RawMessage `json:"parameters"`
		Info       string          `json:"info"`
	}
	code, _ := call(t, http.MethodPost, s.URL()+"/sdapi/v1/txt2img", body, &res)
	require.Equal(t, http.StatusOK, code)
	require.Len(t, res.Images, 1)
	b, err := base64.StdEncoding.DecodeString(res.Images[0])
	require.NoError(t, err)
	_, params := pngOf(t, b)
	want := "a castle\nNegative prompt: blurry\nSteps: 6, Sampler: DPM++ 2M, CFG scale: 6.5, Seed: 1234, Size: 64x64, Model: tiny"
	assert.Equal(t, want, params)
	var info a1111Info
	require.NoError(t, json.Unmarshal([]byte(res.Info), &info))
	assert.Equal(t, "DPM++ 2M", info.SamplerName)
	assert.Equal(t, int64(1234), info.Seed)
	assert.Equal(t, []string{want}, info.Infotexts)
	assert.Equal(t, 6, info.Steps)
	assert.JSONEq(t, body, string(res.Parameters))

	// img2img with a mask, as A1111 clients send it (data URL prefix).
	img := "data:image/png;base64," + base64.StdEncoding.EncodeToString(testPNG(t, 64, 64, gradient))
	mask := base64.StdEncoding.EncodeToString(testPNG(t, 64, 64, func(x, _ int) color.Color {
		return color.Gray{Y: uint8(255 * (x / 32))}
	}))
	i2i := map[string]any{"prompt": "a tower", "init_images": []string{img}, "mask": mask, "denoising_strength": 0.75,
		"steps": 8, "seed": 5, "inpainting_fill": 1, "mask_blur": 4}
	code, _ = call(t, http.MethodPost, s.URL()+"/sdapi/v1/img2img", i2i, &res)
	require.Equal(t, http.StatusOK, code)
	require.Len(t, res.Images, 1)
	require.NoError(t, json.Unmarshal([]byte(res.Info), &info))
	assert.Contains(t, info.Infotexts[0], "Denoising strength: 0.75")

	var models []map[string]any
	call(t, http.MethodGet, s.URL()+"/sdapi/v1/sd-models", nil, &models)
	require.Len(t, models, 1)
	assert.Equal(t, "tiny", models[0]["title"])
	var samplerList []map[string]any
	call(t, http.MethodGet, s.URL()+"/sdapi/v1/samplers", nil, &samplerList)
	assert.Equal(t, "Euler a", samplerList[0]["name"])
	var progress map[string]any
	code, _ = call(t, http.MethodGet, s.URL()+"/sdapi/v1/progress", nil, &progress)
	require.Equal(t, http.StatusOK, code)
	assert.Contains(t, progress, "state")
	code, _ = call(t, http.MethodPost, s.URL()+"/sdapi/v1/options", `{"sd_model_checkpoint": "other"}`, nil)
	assert.Equal(t, http.StatusBadRequest, code)
	code, _ = call(t, http.MethodPost, s.URL()+"/sdapi/v1/options", `{"sd_model_checkpoint": "tiny"}`, nil)
	assert.Equal(t, http.StatusOK, code)
	var opts map[string]any
	call(t, http.MethodGet, s.URL()+"/sdapi/v1/options", nil, &opts)
	assert.Equal(t, "tiny", opts["sd_model_checkpoint"])
}

func TestOperatorEndpoints(t *testing.T) {
	s := sharedService(t)
	id := submitJob(t, s.URL(), map[string]any{"prompt": "x", "steps": 2})
	waitJob(t, s.URL(), id, 30*time.Second)
	res, err := http.Get(s.URL() + "/sdapi/v1/no-such-endpoint")
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusNotFound, res.StatusCode)
	waitMetrics(t, s.URL(),
		`autopipe_http_requests_total{code="404",route="other"} 1`, // paths do not become labels
		`autopipe_job_latency_seconds_count{model="tiny"} 1`,
		"autopipe_queue_depth 0\n", `autopipe_jobs_total{model="tiny",state="done"} 1`,
		`autopipe_step_seconds_count{model="tiny"} 3`, // PNDM's warm-up adds an evaluation
		`autopipe_job_run_seconds_count{model="tiny"} 1`,
		`autopipe_http_requests_total{code="202",route="/v1/jobs"} 1`)
	for _, p := range []string{"/healthz", "/readyz", "/", "/static/app.js"} {
		res, err := http.Get(s.URL() + p)
		require.NoError(t, err)
		res.Body.Close()
		assert.Equal(t, http.StatusOK, res.StatusCode, p)
	}
}
