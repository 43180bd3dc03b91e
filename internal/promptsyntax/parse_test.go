package promptsyntax_test

import (
	"testing"

	"github.com/goautopipe/diffusers/internal/promptsyntax"
	"github.com/stretchr/testify/require"
)

type frag = promptsyntax.Fragment

// The examples of A1111's parse_prompt_attention docstring
// (modules/prompt_parser.py), with its float64 products.
func TestParseA1111Examples(t *testing.T) {
	sq := promptsyntax.SquareMultiplier
	for _, c := range []struct {
		in   string
		want []frag
	}{
		{"normal text", []frag{{Text: "normal text", Weight: 1}}},
		{"an (important) word", []frag{{Text: "an ", Weight: 1}, {Text: "important", Weight: 1.1}, {Text: " word", Weight: 1}}},
		{"(unbalanced", []frag{{Text: "unbalanced", Weight: 1.1}}},
		{`\(literal\]`, []frag{{Text: "(literal]", Weight: 1}}},
		{"(unnecessary)(parens)", []frag{{Text: "unnecessaryparens", Weight: 1.1}}},
		{"a (((house:1.3)) [on] a (hill:0.5), sun, (((sky))).", []frag{
			{Text: "a ", Weight: 1},
			{Text: "house", Weight: 1.5730000000000004},
			{Text: " ", Weight: 1.1},
			{Text: "on", Weight: 1},
			{Text: " a ", Weight: 1.1},
			{Text: "hill", Weight: 0.55},
			{Text: ", sun, ", Weight: 1.1},
			{Text: "sky", Weight: 1.4641000000000006},
			{Text: ".", Weight: 1.1},
		}},
		{"", []frag{{Text: "", Weight: 1}}},
		{"[a] [[b]]", []frag{{Text: "a", Weight: sq}, {Text: " ", Weight: 1}, {Text: "b", Weight: sq * sq}}},
		{"(a:-0.5) (b:+2)", []frag{{Text: "a", Weight: -0.5}, {Text: " ", Weight: 1}, {Text: "b", Weight: 2}}},
		{"ratio 16:9, a:b", []frag{{Text: "ratio 16:9, a:b", Weight: 1}}},
		{"(a:1.2.3)", []frag{{Text: "a:1.2.3)", Weight: 1.1}}}, // A1111 fails on it; here it is text
		{"a) b]", []frag{{Text: "a) b]", Weight: 1}}},
	} {
		require.Equal(t, c.want, promptsyntax.Parse(c.in), c.in)
	}
}

func TestParseBreak(t *testing.T) {
	require.Equal(t, []frag{{Text: "a red circle", Weight: 1}, {Break: true}, {Text: "", Weight: 1}, {Text: "blue", Weight: 1.1}, {Text: " background", Weight: 1}},
		promptsyntax.Parse("a red circle BREAK (blue) background"), "A1111 keeps the empty text after BREAK")
	require.Equal(t, []frag{{Text: "", Weight: 1}, {Break: true}, {Text: "", Weight: 1}}, promptsyntax.Parse("BREAK"))
	require.Equal(t, []frag{{Text: "BREAKFAST break", Weight: 1}}, promptsyntax.Parse("BREAKFAST break"), "only the upper-case word")
}
