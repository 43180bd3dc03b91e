package clip

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"regexp"
	"sync"

	"github.com/goautopipe/diffusers/internal/config"
)

// DefaultModelMaxLength is used when tokenizer_config.json has no
// model_max_length (every CLIP checkpoint used by Stable Diffusion sets 77).
const DefaultModelMaxLength = 77

// cacheLimit bounds the number of words kept in the BPE cache.
const cacheLimit = 10000

// whitespaceClass lists the Unicode White_Space code points, which is what
// \s means in the reference tokenizer's regular expressions (RE2's \s is
// ASCII only).
const whitespaceClass = `\t\n\x{0B}\f\r \x{85}\x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000}`

var (
	// clipSplit is CLIP's word pattern; only its matches are kept.
	clipSplit = regexp.MustCompile(`<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^` + whitespaceClass + `\p{L}\p{N}]+`)
	// byteLevelSplit is the GPT-2 pattern the byte-level step applies to each
	// piece; pieces never contain whitespace here, so its whitespace
	// alternatives are left out.
	byteLevelSplit = regexp.MustCompile(`'s|'t|'re|'ve|'m|'ll|'d|\p{L}+|\p{N}+|[^` + whitespaceClass + `\p{L}\p{N}]+`)
	// whitespaceRun is folded to a single space by the normalizer.
	whitespaceRun = regexp.MustCompile(`[` + whitespaceClass + `]+`)
)

type mergeKey struct{ a, b int32 }

type mergeVal struct{ rank, id int32 }

// Tokenizer is a CLIP byte-level BPE tokenizer. It is safe for concurrent use.
type Tokenizer struct {
	vocab     map[string]int
	merges    map[mergeKey]mergeVal
	alphabet  [256]string
	endOfWord string

	added      []addedToken // matched on the raw text
	addedNorm  []addedToken // matched on the normalized text
	bos, eos   int
	pad, unk   int
	hasUnk     bool
	maxLength  int
	specialMap map[string]string

	expand map[int][]int // added token id -> the ids it stands for (multi-vector embeddings)

	mu    sync.RWMutex
	cache map[string][]int
}

// LoadTokenizer reads a tokenizer folder: tokenizer.json when present (what
// transformers 5 save_pretrained writes), otherwise vocab.json and
// merges.txt; plus tokenizer_config.json and special_tokens_map.json when
// present. Only the vocabulary, merges and added tokens are taken from
// tokenizer.json: like transformers' CLIPTokenizer, the normalization and
// pre-tokenization steps are always CLIP's.
func LoadTokenizer(dir string) (*Tokenizer, error) {
	var fileAdded []tokenSpecWithID
	var bpe *BPE
	if tj, err := readTokenizerJSON(filepath.Join(dir, "tokenizer.json")); err == nil {
		bpe = &BPE{vocab: tj.Model.Vocab, merges: map[mergeKey]mergeVal{}, endOfWord: "</w>"}
		if tj.Model.EndOfWordSuffix != nil {
			bpe.endOfWord = *tj.Model.EndOfWordSuffix
		}
		if err := bpe.setMerges(tj.Model.Merges, filepath.Join(dir, "tokenizer.json")); err != nil {
			return nil, fmt.Errorf("clip: tokenizer: %w", err)
		}
		fileAdded = tj.AddedTokens
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("clip: tokenizer: %w", err)
	} else if bpe, err = readBPE(dir); err != nil {
		return nil, fmt.Errorf("clip: tokenizer: %w", err)
	}
	return newTokenizer(dir, bpe, fileAdded)
}

// LoadTokenizerBPE reads the tokenizer settings of dir
// (tokenizer_config.json, special_tokens_map.json) over an already parsed
// vocabulary (several tokenizers may share one); the vocabulary files of
// dir, if any, are not read.
func LoadTokenizerBPE(dir string, bpe *BPE) (*Tokenizer, error) {
	if bpe == nil {
		return nil, fmt.Errorf("clip: tokenizer %s: no vocabulary", dir)
	}
	return newTokenizer(dir, bpe, nil)
}

func newTokenizer(dir string, bpe *BPE, fileAdded []tokenSpecWithID) (*Tokenizer, error) {
	t := &Tokenizer{
		vocab:     bpe.vocab,
		merges:    bpe.merges,
		alphabet:  byteLevelAlphabet(),
		endOfWord: bpe.endOfWord,
		cache:     map[string][]int{},
	}
	spec, err := readSpecialTokens(dir, fileAdded)
	if err != nil {
		return nil, fmt.Errorf("clip: tokenizer: %w", err)
	}
	if err := t.setSpecialTokens(spec); err != nil {
		return nil, fmt.Errorf("clip: tokenizer %s: %w", dir, err)
	}
	return t, nil
}

