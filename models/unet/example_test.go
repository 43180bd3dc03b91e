package unet_test

import (
	"context"
	"fmt"

	"github.com/goautopipe/diffusers/models/unet"
	"github.com/goautopipe/diffusers/models/weights"
	"github.com/goautopipe/diffusers/tensor"
)

// Load a UNet component folder and predict the noise for a batch of two
// latents (classifier-free guidance: unconditional and conditional rows).
func Example() {
	m, err := unet.Load("../../testdata/tiny-sd/unet", weights.OpenOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	c := m.Config()
	latents := tensor.New(2, c.InChannels, 16, 16)
	text := tensor.New(2, 77, c.CrossAttentionDim[0]) // CLIP last hidden states
	eps, err := m.Forward(context.Background(), latents, []float32{981}, text, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(tensor.Shape(eps))

	// A mismatched input is an error, not a panic.
	_, err = m.Forward(context.Background(), latents, []float32{981}, tensor.New(2, 77, 1024), nil)
	fmt.Println(err)
	// Output:
	// [2 4 16 16]
	// unet: encoder hidden states have width 1024, the model expects cross_attention_dim=32
}
