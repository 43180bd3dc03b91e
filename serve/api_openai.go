package serve

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/goautopipe/diffusers/serve/queue"
)

// openAIRequest holds the fields of OpenAI's image calls that apply here;
// others (quality, style, user, ...) are accepted and ignored, as clients
// send them by default.
type openAIRequest struct {
	Model          string `json:"model"`
	Prompt         string `json:"prompt"`
	N              *int   `json:"n"`
	Size           string `json:"size"`
	ResponseFormat string `json:"response_format"`
}

type openAIImage struct {
	B64JSON       string `json:"b64_json,omitempty"`
	URL           string `json:"url,omitempty"`
	RevisedPrompt string `json:"revised_prompt,omitempty"`
}

func (s *Server) routeOpenAI(mux *http.ServeMux) {
	mux.HandleFunc("POST /v1/images/generations", s.openAIGenerate)
	mux.HandleFunc("POST /v1/images/edits", s.openAIEdit)
}

func (req openAIRequest) job() (*job, error) {
	w, h, err := sizeOf(req.Size)
	if err != nil {
		return nil, err
	}
	switch req.ResponseFormat {
	case "", "b64_json", "url":
	default:
		return nil, badRequestf("response_format %q: use b64_json or url", req.ResponseFormat)
	}
	j := &job{spec: queue.Spec{Model: req.Model, Prompt: req.Prompt, Width: w, Height: h}, randomSeed: true}
	if req.N != nil {
		if *req.N < 1 {
			return nil, badRequestf("`num_images_per_prompt` has to be a positive integer but is %d", *req.N)
		}
		j.spec.N = *req.N
	}
	return j, nil
}

func (s *Server) openAIGenerate(w http.ResponseWriter, r *http.Request) {
	var req openAIRequest
	if err := decodeJSON(r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	j, err := req.job()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.openAIRun(w, r, j, req.ResponseFormat)
}

func (s *Server) openAIRun(w http.ResponseWriter, r *http.Request, j *job, format string) {
	st, imgs, err := s.run(r.Context(), j)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	data := make([]openAIImage, len(imgs))
	for i, b := range imgs {
		if format == "url" {
			data[i].URL = fmt.Sprintf("%s/v1/jobs/%s/images/%d", baseURL(r), st.ID, i)
		} else {
			data[i].B64JSON = base64.StdEncoding.EncodeToString(b)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"created": time.Now().Unix(), "data": data})
}

func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// openAIEdit is POST /v1/images/edits: a multipart form with the image,
// an optional mask (OpenAI's convention: transparent pixels are repainted)
// and the prompt. Without a mask the image is redrawn (image-to-image).
func (s *Server) openAIEdit(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseMultipartForm(s.cfg.Limits.MaxBodyBytes); err != nil {
		s.writeError(w, r, multipartError(err))
		return
	}
	defer func() { _ = r.MultipartForm.RemoveAll() }()
	req := openAIRequest{Model: r.FormValue("model"), Prompt: r.FormValue("prompt"), Size: r.FormValue("size"),
		ResponseFormat: r.FormValue("response_format")}
	if v := r.FormValue("n"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			s.writeError(w, r, badRequestf("field \"n\": want an integer, got %q", v))
			return
		}
		req.N = &n
	}
	j, err := req.job()
	if err == nil {
		j.image, err = formFile(r.MultipartForm, "image", "image[]")
	}
	if err == nil {
		j.mask, err = formFile(r.MultipartForm, "mask")
	}
	if err == nil && j.mask != nil {
		j.mask, err = s.openAIMask(j.mask)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if j.image == nil {
		s.writeError(w, r, badRequestf("`image` input cannot be undefined."))
		return
	}
	s.openAIRun(w, r, j, req.ResponseFormat)
}

func multipartError(err error) error {
	if code, _ := statusOf(err); code == http.StatusRequestEntityTooLarge || strings.Contains(err.Error(), "request body too large") {
		return statusError(http.StatusRequestEntityTooLarge, "request body too large: %v", err)
	}
	return badRequestf("malformed multipart form: %v", err)
}

// formFile reads the first file sent under any of names (nil if none).
func formFile(f *multipart.Form, names ...string) ([]byte, error) {
	for _, n := range names {
		if fhs := f.File[n]; len(fhs) > 0 {
			file, err := fhs[0].Open()
			if err != nil {
				return nil, badRequestf("%s: %v", n, err)
			}
			defer file.Close()
			b, err := io.ReadAll(file)
			if err != nil {
				return nil, badRequestf("%s: %v", n, err)
			}
			return b, nil
		}
	}
	return nil, nil
}

// openAIMask converts OpenAI's mask (repaint where alpha is 0) to the
// library's (repaint where white). A mask without transparency is taken
// as it is.
func (s *Server) openAIMask(b []byte) ([]byte, error) {
	if _, err := s.imageSize("mask", b); err != nil {
		return nil, err
	}
	img, _, err := image.Decode(bytes.NewReader(b))
	if err != nil {
		return nil, badRequestf("mask: not a PNG or JPEG image (%v)", err)
	}
	bounds := img.Bounds()
	out := image.NewGray(bounds)
	transparent := false
	for y := bounds.Min.Y; y < bounds.Max.Y; y++ {
		for x := bounds.Min.X; x < bounds.Max.X; x++ {
			_, _, _, a := img.At(x, y).RGBA()
			if a < 0xffff {
				transparent = true
			}
			if a == 0 {
				out.SetGray(x, y, color.Gray{Y: 255})
			}
		}
	}
	if !transparent {
		return b, nil
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, out); err != nil {
		return nil, fmt.Errorf("serve: encode mask: %w", err)
	}
	return buf.Bytes(), nil
}
