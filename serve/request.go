package serve

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"image"
	_ "image/jpeg" // input images may be JPEG
	_ "image/png"
	"math"
	"strings"
	"time"

	"github.com/goautopipe/diffusers/serve/queue"
)

// The tasks a job can run.
const (
	taskText2Image  = "text2img"
	taskImage2Image = "img2img"
	taskInpaint     = "inpaint"
)

// job is a request from any of the APIs, before the door checks.
type job struct {
	spec        queue.Spec
	image, mask []byte
	randomSeed  bool
}

// newID returns a fresh job id.
func newID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func randomSeed() int64 {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return int64(binary.LittleEndian.Uint64(b[:]) >> 33) // 31 bits, as A1111 seeds
}

// check applies the operator limits and the library's request rules (with
// its messages) so that bad requests are refused before they are queued.
// It fills the model, id, task, seed and submit time.
func (s *Server) check(j *job) error {
	sp := &j.spec
	if err := s.checkModel(sp); err != nil {
		return err
	}
	if err := s.checkText(sp); err != nil {
		return err
	}
	if err := s.checkNumbers(sp); err != nil {
		return err
	}
	if err := s.checkImages(j); err != nil {
		return err
	}
	class, err := schedulerFor(sp.Scheduler)
	if err != nil {
		return err
	}
	sp.Scheduler = class
	if j.randomSeed {
		sp.Seed = randomSeed()
	}
	sp.ID, sp.Submitted = newID(), time.Now().UTC()
	return nil
}

func (s *Server) checkModel(sp *queue.Spec) error {
	if sp.Model == "" {
		sp.Model = s.currentModel()
	}
	if _, ok := s.cfg.Model(sp.Model); !ok {
		return badRequestf("unknown model %q: this server has %s", sp.Model, strings.Join(s.cfg.ModelNames(), ", "))
	}
	switch sp.Task {
	case "":
		sp.Task = taskText2Image
	case taskText2Image, taskImage2Image, taskInpaint:
	default:
		return badRequestf("unknown task %q: use text2img, img2img or inpaint", sp.Task)
	}
	return nil
}

func (s *Server) checkText(sp *queue.Spec) error {
	if strings.TrimSpace(sp.Prompt) == "" {
		return badRequestf("Provide either `prompt` or `prompt_embeds`. Cannot leave both `prompt` and `prompt_embeds` undefined.")
	}
	max := s.cfg.Limits.MaxPrompt
	if len(sp.Prompt) > max || len(sp.NegativePrompt) > max {
		return badRequestf("prompt of %d bytes (negative %d) is over this server's limit of %d bytes", len(sp.Prompt), len(sp.NegativePrompt), max)
	}
	return nil
}

func (s *Server) checkNumbers(sp *queue.Spec) error {
	for _, check := range []func(*queue.Spec) error{s.checkCounts, s.checkSize, checkScales} {
		if err := check(sp); err != nil {
			return err
		}
	}
	if sp.N == 0 {
		sp.N = 1
	}
	return nil
}

func (s *Server) checkCounts(sp *queue.Spec) error {
	l := s.cfg.Limits
	switch {
	case sp.Steps < 0:
		return badRequestf("`num_inference_steps` has to be a positive integer but is %d", sp.Steps)
	case sp.Steps > l.MaxSteps:
		return badRequestf("steps %d is over this server's limit of %d", sp.Steps, l.MaxSteps)
	case sp.N < 0:
		return badRequestf("`num_images_per_prompt` has to be a positive integer but is %d", sp.N)
	case sp.N > l.MaxImages:
		return badRequestf("%d images per call is over this server's limit of %d", sp.N, l.MaxImages)
	}
	return nil
}

func (s *Server) checkSize(sp *queue.Spec) error {
	switch {
	case sp.Width < 0 || sp.Height < 0:
		return badRequestf("`height` and `width` have to be positive but are %d and %d.", sp.Height, sp.Width)
	case sp.Width%8 != 0 || sp.Height%8 != 0:
		return badRequestf("`height` and `width` have to be divisible by 8 but are %d and %d.", sp.Height, sp.Width)
	case sp.Width > 16384 || sp.Height > 16384 || sp.Width*sp.Height > s.cfg.Limits.MaxPixels:
		return badRequestf("size %dx%d is over this server's limit of %d pixels", sp.Width, sp.Height, s.cfg.Limits.MaxPixels)
	}
	return nil
}

func checkScales(sp *queue.Spec) error {
	switch {
	case !finite(sp.GuidanceScale) || sp.GuidanceScale < 0 || sp.GuidanceScale > 100:
		return badRequestf("guidance scale %v: want a number from 0 to 100", sp.GuidanceScale)
	case !finite(sp.Strength) || sp.Strength < 0 || sp.Strength > 1:
		return badRequestf("The value of strength should in [0.0, 1.0] but is %v", sp.Strength)
	}
	return nil
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

func (s *Server) checkImages(j *job) error {
	sp := &j.spec
	if sp.Task == taskText2Image && j.image != nil {
		sp.Task = taskImage2Image
	}
	if sp.Task == taskImage2Image && j.mask != nil {
		sp.Task = taskInpaint
	}
	if sp.Task == taskText2Image {
		return nil
	}
	if j.image == nil {
		return badRequestf("`image` input cannot be undefined.")
	}
	ib, err := s.imageSize("image", j.image)
	if err != nil {
		return err
	}
	if sp.Task != taskInpaint {
		return nil
	}
	if j.mask == nil {
		return badRequestf("`mask_image` input cannot be undefined.")
	}
	mb, err := s.imageSize("mask", j.mask)
	if err != nil {
		return err
	}
	if ib != mb {
		return badRequestf("The mask and image should be the same size! mask_image is %dx%d, image is %dx%d.", mb.X, mb.Y, ib.X, ib.Y)
	}
	return nil
}

// imageSize reads an input image's header: it must be a PNG or JPEG within
// the pixel limit.
func (s *Server) imageSize(name string, b []byte) (image.Point, error) {
	cfg, _, err := image.DecodeConfig(bytes.NewReader(b))
	if err != nil {
		return image.Point{}, badRequestf("%s: not a PNG or JPEG image (%v)", name, err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width*cfg.Height > s.cfg.Limits.MaxPixels {
		return image.Point{}, badRequestf("%s: %dx%d is over this server's limit of %d pixels", name, cfg.Width, cfg.Height, s.cfg.Limits.MaxPixels)
	}
	return image.Pt(cfg.Width, cfg.Height), nil
}

// decodeB64 reads a base64 image, with or without a data: URL prefix.
func decodeB64(field, s string) ([]byte, error) {
	if s == "" {
		return nil, nil
	}
	if strings.HasPrefix(s, "data:") {
		i := strings.IndexByte(s, ',')
		if i < 0 {
			return nil, badRequestf("%s: malformed data URL", field)
		}
		s = s[i+1:]
	}
	b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil {
		return nil, badRequestf("%s: not valid base64: %v", field, err)
	}
	return b, nil
}

// sizeOf parses "WxH" (OpenAI's size); "" and "auto" give 0, 0 (the model's
// own size).
func sizeOf(s string) (int, int, error) {
	if s == "" || s == "auto" {
		return 0, 0, nil
	}
	var w, h int
	if n, err := fmt.Sscanf(s, "%dx%d", &w, &h); n != 2 || err != nil || fmt.Sprintf("%dx%d", w, h) != s {
		return 0, 0, badRequestf("size %q: want WIDTHxHEIGHT such as 512x512", s)
	}
	return w, h, nil
}
