// Command funcsize lists the functions of Go packages that are longer than
// a number of lines or more complex than a cyclomatic complexity (1 + one
// per if, for, range, case, && and ||), and exits 1 when it finds any.
//
//	go run ./tools/funcsize -lines 60 -cyclo 15 ./pipelines/... ./internal/engine
package main

import (
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

type fn struct {
	pos          token.Position
	name         string
	lines, cyclo int
}

func main() {
	maxLines := flag.Int("lines", 60, "largest allowed function length in lines")
	maxCyclo := flag.Int("cyclo", 15, "largest allowed cyclomatic complexity")
	all := flag.Bool("all", false, "list every function, not only those over the limits")
	flag.Parse()
	var found []fn
	for _, arg := range flag.Args() {
		fns, err := scan(arg)
		if err != nil {
			fmt.Fprintln(os.Stderr, "funcsize:", err)
			os.Exit(2)
		}
		found = append(found, fns...)
	}
	sort.Slice(found, func(i, j int) bool { return found[i].cyclo*1000+found[i].lines > found[j].cyclo*1000+found[j].lines })
	over := 0
	for _, f := range found {
		bad := f.lines > *maxLines || f.cyclo > *maxCyclo
		if bad {
			over++
		}
		if bad || *all {
			fmt.Printf("%s:%d\t%s\tlines %d\tcyclomatic %d\n", f.pos.Filename, f.pos.Line, f.name, f.lines, f.cyclo)
		}
	}
	fmt.Printf("%d functions, %d over %d lines or cyclomatic %d\n", len(found), over, *maxLines, *maxCyclo)
	if over > 0 {
		os.Exit(1)
	}
}

// scan reads the non-test Go files of a folder ("dir/..." for the folder
// and those below it).
func scan(arg string) ([]fn, error) {
	root, recursive := strings.CutSuffix(arg, "/...")
	var out []fn
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != root && (!recursive || d.Name() == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		for _, decl := range f.Decls {
			if d, ok := decl.(*ast.FuncDecl); ok && d.Body != nil {
				out = append(out, measure(fset, d))
			}
		}
		return nil
	})
	return out, err
}

func measure(fset *token.FileSet, d *ast.FuncDecl) fn {
	name := d.Name.Name
	if d.Recv != nil && len(d.Recv.List) > 0 {
		name = recvName(d.Recv.List[0].Type) + "." + name
	}
	start, end := fset.Position(d.Pos()), fset.Position(d.End())
	cyclo := 1
	ast.Inspect(d.Body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.IfStmt, *ast.ForStmt, *ast.RangeStmt:
			cyclo++
		case *ast.CaseClause:
			if n.List != nil {
				cyclo++
			}
		case *ast.CommClause:
			if n.Comm != nil {
				cyclo++
			}
		case *ast.BinaryExpr:
			if n.Op == token.LAND || n.Op == token.LOR {
				cyclo++
			}
		}
		return true
	})
	return fn{pos: start, name: name, lines: end.Line - start.Line + 1, cyclo: cyclo}
}

func recvName(e ast.Expr) string {
	switch t := e.(type) {
	case *ast.StarExpr:
		return "*" + recvName(t.X)
	case *ast.Ident:
		return t.Name
	case *ast.IndexExpr:
		return recvName(t.X)
	case *ast.IndexListExpr:
		return recvName(t.X)
	}
	return "?"
}
