package serve

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/goautopipe/diffusers/autopipeline"
	"github.com/goautopipe/diffusers/serve/queue"
)

// a1111Request has the field names AUTOMATIC1111's /sdapi/v1/txt2img and
// img2img take (the subset that maps onto a pipeline call; other fields
// clients send are accepted and ignored).
type a1111Request struct {
	Prompt            string         `json:"prompt"`
	NegativePrompt    string         `json:"negative_prompt"`
	Steps             int            `json:"steps"`
	CFGScale          float64        `json:"cfg_scale"`
	Width             int            `json:"width"`
	Height            int            `json:"height"`
	Seed              *int64         `json:"seed"` // -1 or absent: random
	SamplerName       string         `json:"sampler_name"`
	SamplerIndex      string         `json:"sampler_index"`
	Scheduler         string         `json:"scheduler"`
	BatchSize         int            `json:"batch_size"`
	NIter             int            `json:"n_iter"`
	DenoisingStrength *float64       `json:"denoising_strength"`
	InitImages        []string       `json:"init_images"`
	Mask              string         `json:"mask"`
	OverrideSettings  a1111Overrides `json:"override_settings"`
}

type a1111Overrides struct {
	Model string `json:"sd_model_checkpoint"`
}

// a1111Info is the generation info A1111 returns as a JSON string.
type a1111Info struct {
	Prompt         string   `json:"prompt"`
	AllPrompts     []string `json:"all_prompts"`
	NegativePrompt string   `json:"negative_prompt"`
	Seed           int64    `json:"seed"`
	AllSeeds       []int64  `json:"all_seeds"`
	Width          int      `json:"width"`
	Height         int      `json:"height"`
	SamplerName    string   `json:"sampler_name"`
	CFGScale       float64  `json:"cfg_scale"`
	Steps          int      `json:"steps"`
	BatchSize      int      `json:"batch_size"`
	SDModelName    string   `json:"sd_model_name"`
	Infotexts      []string `json:"infotexts"`
	JobTimestamp   string   `json:"job_timestamp"`
	DenoisingStr   float64  `json:"denoising_strength,omitempty"`
}

func (s *Server) routeA1111(mux *http.ServeMux) {
	mux.HandleFunc("POST /sdapi/v1/txt2img", func(w http.ResponseWriter, r *http.Request) { s.a1111Generate(w, r, false) })
	mux.HandleFunc("POST /sdapi/v1/img2img", func(w http.ResponseWriter, r *http.Request) { s.a1111Generate(w, r, true) })
	mux.HandleFunc("GET /sdapi/v1/progress", s.a1111Progress)
	mux.HandleFunc("GET /sdapi/v1/sd-models", s.a1111Models)
	mux.HandleFunc("GET /sdapi/v1/samplers", s.a1111Samplers)
	mux.HandleFunc("GET /sdapi/v1/options", s.a1111Options)
	mux.HandleFunc("POST /sdapi/v1/options", s.a1111SetOptions)
}

func (req a1111Request) job(img2img bool) (*job, error) {
	sampler := req.SamplerName
	if sampler == "" {
		sampler = req.SamplerIndex
	}
	n := max(req.BatchSize, 1) * max(req.NIter, 1)
	if req.BatchSize < 0 || req.NIter < 0 {
		n = -1
	}
	j := &job{spec: queue.Spec{Model: req.OverrideSettings.Model, Prompt: req.Prompt, NegativePrompt: req.NegativePrompt,
		Steps: req.Steps, GuidanceScale: req.CFGScale, Width: req.Width, Height: req.Height, N: n, Scheduler: sampler}}
	j.randomSeed = req.Seed == nil || *req.Seed < 0
	if !j.randomSeed {
		j.spec.Seed = *req.Seed
	}
	if !img2img {
		return j, nil
	}
	j.spec.Task = taskImage2Image
	if req.DenoisingStrength != nil {
		j.spec.Strength = *req.DenoisingStrength
	}
	if len(req.InitImages) > 1 {
		return nil, badRequestf("init_images: one image per call, got %d", len(req.InitImages))
	}
	var err error
	if len(req.InitImages) == 1 {
		if j.image, err = decodeB64("init_images[0]", req.InitImages[0]); err != nil {
			return nil, err
		}
	}
	if j.mask, err = decodeB64("mask", req.Mask); err != nil {
		return nil, err
	}
	return j, nil
}

