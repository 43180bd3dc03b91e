package clip_test

import (
	"fmt"

	"github.com/goautopipe/diffusers/models/clip"
)

func ExampleTokenizer_Encode() {
	tok, err := clip.LoadTokenizer("../../testdata/clip-tokenizer/sd15")
	if err != nil {
		fmt.Println(err)
		return
	}
	ids := tok.Encode("a photo of a cat")
	fmt.Println(len(ids), tok.ModelMaxLength())
	fmt.Println(ids[:8])
	fmt.Println(tok.Tokenize("A photo of a CAT!!"))
	// Output:
	// 77 77
	// [49406 320 1125 539 320 2368 49407 49407]
	// [320 1125 539 320 2368 748]
}
