package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/goautopipe/diffusers/autopipeline"
	"github.com/goautopipe/diffusers/models/clip"
)

// warnTruncated warns about each prompt longer than its tokenizer's
// context (77 tokens for CLIP), naming the words that will be cut, as
// diffusers logs them.
func warnTruncated(w io.Writer, p autopipeline.Pipeline, r autopipeline.Request) {
	comps := p.Components()
	for _, c := range []struct {
		flag, text string
		tok        *clip.Tokenizer
	}{
		{"--prompt", r.Prompt, comps.Tokenizer()},
		{"--negative_prompt", r.NegativePrompt, comps.Tokenizer()},
		{"--prompt_2", r.Prompt2, comps.Tokenizer2()},
		{"--negative_prompt_2", r.NegativePrompt2, comps.Tokenizer2()},
	} {
		if c.text == "" || c.tok == nil {
			continue
		}
		limit := c.tok.ModelMaxLength() - 2 // the start and end tokens
		n, cut := truncatedWords(c.tok.Tokenize, c.text, limit)
		if cut != "" {
			fmt.Fprintf(w, "autopipe: warning: %s is %d tokens long and the text encoder reads %d; these words are cut: %q\n",
				c.flag, n, limit, cut)
		}
	}
}

// truncatedWords returns the token count of text and the words (split at
// spaces) that do not fit in limit tokens; a word cut in the middle is
// counted as cut. CLIP's tokens never span a space, so counting word by
// word gives the count of the whole text.
func truncatedWords(tokenize func(string) []int, text string, limit int) (int, string) {
	words := strings.Fields(text)
	total, cutAt := 0, -1
	for i, w := range words {
		total += len(tokenize(w))
		if total > limit && cutAt < 0 {
			cutAt = i
		}
	}
	if cutAt < 0 {
		return total, ""
	}
	return total, strings.Join(words[cutAt:], " ")
}
