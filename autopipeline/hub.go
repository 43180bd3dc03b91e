package autopipeline

import (
	"context"
	"fmt"
)

type hubOptions struct{}

func resolveHub(ctx context.Context, nameOrPath string, t Task, o *options) (string, error) {
	return "", fmt.Errorf("autopipeline: %s is not a local folder, and loading from the Hub is not available", nameOrPath)
}
