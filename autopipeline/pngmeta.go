package autopipeline

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"image"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/goautopipe/diffusers/internal/panics"
	"github.com/goautopipe/diffusers/schedulers"
)

// Parameters are the generation parameters written into a PNG's
// "parameters" text chunk, in the format AUTOMATIC1111's web UI and the
// tools that read it use:
//
//	<prompt>
//	Negative prompt: <negative prompt>
//	Steps: 25, Sampler: DPM++ 2M Karras, CFG scale: 7.5, Seed: 42, Size: 512x512, Model: stable-diffusion-v1-5/stable-diffusion-v1-5
//
// Sampler is A1111's name for the scheduler ("Euler a", "DPM++ 2M Karras";
// see SamplerName), so that A1111 and civitai read it; LookupSampler
// turns it back into a scheduler.
type Parameters struct {
	Prompt, NegativePrompt string
	Steps                  int
	Sampler                string
	CFGScale               float64
	Seed                   int64
	Width, Height          int
	Model                  string
	// Extra holds other "Key: value" pairs, written after the standard ones.
	Extra map[string]string
}

// ParametersFor fills Parameters from a request and the pipeline that ran
// it. Pass Output.Request (the request with its defaults filled in) to
// record the values actually used.
func ParametersFor(p Pipeline, r Request, img image.Image) Parameters {
	out := Parameters{Prompt: r.Prompt, NegativePrompt: r.NegativePrompt, Steps: r.NumInferenceSteps,
		CFGScale: r.GuidanceScale, Seed: r.Seed}
	if r.GuidanceScale == NoGuidance {
		out.CFGScale = 0 // diffusers' guidance_scale=0.0
	}
	if checkImage("parameters", img) == nil {
		out.Width, out.Height = img.Bounds().Dx(), img.Bounds().Dy()
	}
	if r.Image != nil && r.Strength > 0 {
		out.Extra = map[string]string{"Denoising strength": strconv.FormatFloat(r.Strength, 'g', -1, 64)}
	}
	if p != nil {
		switch s := p.Components()["scheduler"].(type) {
		case schedulers.Scheduler:
			out.Sampler = SamplerName(s.ClassName(), s.Config())
		case interface{ ClassName() string }:
			out.Sampler = SamplerName(s.ClassName(), nil)
		}
		if n, ok := p.Config()["_name_or_path"].(string); ok {
			out.Model = n
		}
	}
	return out
}

// String renders the parameters text. A line of the prompt or negative
// prompt that starts with "Negative prompt: " or with a backslash is
// escaped with a leading backslash, so that ParseParameters gives the same
// prompts back.
func (p Parameters) String() string {
	var b strings.Builder
	b.WriteString(escapePromptLines(p.Prompt, 0))
	if p.NegativePrompt != "" {
		b.WriteString("\nNegative prompt: " + escapePromptLines(p.NegativePrompt, 1))
	}
	var kv []string
	add := func(k, v string) {
		if v == "" {
			return
		}
		if strings.ContainsAny(v, ",:\"\n") {
			v = strconv.Quote(v) // as A1111 quotes values with separators
		}
		kv = append(kv, k+": "+v)
	}
	if p.Steps > 0 {
		add("Steps", strconv.Itoa(p.Steps))
	}
	add("Sampler", p.Sampler)
	if p.CFGScale != 0 {
		add("CFG scale", strconv.FormatFloat(p.CFGScale, 'g', -1, 64))
	}
	add("Seed", strconv.FormatInt(p.Seed, 10))
	if p.Width > 0 && p.Height > 0 {
		add("Size", fmt.Sprintf("%dx%d", p.Width, p.Height))
	}
	add("Model", p.Model)
	keys := make([]string, 0, len(p.Extra))
	for k := range p.Extra {
		keys = append(keys, k)
	}
	sortStrings(keys)
	for _, k := range keys {
		add(k, p.Extra[k])
	}
	b.WriteString("\n" + strings.Join(kv, ", "))
	return b.String()
}

// ParseParameters reads the text String writes.
func ParseParameters(s string) (Parameters, error) {
	var p Parameters
	lines := strings.Split(s, "\n")
	if len(lines) < 2 {
		return p, errors.New("parameters: want at least a prompt line and a settings line")
	}
	last := lines[len(lines)-1]
	body := lines[:len(lines)-1]
	p.Prompt, p.NegativePrompt = splitPrompts(body)
	items, err := splitSettings(last)
	if err != nil {
		return p, err
	}
	for _, item := range items {
		k, v, ok := strings.Cut(item, ": ")
		if !ok {
			continue
		}
		if strings.HasPrefix(v, `"`) {
			if v, err = strconv.Unquote(v); err != nil {
				return p, fmt.Errorf("parameters: %s: %w", k, err)
			}
		}
		switch k {
		case "Steps":
			p.Steps, err = strconv.Atoi(v)
		case "Sampler":
			p.Sampler = v
		case "CFG scale":
			p.CFGScale, err = strconv.ParseFloat(v, 64)
		case "Seed":
			p.Seed, err = strconv.ParseInt(v, 10, 64)
		case "Size":
			_, err = fmt.Sscanf(v, "%dx%d", &p.Width, &p.Height)
		case "Model":
			p.Model = v
		default:
			if p.Extra == nil {
				p.Extra = map[string]string{}
			}
			p.Extra[k] = v
		}
		if err != nil {
			return p, fmt.Errorf("parameters: %s: %w", k, err)
		}
	}
	return p, nil
}

