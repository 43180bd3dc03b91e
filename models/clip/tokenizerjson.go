package clip

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/goautopipe/diffusers/internal/config"
)

// tokenSpecWithID is one entry of tokenizer.json's added_tokens.
type tokenSpecWithID struct {
	ID int `json:"id"`
	tokenSpec
}

func (s *tokenSpecWithID) UnmarshalJSON(b []byte) error {
	var id struct {
		ID *int `json:"id"`
	}
	if err := json.Unmarshal(b, &id); err != nil {
		return err
	}
	if id.ID == nil {
		return fmt.Errorf("added token without id: %s", b)
	}
	s.ID = *id.ID
	return json.Unmarshal(b, &s.tokenSpec)
}

// mergeList is tokenizer.json's model.merges: ["a b", ...] or [["a", "b"], ...].
type mergeList [][2]string

func (m *mergeList) UnmarshalJSON(b []byte) error {
	var raw []json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	out := make([][2]string, len(raw))
	for i, r := range raw {
		var s string
		if err := json.Unmarshal(r, &s); err == nil {
			parts := strings.Split(s, " ")
			if len(parts) != 2 {
				return fmt.Errorf("merge %d %q: want two symbols", i, s)
			}
			out[i] = [2]string{parts[0], parts[1]}
			continue
		}
		var pair []string
		if err := json.Unmarshal(r, &pair); err != nil || len(pair) != 2 {
			return fmt.Errorf("merge %d: want \"a b\" or [\"a\", \"b\"], got %s", i, r)
		}
		out[i] = [2]string{pair[0], pair[1]}
	}
	*m = out
	return nil
}

type tokenizerJSON struct {
	AddedTokens []tokenSpecWithID `json:"added_tokens"`
	Model       struct {
		Type            string         `json:"type"`
		Vocab           map[string]int `json:"vocab"`
		Merges          mergeList      `json:"merges"`
		EndOfWordSuffix *string        `json:"end_of_word_suffix"`
	} `json:"model"`
}

// readTokenizerJSON reads the parts of a tokenizers tokenizer.json a CLIP
// tokenizer needs; the error wraps fs.ErrNotExist when the file is absent.
func readTokenizerJSON(path string) (*tokenizerJSON, error) {
	b, err := config.ReadFile(context.Background(), path, config.MaxTokenizerBytes)
	if err != nil {
		return nil, err
	}
	var tj tokenizerJSON
	if err := config.Unmarshal(b, &tj); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if tj.Model.Type != "" && tj.Model.Type != "BPE" {
		return nil, fmt.Errorf("%s: model type %q, want BPE", path, tj.Model.Type)
	}
	if len(tj.Model.Vocab) == 0 {
		return nil, fmt.Errorf("%s: empty model.vocab", path)
	}
	return &tj, nil
}
