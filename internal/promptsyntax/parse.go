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
	var res []Fragment
	var round, square []int
	multiply := func(from int, m float64) {
		for i := from; i < len(res); i++ {
			if !res[i].Break {
				res[i].Weight *= m
			}
		}
	}
	for _, m := range attention.FindAllStringSubmatchIndex(prompt, -1) {
		text := prompt[m[0]:m[1]]
		switch {
		case text[0] == '\\':
			res = append(res, Fragment{Text: text[1:], Weight: 1})
		case text == "(":
			round = append(round, len(res))
		case text == "[":
			square = append(square, len(res))
		case m[2] >= 0 && len(round) > 0 && finite(prompt[m[2]:m[3]]):
			w, _ := strconv.ParseFloat(prompt[m[2]:m[3]], 64)
			multiply(pop(&round), w)
		case text == ")" && len(round) > 0:
			multiply(pop(&round), RoundMultiplier)
		case text == "]" && len(square) > 0:
			multiply(pop(&square), SquareMultiplier)
		default:
			res = appendText(res, text)
		}
	}
	for _, at := range round {
		multiply(at, RoundMultiplier)
	}
	for _, at := range square {
		multiply(at, SquareMultiplier)
	}
	if len(res) == 0 {
		return []Fragment{{Weight: 1}}
	}
	return merge(res)
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
