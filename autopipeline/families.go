package autopipeline

// The pipeline families, registered from their init functions.
import (
	_ "github.com/goautopipe/autopipeline/pipelines/sd"
	_ "github.com/goautopipe/autopipeline/pipelines/sdxl"
)
