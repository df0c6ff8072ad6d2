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

// TestDocsPrometheusNamesMatchTheExporter keeps the "Prometheus name"
// column of the metric tables true: a reader copies it into PromQL, so it
// must be the name the prometheus exporter serves (Metric.PrometheusName,
// the exporter's own namer), e.g. inventory_depletion_rate_per_hour.
func TestDocsPrometheusNamesMatchTheExporter(t *testing.T) {
	for _, path := range []string{"../../docs/conventions.md", "../../processor/paymentbi/README.md"} {
		doc, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		checked := 0
		for _, line := range strings.Split(string(doc), "\n") {
			cells := strings.Split(strings.Trim(strings.TrimSpace(line), "|"), "|")
			if len(cells) < 5 {
				continue
			}
			name := strings.Trim(strings.TrimSpace(cells[0]), "`")
			m, ok := LookupMetric(name)
			if !ok {
				continue
			}
			last := strings.TrimSpace(cells[len(cells)-1])
			if !strings.HasPrefix(last, "`") {
				continue // a table without a Prometheus column
			}
			checked++
			// A histogram may be written name_* for its _bucket, _sum, _count.
			if got, want := strings.TrimSuffix(strings.Trim(last, "`"), "_*"), m.PrometheusName(); got != want {
				t.Errorf("%s: %s is served as %s, the table says %s", path, name, want, got)
			}
		}
		if checked < 20 {
			t.Errorf("%s: only %d metric rows with a Prometheus name found; the table format changed", path, checked)
		}
	}
}
