package clip

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/goautopipe/diffusers/internal/config"
)

// BPE is a parsed byte-level BPE vocabulary and merge list (vocab.json and
// merges.txt). It is read-only once parsed: tokenizers built over it with
// LoadTokenizerBPE share it.
type BPE struct {
	vocab     map[string]int
	merges    map[mergeKey]mergeVal
	endOfWord string
}

// ParseBPE parses the contents of vocab.json (at most
// config.MaxTokenizerBytes; Python's NaN and Infinity accepted) and
// merges.txt.
func ParseBPE(vocabJSON, mergesTxt []byte) (*BPE, error) {
	if len(vocabJSON) > config.MaxTokenizerBytes || len(mergesTxt) > config.MaxTokenizerBytes {
		return nil, fmt.Errorf("clip: vocabulary of %d and %d bytes (at most %d each)", len(vocabJSON), len(mergesTxt), config.MaxTokenizerBytes)
	}
	b := &BPE{vocab: map[string]int{}, merges: map[mergeKey]mergeVal{}, endOfWord: "</w>"}
	if err := config.Unmarshal(vocabJSON, &b.vocab); err != nil {
		return nil, fmt.Errorf("clip: vocab.json: %w", err)
	}
	merges, err := parseMerges(bytes.NewReader(mergesTxt), "merges.txt")
	if err != nil {
		return nil, fmt.Errorf("clip: %w", err)
	}
	if err := b.setMerges(merges, "merges.txt"); err != nil {
		return nil, fmt.Errorf("clip: %w", err)
	}
	return b, nil
}

// readBPE reads dir/vocab.json and dir/merges.txt.
func readBPE(dir string) (*BPE, error) {
	b := &BPE{vocab: map[string]int{}, merges: map[mergeKey]mergeVal{}, endOfWord: "</w>"}
	if err := readJSONFile(filepath.Join(dir, "vocab.json"), &b.vocab); err != nil {
		return nil, err
	}
	path := filepath.Join(dir, "merges.txt")
	f, err := config.OpenFile(context.Background(), path, config.MaxTokenizerBytes)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	merges, err := parseMerges(f, path)
	if err != nil {
		return nil, err
	}
	return b, b.setMerges(merges, path)
}

// parseMerges reads merges.txt: one "a b" pair a line after an optional
// "#version" header.
func parseMerges(r io.Reader, path string) ([][2]string, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	var out [][2]string
	for lineNo := 1; sc.Scan(); lineNo++ {
		line := strings.TrimRight(sc.Text(), "\r")
		if (lineNo == 1 && strings.HasPrefix(line, "#version")) || line == "" {
			continue
		}
		a, b, ok := strings.Cut(line, " ")
		if !ok || strings.Contains(b, " ") {
			return nil, fmt.Errorf("%s:%d: a merge needs exactly two symbols", path, lineNo)
		}
		out = append(out, [2]string{a, b})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return out, nil
}

// setMerges ranks the merges in order (a repeated pair keeps its last rank).
func (b *BPE) setMerges(merges [][2]string, path string) error {
	for rank, m := range merges {
		x, okA := b.vocab[m[0]]
		y, okB := b.vocab[m[1]]
		xy, okAB := b.vocab[m[0]+m[1]]
		if !okA || !okB || !okAB {
			return fmt.Errorf("%s: merge %d %q uses a token outside the vocabulary", path, rank, m[0]+" "+m[1])
		}
		b.merges[mergeKey{int32(x), int32(y)}] = mergeVal{rank: int32(rank), id: int32(xy)}
	}
	return nil
}
