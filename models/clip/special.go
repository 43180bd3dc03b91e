package clip

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"sort"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// addedToken is a token matched as a whole in the text before BPE (special
// tokens such as <|endoftext|>, and any token listed in added_tokens_decoder).
type addedToken struct {
	content    string
	id         int
	lstrip     bool
	rstrip     bool
	singleWord bool
	normalized bool // matched on the normalized text instead of the raw text
}

// tokenSpec is one token as written in tokenizer_config.json or
// special_tokens_map.json: a bare string or an AddedToken object.
type tokenSpec struct {
	Content    string `json:"content"`
	Lstrip     bool   `json:"lstrip"`
	Rstrip     bool   `json:"rstrip"`
	SingleWord bool   `json:"single_word"`
	Normalized *bool  `json:"normalized"`
	Special    *bool  `json:"special"`

	isString bool // written as a bare string
	mapFile  bool // read from special_tokens_map.json (an AddedToken there is special)
}

// equal is AddedToken equality: same text and flags (bare strings: same text).
func (s tokenSpec) equal(o tokenSpec) bool {
	if s.isString || o.isString {
		return s.isString == o.isString && s.Content == o.Content
	}
	return s.Content == o.Content && s.Lstrip == o.Lstrip && s.Rstrip == o.Rstrip && s.SingleWord == o.SingleWord &&
		s.special() == o.special() && s.normalizedOr(!s.special()) == o.normalizedOr(!o.special())
}

func (s tokenSpec) special() bool { return s.mapFile || (s.Special != nil && *s.Special) }

func (s tokenSpec) normalizedOr(def bool) bool {
	if s.Normalized != nil {
		return *s.Normalized
	}
	return def
}

func (s *tokenSpec) UnmarshalJSON(b []byte) error {
	var str string
	if err := json.Unmarshal(b, &str); err == nil {
		*s = tokenSpec{Content: str, isString: true}
		return nil
	}
	type plain tokenSpec
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*s = tokenSpec(p)
	return nil
}

var specialRoles = []string{"bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token"}

var defaultSpecial = map[string]string{
	"bos_token": "<|startoftext|>",
	"eos_token": "<|endoftext|>",
	"unk_token": "<|endoftext|>",
	"pad_token": "<|endoftext|>",
}

// specialConfig is what the two json files say about special tokens.
type specialConfig struct {
	roles     map[string]tokenSpec
	decoder   map[int]tokenSpec // added_tokens_decoder, by id
	extra     []tokenSpec
	maxLength int
}

// readSpecialTokens reads tokenizer_config.json and special_tokens_map.json
// with the precedence transformers uses: when tokenizer_config.json carries
// added_tokens_decoder, special_tokens_map.json is not read; otherwise its
// entries override the config's.
// fileAdded are the added_tokens of tokenizer.json, which stand in for
// added_tokens_decoder when tokenizer_config.json has none.
func readSpecialTokens(dir string, fileAdded []tokenSpecWithID) (*specialConfig, error) {
	sc := &specialConfig{roles: map[string]tokenSpec{}, decoder: map[int]tokenSpec{}, maxLength: DefaultModelMaxLength}
	raw := map[string]json.RawMessage{}
	cfgPath := filepath.Join(dir, "tokenizer_config.json")
	if err := readJSONFile(cfgPath, &raw); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	if err := decodeRoles(cfgPath, raw, sc, false); err != nil {
		return nil, err
	}
	if err := sc.decodeMaxLength(cfgPath, raw["model_max_length"]); err != nil {
		return nil, err
	}
	if v, ok := raw["added_tokens_decoder"]; ok {
		return sc, sc.decodeDecoder(cfgPath, v)
	}
	mapPath := filepath.Join(dir, "special_tokens_map.json")
	sm := map[string]json.RawMessage{}
	if err := readJSONFile(mapPath, &sm); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	if err := decodeRoles(mapPath, sm, sc, true); err != nil {
		return nil, err
	}
	for _, a := range fileAdded {
		sc.decoder[a.ID] = a.tokenSpec
	}
	return sc, nil
}

// decodeMaxLength reads model_max_length (absent: unchanged); values
// outside [2, 2^20], such as transformers' "very large" sentinel, keep the
// default.
func (sc *specialConfig) decodeMaxLength(path string, v json.RawMessage) error {
	if v == nil {
		return nil
	}
	n, err := modelMaxLength(v)
	if err != nil {
		return fmt.Errorf("%s: model_max_length: %w", path, err)
	}
	sc.maxLength = n
	return nil
}