func (s *Server) a1111Generate(w http.ResponseWriter, r *http.Request, img2img bool) {
	var req a1111Request
	var raw json.RawMessage
	if err := decodeJSON(r, &raw); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := json.Unmarshal(raw, &req); err != nil {
		s.writeError(w, r, jsonError(err))
		return
	}
	j, err := req.job(img2img)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	st, imgs, err := s.run(r.Context(), j)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := make([]string, len(imgs))
	for i, b := range imgs {
		out[i] = base64.StdEncoding.EncodeToString(b)
	}
	info, _ := json.Marshal(a1111InfoFor(st))
	writeJSON(w, http.StatusOK, map[string]any{"images": out, "parameters": raw, "info": string(info)})
}

func a1111InfoFor(st queue.Status) a1111Info {
	sp := st.Spec
	info := a1111Info{Prompt: sp.Prompt, NegativePrompt: sp.NegativePrompt, Seed: sp.Seed, Width: sp.Width,
		Height: sp.Height, SamplerName: a1111Sampler(sp.Scheduler), CFGScale: sp.GuidanceScale, Steps: sp.Steps,
		BatchSize: st.Images, SDModelName: sp.Model, Infotexts: st.Info, DenoisingStr: sp.Strength,
		JobTimestamp: sp.Submitted.Format("20060102150405")}
	for range st.Images {
		info.AllPrompts = append(info.AllPrompts, sp.Prompt)
		info.AllSeeds = append(info.AllSeeds, sp.Seed)
	}
	// The values actually used (defaults filled in) are in the infotext.
	if len(st.Info) > 0 {
		fillFromInfotext(&info, st.Info[0])
	}
	return info
}

func a1111Sampler(class string) string {
	for _, sm := range samplers {
		if sm.class == class {
			return sm.a1111
		}
	}
	return class
}

func (s *Server) a1111Progress(w http.ResponseWriter, _ *http.Request) {
	p, running := s.anyProgress()
	frac := 0.0
	if p.Total > 0 {
		frac = float64(p.Step) / float64(p.Total)
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"progress": frac, "eta_relative": 0.0, "current_image": nil, "textinfo": nil,
		"state": map[string]any{"skipped": false, "interrupted": false, "job": p.ID, "job_count": running,
			"job_timestamp": "0", "job_no": 0, "sampling_step": p.Step, "sampling_steps": p.Total},
	})
}

func (s *Server) a1111Models(w http.ResponseWriter, _ *http.Request) {
	out := make([]map[string]any, len(s.cfg.Models))
	for i, m := range s.cfg.Models {
		out[i] = map[string]any{"title": m.Name, "model_name": m.Name, "hash": nil, "sha256": nil, "filename": m.Name, "config": nil}
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) a1111Samplers(w http.ResponseWriter, _ *http.Request) {
	out := make([]map[string]any, len(samplers))
	for i, sm := range samplers {
		out[i] = map[string]any{"name": sm.a1111, "aliases": []string{sm.class}, "options": map[string]string{}}
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) a1111Options(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"sd_model_checkpoint": s.currentModel()})
}

// a1111SetOptions switches the model A1111 requests use by default; other
// options are ignored.
func (s *Server) a1111SetOptions(w http.ResponseWriter, r *http.Request) {
	var opts map[string]json.RawMessage
	if err := decodeJSON(r, &opts); err != nil {
		s.writeError(w, r, err)
		return
	}
	if v, ok := opts["sd_model_checkpoint"]; ok {
		var name string
		if err := json.Unmarshal(v, &name); err != nil {
			s.writeError(w, r, badRequestf("sd_model_checkpoint: want a string"))
			return
		}
		if _, ok := s.cfg.Model(name); !ok {
			s.writeError(w, r, badRequestf("unknown model %q: this server has %s", name, strings.Join(s.cfg.ModelNames(), ", ")))
			return
		}
		s.model.Store(name)
		s.log.Info("current model switched", "model", name)
	}
	writeJSON(w, http.StatusOK, nil)
}

// fillFromInfotext replaces requested values by those the pipeline used.
func fillFromInfotext(info *a1111Info, text string) {
	p, err := autopipeline.ParseParameters(text)
	if err != nil {
		return
	}
	info.Steps, info.CFGScale, info.Width, info.Height = p.Steps, p.CFGScale, p.Width, p.Height
	if p.Sampler != "" {
		info.SamplerName = a1111Sampler(p.Sampler)
	}
}
