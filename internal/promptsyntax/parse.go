package promptsyntax

import (
	"regexp"
	"strconv"
)

// Fragment is a piece of prompt text with its attention weight. A Break
// fragment (from BREAK) has no text and starts a new chunk.
type Fragment struct {
	Text   string
	Weight float64
	Break  bool
}

// The multipliers of (text) and [text].
const (
	RoundMultiplier  = 1.1
	SquareMultiplier = 1 / 1.1
)

// MaxPromptBytes bounds the prompt Parse reads; the rest is dropped.
const MaxPromptBytes = 64 << 10

// attention tokenizes the syntax, in A1111's order of alternatives: escapes,
// openers, ":weight)", closers, plain text, a lone colon.
var attention = regexp.MustCompile(`\\\(|\\\)|\\\[|\\\]|\\\\|\\|\(|\[|:\s*([+-]?[.\d]+)\s*\)|\)|\]|[^\\()\[\]:]+|:`)

var breakWord = regexp.MustCompile(`\s*\bBREAK\b\s*`)

// Parse splits prompt into fragments with their weights, merging neighbours
// of equal weight. An empty prompt gives one empty fragment of weight 1.
// A weight that is not a finite number ("(a:1.2.3)") is read as text.
func Parse(prompt string) []Fragment {
	if len(prompt) > MaxPromptBytes {
		prompt = prompt[:MaxPromptBytes]
	}
	var p parser
	for _, m := range attention.FindAllStringSubmatchIndex(prompt, -1) {
		weight := ""
		if m[2] >= 0 {
			weight = prompt[m[2]:m[3]]
		}
		p.token(prompt[m[0]:m[1]], weight)
	}
	for _, at := range p.round {
		p.multiply(at, RoundMultiplier)
	}
	for _, at := range p.square {
		p.multiply(at, SquareMultiplier)
	}
	if len(p.res) == 0 {
		return []Fragment{{Weight: 1}}
	}
	return merge(p.res)
}

// parser holds the fragments so far and the open brackets (as the index of
// the first fragment inside each).
type parser struct {
	res           []Fragment
	round, square []int
}

// token handles one match of the attention pattern; weight is the number
// of a ":weight)" match.
func (p *parser) token(text, weight string) {
	switch {
	case text[0] == '\\':
		p.res = append(p.res, Fragment{Text: text[1:], Weight: 1})
	case text == "(":
		p.round = append(p.round, len(p.res))
	case text == "[":
		p.square = append(p.square, len(p.res))
	case weight != "" && len(p.round) > 0 && finite(weight):
		w, _ := strconv.ParseFloat(weight, 64)
		p.multiply(pop(&p.round), w)
	case text == ")" && len(p.round) > 0:
		p.multiply(pop(&p.round), RoundMultiplier)
	case text == "]" && len(p.square) > 0:
		p.multiply(pop(&p.square), SquareMultiplier)
	default:
		p.res = appendText(p.res, text)
	}
}

// multiply scales the weights of the fragments from index from on.
func (p *parser) multiply(from int, m float64) {
	for i := from; i < len(p.res); i++ {
		if !p.res[i].Break {
			p.res[i].Weight *= m
		}
	}
}

// appendText appends plain text, split at BREAK.
func appendText(res []Fragment, text string) []Fragment {
	for i, part := range breakWord.Split(text, -1) {
		if i > 0 {
			res = append(res, Fragment{Break: true})
		}
		res = append(res, Fragment{Text: part, Weight: 1})
	}
	return res
}

// merge joins neighbouring fragments of equal weight (never across a break).
func merge(res []Fragment) []Fragment {
	out := res[:1]
	for _, f := range res[1:] {
		last := &out[len(out)-1]
		if !f.Break && !last.Break && f.Weight == last.Weight {
			last.Text += f.Text
			continue
		}
		out = append(out, f)
	}
	return out
}

func pop(s *[]int) int {
	v := (*s)[len(*s)-1]
	*s = (*s)[:len(*s)-1]
	return v
}

func finite(s string) bool {
	_, err := strconv.ParseFloat(s, 64)
	return err == nil
}
