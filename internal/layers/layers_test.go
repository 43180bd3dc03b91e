package layers

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const module = "github.com/goautopipe/diffusers/"

// deps lists the module packages pkg depends on (directly or not).
func deps(t *testing.T, pkg string) []string {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", module+pkg).Output()
	require.NoError(t, err)
	var ours []string
	for _, p := range strings.Fields(string(out)) {
		if strings.HasPrefix(p, module) && p != module+pkg {
			ours = append(ours, strings.TrimPrefix(p, module))
		}
	}
	return ours
}

// Each layer may use only the layers below it (see ../../STYLE of the
// README's Design section).
func TestLayering(t *testing.T) {
	allowed := map[string][]string{
		"hub":                 {},
		"tensor":              {"tensor/", "internal/parallel"},
		"schedulers":          {"tensor", "internal/config"},
		"models/unet":         {"models/", "tensor", "internal/"},
		"pipelines":           {"models/", "schedulers", "tensor", "internal/config", "internal/parallel", "internal/imaging"},
		"internal/engine":     {"pipelines", "models/", "schedulers", "tensor", "internal/"},
		"pipelines/sd":        {"pipelines", "internal/", "models/", "schedulers", "tensor"},
		"pipelines/sdxl":      {"pipelines", "internal/", "models/", "schedulers", "tensor"},
		"autopipeline":        {"pipelines", "hub", "internal/", "models/", "schedulers", "tensor"},
		"serve":               {"autopipeline", "serve/", "pipelines", "hub", "internal/", "models/", "schedulers", "tensor"},
		"internal/components": {"pipelines", "models/", "schedulers", "tensor", "internal/"},
	}
	for pkg, ok := range allowed {
		ok = append(ok, leaves...)
		for _, d := range deps(t, pkg) {
			permitted := false
			for _, prefix := range ok {
				if d == prefix || (strings.HasSuffix(prefix, "/") && strings.HasPrefix(d, prefix)) || strings.HasPrefix(d, prefix+"/") {
					permitted = true
				}
			}
			assert.True(t, permitted, "%s must not depend on %s", pkg, d)
		}
	}
}

// leaves are packages on the standard library alone that every layer may
// use: bounded, Python-compatible JSON reading, the bounds on config values
// and requests, and panic recovery.
var leaves = []string{"internal/config", "internal/limits", "internal/panics"}

func TestLeaves(t *testing.T) {
	for _, pkg := range leaves {
		assert.Empty(t, deps(t, pkg), "%s must use the standard library only", pkg)
	}
}

// Nothing below autopipeline reaches up to it or to the families.
func TestNoUpwardImports(t *testing.T) {
	for _, pkg := range []string{"pipelines", "internal/engine", "models/unet", "models/vae", "models/clip", "schedulers", "tensor", "hub"} {
		for _, d := range deps(t, pkg) {
			assert.NotEqual(t, "autopipeline", d, "%s imports autopipeline", pkg)
			assert.False(t, d == "serve" || strings.HasPrefix(d, "serve/"), "%s imports the server %s", pkg, d)
			assert.False(t, strings.HasPrefix(d, "pipelines/"), "%s imports the family %s", pkg, d)
			assert.False(t, strings.HasPrefix(d, "cmd/") || strings.HasPrefix(d, "examples/"), "%s imports %s", pkg, d)
		}
	}
}
