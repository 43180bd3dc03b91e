package autopipeline

// The pipeline families, registered from their init functions.
import (
	_ "github.com/goautopipe/diffusers/pipelines/sd"
	_ "github.com/goautopipe/diffusers/pipelines/sdxl"
)
