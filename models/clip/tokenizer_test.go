package clip

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/goautopipe/diffusers/internal/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var repoRoot = testutil.Root()

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

func loadCorpus(t testing.TB) []string {
	var prompts []string
	testutil.LoadJSON(t, filepath.Join(repoRoot, "testdata/clip-corpus/prompts.json"), &prompts)
	require.GreaterOrEqual(t, len(prompts), 300, "corpus prompts")
	return prompts
}

func TestTokenizerKnownVector(t *testing.T) {
	tok, err := LoadTokenizer(filepath.Join(repoRoot, "testdata/clip-tokenizer/sd15"))
	require.NoError(t, err)
	want := []int{49406, 320, 1125, 539, 320, 2368, 49407}
	require.Equal(t, want, tok.EncodeUnpadded("a photo of a cat"))
	enc := tok.Encode("a photo of a cat")
	require.Len(t, enc, 77, "Encode: %v", enc)
	require.Equal(t, want, enc[:7], "Encode: %v", enc)
	require.Equal(t, 49407, enc[76], "Encode: %v", enc)
}

// TestTokenizerCorpus checks every corpus prompt against transformers, for
// the real SD 1.x and SDXL tokenizer_2 vocabularies and the tiny fixtures'
// ones, each as published (vocab.json + merges.txt) and as re-saved by
// transformers 5 (tokenizer.json; the real-vocabulary ones are written to the
// git-ignored testdata/fullsize by golden_clip.py and skipped when absent).
func TestTokenizerCorpus(t *testing.T) {
	prompts := loadCorpus(t)
	var g tokenizerGolden
	testutil.LoadJSON(t, filepath.Join(repoRoot, "testdata/golden/clip_tokenizer.json"), &g)
	for _, name := range []string{"sd15", "sdxl2", "tiny_sd", "tiny_sdxl2"} {
		gt, ok := g.Tokenizers[name]
		require.True(t, ok, "golden has no tokenizer %s", name)
		require.Len(t, gt.Padded, len(prompts), "%s: golden padded rows", name)
		require.Len(t, gt.Unpadded, len(prompts), "%s: golden unpadded rows", name)
		for _, dir := range gt.Dirs {
			t.Run(name+"/"+filepath.Base(filepath.Dir(dir))+"/"+filepath.Base(dir), func(t *testing.T) {
				path := filepath.Join(repoRoot, dir)
				if _, err := os.Stat(path); err != nil && strings.HasPrefix(dir, "testdata/fullsize/") {
					t.Skipf("%s absent (written by tools/reference/golden_clip.py)", dir)
				}
				tok, err := LoadTokenizer(path)
				require.NoError(t, err)
				require.Equal(t, [4]int{gt.ModelMaxLength, gt.BOS, gt.EOS, gt.Pad},
					[4]int{tok.ModelMaxLength(), tok.BOS(), tok.EOS(), tok.Pad()}, "max, bos, eos, pad")
				bad := 0
				for i, p := range prompts {
					if !assert.Equal(t, gt.Unpadded[i], tok.EncodeUnpadded(p), "unpadded %d %q", i, p) {
						bad++
					}
					if !assert.Equal(t, gt.Padded[i], tok.Encode(p), "padded %d %q", i, p) {
						bad++
					}
					require.LessOrEqual(t, bad, 10, "too many mismatches")
				}
			})
		}
	}
}

func TestTokenizerConcurrent(t *testing.T) {
	prompts := loadCorpus(t)
	tok, err := LoadTokenizer(filepath.Join(repoRoot, "testdata/clip-tokenizer/sd15"))
	require.NoError(t, err)
	want := make([][]int, len(prompts))
	for i, p := range prompts {
		want[i] = tok.Encode(p)
	}
	fresh, err := LoadTokenizer(filepath.Join(repoRoot, "testdata/clip-tokenizer/sd15"))
	require.NoError(t, err)
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
		assert.Fail(t, e)
	}
}

func TestLoadTokenizerErrors(t *testing.T) {
	_, err := LoadTokenizer(t.TempDir())
	require.Error(t, err, "empty folder: want an error")
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "vocab.json"), []byte(`{"a":0,"b":1,"ab":2}`), 0o644)
	os.WriteFile(filepath.Join(dir, "merges.txt"), []byte("#version: 0.2\na c\n"), 0o644)
	_, err = LoadTokenizer(dir)
	require.Error(t, err, "merge outside the vocabulary: want an error")
}

// TestTokenizerArbitraryBytes feeds invalid UTF-8 and random bytes: no panic,
// and Encode always returns exactly ModelMaxLength ids framed by BOS and EOS.
func TestTokenizerArbitraryBytes(t *testing.T) {
	tok, err := LoadTokenizer(filepath.Join(repoRoot, "testdata/clip-tokenizer/sdxl2"))
	require.NoError(t, err)
	seed := uint32(1)
	for i := 0; i < 300; i++ {
		b := make([]byte, i%97)
		for j := range b {
			seed = seed*1664525 + 1013904223
			b[j] = byte(seed >> 24)
		}
		ids := tok.Encode(string(b))
		require.Len(t, ids, tok.ModelMaxLength(), "input %q: %v", b, ids)
		require.Equal(t, tok.BOS(), ids[0], "input %q: %v", b, ids)
		for _, id := range ids {
			require.True(t, id >= 0 && id < tok.VocabSize(), "input %q: id %d outside the vocabulary", b, id)
		}
	}
}

// BenchmarkEncodeCorpus encodes the whole prompt corpus (word cache warm
// after the first round).
func BenchmarkEncodeCorpus(b *testing.B) {
	prompts := loadCorpus(b)
	tok, err := LoadTokenizer(filepath.Join(repoRoot, "testdata/clip-tokenizer/sd15"))
	require.NoError(b, err)
	for b.Loop() {
		for _, p := range prompts {
			tok.Encode(p)
		}
	}
}

// BenchmarkLoadTokenizer reads the real vocabulary and merges.
func BenchmarkLoadTokenizer(b *testing.B) {
	for b.Loop() {
		_, err := LoadTokenizer(filepath.Join(repoRoot, "testdata/clip-tokenizer/sd15"))
		require.NoError(b, err)
	}
}
