package contract

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestConventionsDocCoversEveryConstant keeps docs/conventions.md and this
// package in step: every string constant here (keys, event and span names,
// enumerated values) must appear in the document as `code`.
func TestConventionsDocCoversEveryConstant(t *testing.T) {
	doc, err := os.ReadFile("../../docs/conventions.md")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	pkgs, err := parser.ParseDir(fset, ".", func(fi os.FileInfo) bool { return !strings.HasSuffix(fi.Name(), "_test.go") }, 0)
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, f := range pkgs["contract"].Files {
		for _, decl := range f.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, v := range vs.Values {
					lit, ok := v.(*ast.BasicLit)
					if !ok || lit.Kind != token.STRING {
						continue
					}
					s, _ := strconv.Unquote(lit.Value)
					seen++
					if !strings.Contains(string(doc), "`"+s+"`") {
						t.Errorf("%s = %q is not documented in docs/conventions.md", vs.Names[i].Name, s)
					}
				}
			}
		}
	}
	if seen < 100 {
		t.Fatalf("found only %d string constants; the parser missed the package", seen)
	}
}
