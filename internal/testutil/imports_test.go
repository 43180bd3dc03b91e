package testutil

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// No library, command or example code imports the test helpers: only test
// files do (go list's Imports leaves test imports out).
func TestOnlyTestsImportTestutil(t *testing.T) {
	const self = "github.com/goautopipe/diffusers/internal/testutil"
	cmd := exec.Command("go", "list", "-f", `{{.ImportPath}}:{{join .Imports " "}}`, "./...")
	cmd.Dir = Root()
	out, err := cmd.Output()
	require.NoError(t, err)
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		pkg, imports, _ := strings.Cut(line, ":")
		if strings.HasPrefix(pkg, self) {
			continue
		}
		for _, imp := range strings.Fields(imports) {
			assert.False(t, imp == self || strings.HasPrefix(imp, self+"/"), "%s imports %s", pkg, imp)
		}
	}
}
