package autopipeline

import "fmt"

// movedRepos maps Hub repositories known to have been removed to their
// official copies.
var movedRepos = map[string]string{
	"runwayml/stable-diffusion-v1-5":       "stable-diffusion-v1-5/stable-diffusion-v1-5",
	"runwayml/stable-diffusion-inpainting": "stable-diffusion-v1-5/stable-diffusion-inpainting",
}

// MovedRepoError is returned when a Hub repository known to have been
// removed cannot be fetched; Successor is its official copy. It wraps the
// Hub's error.
type MovedRepoError struct {
	Repo, Successor string
	Err             error
}

func (e *MovedRepoError) Error() string {
	return fmt.Sprintf("autopipeline: %s was removed from the Hugging Face Hub; use its official copy %s (%v)", e.Repo, e.Successor, e.Err)
}

func (e *MovedRepoError) Unwrap() error { return e.Err }

// movedError wraps a Hub error for repo in a MovedRepoError when repo is
// known to have been removed.
func movedError(repo string, err error) error {
	if to, ok := movedRepos[repo]; ok {
		return &MovedRepoError{Repo: repo, Successor: to, Err: err}
	}
	return fmt.Errorf("autopipeline: %w", err)
}