// decodeDecoder reads added_tokens_decoder, a map from id (as a string) to
// token.
func (sc *specialConfig) decodeDecoder(path string, v json.RawMessage) error {
	dec := map[string]tokenSpec{}
	if err := json.Unmarshal(v, &dec); err != nil {
		return fmt.Errorf("%s: added_tokens_decoder: %w", path, err)
	}
	for k, s := range dec {
		var id int
		if _, err := fmt.Sscan(k, &id); err != nil {
			return fmt.Errorf("%s: added_tokens_decoder key %q: %w", path, k, err)
		}
		sc.decoder[id] = s
	}
	return nil
}

func decodeRoles(path string, raw map[string]json.RawMessage, sc *specialConfig, mapFile bool) error {
	for _, role := range specialRoles {
		v, ok := raw[role]
		if !ok || string(v) == "null" {
			continue
		}
		var s tokenSpec
		if err := json.Unmarshal(v, &s); err != nil {
			return fmt.Errorf("%s: %s: %w", path, role, err)
		}
		s.mapFile = mapFile && !s.isString
		sc.roles[role] = s
	}
	for _, key := range []string{"additional_special_tokens", "extra_special_tokens"} {
		v, ok := raw[key]
		if !ok || string(v) == "null" {
			continue
		}
		var list []tokenSpec
		if err := json.Unmarshal(v, &list); err != nil {
			continue // a dict of model-specific names: not matched in text here
		}
		for _, s := range list {
			s.mapFile = mapFile && !s.isString
			sc.extra = append(sc.extra, s)
		}
	}
	return nil
}

// setSpecialTokens resolves ids and matching flags of the special and added
// tokens the way transformers registers them: every added_tokens_decoder
// entry as written; then the role tokens (bos, eos, unk, sep, pad, cls, mask,
// then additional ones) whose text is not already an added token, dropping
// exact duplicates (same text and flags) and letting a later entry's flags
// win for the same text. A bare string is a special token matched on the raw
// text (normalized=false).
func (t *Tokenizer) setSpecialTokens(sc *specialConfig) error {
	t.maxLength = sc.maxLength
	reg := newTokenRegistry(t.vocab, sc.decoder)
	fromDecoder := map[string]bool{}
	for _, id := range sortedIDs(sc.decoder) {
		s := sc.decoder[id]
		reg.set(s, s.normalizedOr(!s.special()))
		fromDecoder[s.Content] = true
	}
	var cands []tokenSpec
	t.specialMap, cands = roleCandidates(sc, fromDecoder)
	for _, s := range cands {
		if s.isString {
			reg.set(s, false)
		} else {
			reg.set(s, s.normalizedOr(!s.special()))
		}
	}
	for _, c := range reg.order {
		a := reg.flags[c]
		if a.normalized {
			t.addedNorm = append(t.addedNorm, a)
		} else {
			t.added = append(t.added, a)
		}
	}
	t.bos = reg.id(t.specialMap["bos_token"])
	t.eos = reg.id(t.specialMap["eos_token"])
	t.pad = reg.id(t.specialMap["pad_token"])
	t.unk = reg.id(t.specialMap["unk_token"])
	return nil
}

func sortedIDs(decoder map[int]tokenSpec) []int {
	ids := make([]int, 0, len(decoder))
	for id := range decoder {
		ids = append(ids, id)
	}
	sort.Ints(ids)
	return ids
}

// roleCandidates returns the text of every role (defaults filled in) and
// the role and additional tokens to register: those whose text is not an
// added_tokens_decoder entry, exact duplicates dropped.
func roleCandidates(sc *specialConfig, fromDecoder map[string]bool) (map[string]string, []tokenSpec) {
	roles := map[string]string{}
	var cands []tokenSpec
	consider := func(s tokenSpec) {
		if s.Content == "" || fromDecoder[s.Content] {
			return
		}
		for _, c := range cands {
			if c.equal(s) {
				return
			}
		}
		cands = append(cands, s)
	}
	for _, role := range specialRoles {
		s, ok := sc.roles[role]
		if !ok {
			if defaultSpecial[role] == "" {
				continue
			}
			s = tokenSpec{Content: defaultSpecial[role], isString: true}
		}
		roles[role] = s.Content
		consider(s)
	}
	for _, s := range sc.extra {
		consider(s)
	}
	return roles, cands
}