// readJSONFile reads a tokenizer JSON file (a regular file of at most
// config.MaxTokenizerBytes; Python's NaN and Infinity accepted).
func readJSONFile(path string, dst any) error {
	b, err := config.ReadFile(context.Background(), path, config.MaxTokenizerBytes)
	if err != nil {
		return err
	}
	if err := config.Unmarshal(b, dst); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// ModelMaxLength is the length Encode truncates and pads to.
func (t *Tokenizer) ModelMaxLength() int { return t.maxLength }

// BOS returns the id of the beginning-of-sequence token.
func (t *Tokenizer) BOS() int { return t.bos }

// EOS returns the id of the end-of-sequence token.
func (t *Tokenizer) EOS() int { return t.eos }

// Pad returns the id of the padding token.
func (t *Tokenizer) Pad() int { return t.pad }

// VocabSize is the number of entries in vocab.json.
func (t *Tokenizer) VocabSize() int { return len(t.vocab) }

// SpecialTokens returns the special token strings by role (bos_token,
// eos_token, unk_token, pad_token).
func (t *Tokenizer) SpecialTokens() map[string]string {
	m := make(map[string]string, len(t.specialMap))
	for k, v := range t.specialMap {
		m[k] = v
	}
	return m
}

// Encode returns BOS + tokens + EOS, with the tokens truncated so the whole
// fits ModelMaxLength, padded with the pad token to exactly ModelMaxLength
// (what diffusers asks for: padding="max_length", truncation=True).
func (t *Tokenizer) Encode(text string) []int {
	return t.EncodeLength(text, t.maxLength)
}

// EncodeLength is Encode with another target length (at least 2).
func (t *Tokenizer) EncodeLength(text string, length int) []int {
	if length < 2 {
		length = 2
	}
	toks := t.Tokenize(text)
	if len(toks) > length-2 {
		toks = toks[:length-2]
	}
	out := make([]int, 0, length)
	out = append(out, t.bos)
	out = append(out, toks...)
	out = append(out, t.eos)
	for len(out) < length {
		out = append(out, t.pad)
	}
	return out
}

// EncodeUnpadded returns BOS + tokens + EOS without truncation or padding.
func (t *Tokenizer) EncodeUnpadded(text string) []int {
	toks := t.Tokenize(text)
	out := make([]int, 0, len(toks)+2)
	out = append(out, t.bos)
	out = append(out, toks...)
	return append(out, t.eos)
}

// Tokenize returns the token ids of text without BOS/EOS, truncation or padding.
func (t *Tokenizer) Tokenize(text string) []int {
	var ids []int
	for _, seg := range splitAdded(text, t.added) {
		if seg.id >= 0 {
			ids = append(ids, seg.id)
			continue
		}
		for _, nseg := range splitAdded(normalize(seg.text), t.addedNorm) {
			if e, ok := t.expand[nseg.id]; ok {
				ids = append(ids, e...)
				continue
			}
			if nseg.id >= 0 {
				ids = append(ids, nseg.id)
				continue
			}
			ids = t.appendWords(ids, nseg.text)
		}
	}
	return ids
}

// appendWords pre-tokenizes normalized text and appends the BPE ids of every word.
func (t *Tokenizer) appendWords(ids []int, text string) []int {
	for _, piece := range clipSplit.FindAllString(text, -1) {
		for _, word := range byteLevelSplit.FindAllString(piece, -1) {
			ids = append(ids, t.word(word)...)
		}
	}
	return ids
}

// word returns the BPE ids of one pre-tokenized word, through the cache.
func (t *Tokenizer) word(w string) []int {
	t.mu.RLock()
	ids, ok := t.cache[w]
	t.mu.RUnlock()
	if ok {
		return ids
	}
	ids = t.bpe(w)
	t.mu.Lock()
	if len(t.cache) < cacheLimit {
		t.cache[w] = ids
	}
	t.mu.Unlock()
	return ids
}

// bpe maps the word's bytes to the byte-level alphabet, marks the last symbol
// with the end-of-word suffix and applies merges lowest rank first (leftmost
// on ties) until none applies.
func (t *Tokenizer) bpe(w string) []int {
	n := len(w)
	syms := make([]int32, 0, n)
	for i := 0; i < n; i++ {
		s := t.alphabet[w[i]]
		if i == n-1 {
			s += t.endOfWord
		}
		id, ok := t.vocab[s]
		if !ok {
			id = t.unk
		}
		syms = append(syms, int32(id))
	}
	for len(syms) > 1 {
		best, bestRank := -1, int32(-1)
		var bestID int32
		for i := 0; i+1 < len(syms); i++ {
			m, ok := t.merges[mergeKey{syms[i], syms[i+1]}]
			if ok && (best < 0 || m.rank < bestRank) {
				best, bestRank, bestID = i, m.rank, m.id
			}
		}
		if best < 0 {
			break
		}
		syms[best] = bestID
		syms = append(syms[:best+1], syms[best+2:]...)
	}
	out := make([]int, len(syms))
	for i, s := range syms {
		out[i] = int(s)
	}
	return out
}
