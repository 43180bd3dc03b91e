package main

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The README's first program is this file.
func TestReadmeShowsThisProgram(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	src, err := os.ReadFile("main.go")
	require.NoError(t, err)
	assert.True(t, bytes.Contains(readme, append(append([]byte("```go\n"), src...), "```"...)),
		"README.md must show examples/hello/main.go verbatim")
}

var goBlock = regexp.MustCompile("(?s)```go\n(.*?)```")

// Every Go snippet of the READMEs compiles as written: each is
// type-checked as the body of a function with ctx, url, imgURL and maskURL
// in scope and the one autopipeline import (plus the standard library).
// Unused variables and imports are allowed: snippets are fragments.
func TestReadmeSnippetsCompile(t *testing.T) {
	imp := exportImporter(t)
	for _, path := range []string{"../../README.md", "../tutorial/README.md"} {
		data, err := os.ReadFile(path)
		require.NoError(t, err)
		for i, m := range goBlock.FindAllStringSubmatch(string(data), -1) {
			snippet := m[1]
			if strings.HasPrefix(strings.TrimSpace(snippet), "//") && strings.Contains(snippet, "package main") {
				continue // a whole program, built with the module
			}
			t.Run(fmt.Sprintf("%s#%d", path, i), func(t *testing.T) {
				require.NoError(t, typeCheck(imp, snippet), "snippet:\n%s", snippet)
			})
		}
	}
}

const wrapper = `package snippet

import (
	"context"
	"errors"
	"fmt"
	"image"
	"log"
	"os"

	"github.com/goautopipe/diffusers/autopipeline"
)

var (
	_ = errors.New
	_ = fmt.Println
	_ image.Image
	_ = log.Println
	_ = os.Exit
	_ autopipeline.Task
)

func snippet(ctx context.Context, url, imgURL, maskURL string) {
%s
}
`

// exportImporter imports packages from the export data the go command
// leaves in its build cache (go list -export), so nothing is type-checked
// from source twice.
func exportImporter(t *testing.T) types.Importer {
	out, err := exec.Command("go", "list", "-export", "-deps", "-f", "{{.ImportPath}}={{.Export}}",
		"github.com/goautopipe/diffusers/autopipeline").Output()
	require.NoError(t, err)
	files := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if path, file, ok := strings.Cut(line, "="); ok && file != "" {
			files[path] = file
		}
	}
	return importer.ForCompiler(token.NewFileSet(), "gc", func(path string) (io.ReadCloser, error) {
		f, ok := files[path]
		if !ok {
			return nil, fmt.Errorf("no export data for %s", path)
		}
		return os.Open(f)
	})
}

func typeCheck(imp types.Importer, snippet string) error {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "snippet.go", fmt.Sprintf(wrapper, snippet), 0)
	if err != nil {
		return err
	}
	var hard []string
	conf := types.Config{Importer: imp, Error: func(err error) {
		if te, ok := err.(types.Error); ok && te.Soft {
			return
		}
		hard = append(hard, err.Error())
	}}
	conf.Check("snippet", fset, []*ast.File{f}, nil)
	if len(hard) > 0 {
		return fmt.Errorf("%s", strings.Join(hard, "\n"))
	}
	return nil
}