// tokenRegistry gives added tokens their ids (the vocabulary's, the
// decoder's, or the next free one) and keeps their matching flags in the
// order they were first registered.
type tokenRegistry struct {
	vocab     map[string]int
	byContent map[string]int
	nextID    int
	flags     map[string]addedToken
	order     []string
}

func newTokenRegistry(vocab map[string]int, decoder map[int]tokenSpec) *tokenRegistry {
	r := &tokenRegistry{vocab: vocab, byContent: map[string]int{}, nextID: len(vocab), flags: map[string]addedToken{}}
	for id, s := range decoder {
		r.byContent[s.Content] = id
		r.nextID = max(r.nextID, id+1)
	}
	return r
}

// id returns the id of a token text, assigning the next free id to a new one.
func (r *tokenRegistry) id(content string) int {
	if id, ok := r.vocab[content]; ok {
		return id
	}
	if id, ok := r.byContent[content]; ok {
		return id
	}
	id := r.nextID
	r.nextID++
	r.byContent[content] = id
	return id
}

// set registers s (a later call for the same text replaces its flags).
func (r *tokenRegistry) set(s tokenSpec, normalized bool) {
	if s.Content == "" {
		return
	}
	if _, ok := r.flags[s.Content]; !ok {
		r.order = append(r.order, s.Content)
	}
	r.flags[s.Content] = addedToken{content: s.Content, id: r.id(s.Content), lstrip: s.Lstrip, rstrip: s.Rstrip,
		singleWord: s.SingleWord, normalized: normalized}
}

type segment struct {
	text string
	id   int // -1: plain text
}

// splitAdded cuts text at the leftmost-longest occurrences of the tokens,
// honouring their lstrip/rstrip/single_word flags. Empty plain segments are
// dropped.
func splitAdded(text string, toks []addedToken) []segment {
	if len(toks) == 0 {
		if text == "" {
			return nil
		}
		return []segment{{text: text, id: -1}}
	}
	var out []segment
	startOffset := 0
	for i := 0; i < len(text); {
		best := longestAt(text[i:], toks)
		if best < 0 {
			i++
			continue
		}
		tok := toks[best]
		start, stop := i, i+len(tok.content)
		i = stop
		if tok.singleWord && (endsWithWord(text[:start]) || startsWithWord(text[stop:])) {
			continue
		}
		start, stop = tok.strip(text, start, stop, startOffset)
		i = max(i, stop)
		if startOffset < start {
			out = append(out, segment{text: text[startOffset:start], id: -1})
		}
		out = append(out, segment{id: tok.id})
		startOffset = stop
	}
	if startOffset < len(text) {
		out = append(out, segment{text: text[startOffset:], id: -1})
	}
	return out
}

// longestAt returns the index of the longest token text is prefixed by, or -1.
func longestAt(text string, toks []addedToken) int {
	best := -1
	for j := range toks {
		if strings.HasPrefix(text, toks[j].content) && (best < 0 || len(toks[j].content) > len(toks[best].content)) {
			best = j
		}
	}
	return best
}

// strip widens the match text[start:stop] over the white space before it
// (lstrip, not before startOffset) and after it (rstrip).
func (a addedToken) strip(text string, start, stop, startOffset int) (int, int) {
	if a.lstrip {
		s := len(strings.TrimRightFunc(text[:start], unicode.IsSpace))
		start = max(s, startOffset)
	}
	if a.rstrip {
		stop = len(text) - len(strings.TrimLeftFunc(text[stop:], unicode.IsSpace))
	}
	return start, stop
}

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' }

func endsWithWord(s string) bool {
	for _, r := range lastRune(s) {
		return isWordRune(r)
	}
	return false
}

func startsWithWord(s string) bool {
	for _, r := range s {
		return isWordRune(r)
	}
	return false
}

func lastRune(s string) []rune {
	r := []rune(s)
	if len(r) == 0 {
		return nil
	}
	return r[len(r)-1:]
}

// normalize applies NFC, folds every whitespace run to one space and
// lowercases code point by code point (U+0130 becomes "i" + U+0307, as
// Unicode's full lowercase mapping says).
func normalize(s string) string {
	s = norm.NFC.String(s)
	s = whitespaceRun.ReplaceAllString(s, " ")
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		if r == '\u0130' {
			b.WriteString("i\u0307")
			continue
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}