// EncodePNG writes img as a PNG with a "parameters" tEXt chunk. A nil,
// empty, unbounded (image.Uniform) or malformed image, or one above
// DefaultMaxImagePixels, is an error wrapping ErrInvalidImage.
func EncodePNG(w io.Writer, img image.Image, params Parameters) (err error) {
	if err := checkImage("png", img); err != nil {
		return err
	}
	defer panics.Recover(&err, "EncodePNG")
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return err
	}
	data := buf.Bytes()
	// The signature (8 bytes) and IHDR (8 + 13 + 4 bytes) come first.
	const ihdrEnd = 8 + 25
	if len(data) < ihdrEnd {
		return errors.New("png: encoder output too short")
	}
	chunk := textChunk("parameters", params.String())
	if _, err := w.Write(data[:ihdrEnd]); err != nil {
		return err
	}
	if _, err := w.Write(chunk); err != nil {
		return err
	}
	_, err = w.Write(data[ihdrEnd:])
	return err
}

func textChunk(key, text string) []byte {
	payload := append([]byte(key), 0)
	payload = append(payload, latin1(text)...)
	out := make([]byte, 8, 12+len(payload))
	binary.BigEndian.PutUint32(out, uint32(len(payload)))
	copy(out[4:], "tEXt")
	out = append(out, payload...)
	crc := crc32.ChecksumIEEE(out[4:])
	return binary.BigEndian.AppendUint32(out, crc)
}

// latin1 maps text to ISO-8859-1 as tEXt requires; other characters
// become '?'.
func latin1(s string) []byte {
	out := make([]byte, 0, len(s))
	for _, r := range s {
		if r < 256 {
			out = append(out, byte(r))
		} else {
			out = append(out, '?')
		}
	}
	return out
}

// ReadPNGText returns the tEXt chunks of a PNG stream.
func ReadPNGText(r io.Reader) (map[string]string, error) {
	sig := make([]byte, 8)
	if _, err := io.ReadFull(r, sig); err != nil {
		return nil, fmt.Errorf("png: %w", err)
	}
	if string(sig) != "\x89PNG\r\n\x1a\n" {
		return nil, errors.New("png: not a PNG file")
	}
	out := map[string]string{}
	hdr := make([]byte, 8)
	for {
		if _, err := io.ReadFull(r, hdr); err != nil {
			return nil, fmt.Errorf("png: %w", err)
		}
		n := binary.BigEndian.Uint32(hdr)
		typ := string(hdr[4:])
		if n > 1<<26 {
			return nil, fmt.Errorf("png: chunk %q of %d bytes is too large", typ, n)
		}
		body := make([]byte, n+4)
		if _, err := io.ReadFull(r, body); err != nil {
			return nil, fmt.Errorf("png: %w", err)
		}
		switch typ {
		case "tEXt":
			k, v, ok := bytes.Cut(body[:n], []byte{0})
			if ok {
				rs := make([]rune, len(v))
				for i, c := range v {
					rs[i] = rune(c)
				}
				out[string(k)] = string(rs)
			}
		case "IEND":
			return out, nil
		}
	}
}

// SavePNG writes img with its parameters to path. The file appears only
// when complete: it is written to a temporary file in the same folder and
// renamed into place.
func SavePNG(path string, img image.Image, params Parameters) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("save %s: %w", path, err)
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	if err := EncodePNG(f, img, params); err != nil {
		f.Close()
		return fmt.Errorf("save %s: %w", path, err)
	}
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		return fmt.Errorf("save %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("save %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("save %s: %w", path, err)
	}
	return nil
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// splitSettings splits "K: v, K: \"v, w\"" at the commas outside quotes.
func splitSettings(s string) ([]string, error) {
	var out []string
	start, quoted := 0, false
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '\\' && quoted:
			i++
		case s[i] == '"':
			quoted = !quoted
		case !quoted && strings.HasPrefix(s[i:], ", "):
			out = append(out, s[start:i])
			start = i + 2
			i++
		}
	}
	if quoted {
		return nil, errors.New("parameters: unterminated quoted value")
	}
	return append(out, s[start:]), nil
}
