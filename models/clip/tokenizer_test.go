package clip

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

const repoRoot = "../.."

type tokenizerGolden struct {
	Tokenizers map[string]struct {
		Dirs           []string `json:"dirs"`
		ModelMaxLength int      `json:"model_max_length"`
		BOS            int      `json:"bos"`
		EOS            int      `json:"eos"`
		Pad            int      `json:"pad"`
		Padded         [][]int  `json:"padded"`
		Unpadded       [][]int  `json:"unpadded"`
	} `json:"tokenizers"`
}

func readJSON(t testing.TB, path string, dst any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, dst); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

func loadCorpus(t testing.TB) []string {
	var prompts []string
	readJSON(t, filepath.Join(repoRoot, "testdata/clip-corpus/prompts.json"), &prompts)
	if len(prompts) < 300 {
		t.Fatalf("corpus has %d prompts, want >= 300", len(prompts))
	}
	return prompts
}

func TestTokenizerKnownVector(t *testing.T) {
	tok, err := LoadTokenizer(filepath.Join(repoRoot, "testdata/clip-tokenizer/sd15"))
	if err != nil {
		t.Fatal(err)
	}
	want := []int{49406, 320, 1125, 539, 320, 2368, 49407}
	if got := tok.EncodeUnpadded("a photo of a cat"); !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	enc := tok.Encode("a photo of a cat")
	if len(enc) != 77 || !slices.Equal(enc[:7], want) || enc[76] != 49407 {
		t.Fatalf("Encode: %v", enc)
	}
}

// TestTokenizerCorpus checks every corpus prompt against transformers, for
// the real SD 1.x and SDXL tokenizer_2 vocabularies and the tiny fixtures'
// ones, each as published (vocab.json + merges.txt) and as re-saved by
// transformers 5 (tokenizer.json; the real-vocabulary ones are written to the
// git-ignored testdata/fullsize by golden_clip.py and skipped when absent).
func TestTokenizerCorpus(t *testing.T) {
	prompts := loadCorpus(t)
	var g tokenizerGolden
	readJSON(t, filepath.Join(repoRoot, "testdata/golden/clip_tokenizer.json"), &g)
	for _, name := range []string{"sd15", "sdxl2", "tiny_sd", "tiny_sdxl2"} {
		gt, ok := g.Tokenizers[name]
		if !ok {
			t.Fatalf("golden has no tokenizer %s", name)
		}
		if len(gt.Padded) != len(prompts) || len(gt.Unpadded) != len(prompts) {
			t.Fatalf("%s: golden has %d/%d rows for %d prompts", name, len(gt.Padded), len(gt.Unpadded), len(prompts))
		}
		for _, dir := range gt.Dirs {
			t.Run(name+"/"+filepath.Base(filepath.Dir(dir))+"/"+filepath.Base(dir), func(t *testing.T) {
				path := filepath.Join(repoRoot, dir)
				if _, err := os.Stat(path); err != nil && strings.HasPrefix(dir, "testdata/fullsize/") {
					t.Skipf("%s absent (written by tools/reference/golden_clip.py)", dir)
				}
				tok, err := LoadTokenizer(path)
				if err != nil {
					t.Fatal(err)
				}
				if tok.ModelMaxLength() != gt.ModelMaxLength || tok.BOS() != gt.BOS || tok.EOS() != gt.EOS || tok.Pad() != gt.Pad {
					t.Fatalf("max %d bos %d eos %d pad %d, want %d %d %d %d", tok.ModelMaxLength(), tok.BOS(), tok.EOS(), tok.Pad(),
						gt.ModelMaxLength, gt.BOS, gt.EOS, gt.Pad)
				}
				bad := 0
				for i, p := range prompts {
					if got := tok.EncodeUnpadded(p); !slices.Equal(got, gt.Unpadded[i]) {
						bad++
						t.Errorf("unpadded %d %q:\n got %v\nwant %v", i, p, got, gt.Unpadded[i])
					}
					if got := tok.Encode(p); !slices.Equal(got, gt.Padded[i]) {
						bad++
						t.Errorf("padded %d %q:\n got %v\nwant %v", i, p, got, gt.Padded[i])
					}
					if bad > 10 {
						t.Fatal("too many mismatches")
					}
				}
			})
		}
	}
}

func TestTokenizerConcurrent(t *testing.T) {
	prompts := loadCorpus(t)
	tok, err := LoadTokenizer(filepath.Join(repoRoot, "testdata/clip-tokenizer/sd15"))
	if err != nil {
		t.Fatal(err)
	}
	want := make([][]int, len(prompts))
	for i, p := range prompts {
		want[i] = tok.Encode(p)
	}
	fresh, err := LoadTokenizer(filepath.Join(repoRoot, "testdata/clip-tokenizer/sd15"))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := range prompts {
				j := (i + w*37) % len(prompts)
				if got := fresh.Encode(prompts[j]); !slices.Equal(got, want[j]) {
					errs <- fmt.Sprintf("prompt %d differs under concurrency", j)
					return
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

func TestLoadTokenizerErrors(t *testing.T) {
	if _, err := LoadTokenizer(t.TempDir()); err == nil {
		t.Fatal("empty folder: want an error")
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "vocab.json"), []byte(`{"a":0,"b":1,"ab":2}`), 0o644)
	os.WriteFile(filepath.Join(dir, "merges.txt"), []byte("#version: 0.2\na c\n"), 0o644)
	if _, err := LoadTokenizer(dir); err == nil {
		t.Fatal("merge outside the vocabulary: want an error")
	}
}

// TestTokenizerArbitraryBytes feeds invalid UTF-8 and random bytes: no panic,
// and Encode always returns exactly ModelMaxLength ids framed by BOS and EOS.
func TestTokenizerArbitraryBytes(t *testing.T) {
	tok, err := LoadTokenizer(filepath.Join(repoRoot, "testdata/clip-tokenizer/sdxl2"))
	if err != nil {
		t.Fatal(err)
	}
	seed := uint32(1)
	for i := 0; i < 300; i++ {
		b := make([]byte, i%97)
		for j := range b {
			seed = seed*1664525 + 1013904223
			b[j] = byte(seed >> 24)
		}
		ids := tok.Encode(string(b))
		if len(ids) != tok.ModelMaxLength() || ids[0] != tok.BOS() {
			t.Fatalf("input %q: %v", b, ids)
		}
		for _, id := range ids {
			if id < 0 || id >= tok.VocabSize() {
				t.Fatalf("input %q: id %d outside the vocabulary", b, id)
			}
		}
	}
}

// BenchmarkEncodeCorpus encodes the whole prompt corpus (word cache warm
// after the first round).
func BenchmarkEncodeCorpus(b *testing.B) {
	prompts := loadCorpus(b)
	tok, err := LoadTokenizer(filepath.Join(repoRoot, "testdata/clip-tokenizer/sd15"))
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		for _, p := range prompts {
			tok.Encode(p)
		}
	}
}

// BenchmarkLoadTokenizer reads the real vocabulary and merges.
func BenchmarkLoadTokenizer(b *testing.B) {
	for b.Loop() {
		if _, err := LoadTokenizer(filepath.Join(repoRoot, "testdata/clip-tokenizer/sd15")); err != nil {
			b.Fatal(err)
		}
	}
}
