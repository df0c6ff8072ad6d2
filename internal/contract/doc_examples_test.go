package contract

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The Go example of docs/conventions.md compiles against the module's OTel
// Go SDK and this package: the block is written out as a package next to
// stand-ins for what the example leaves to the application (Order,
// provider, classify) and built.
func TestConventionsGoExampleCompiles(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a package")
	}
	doc, err := os.ReadFile("../../docs/conventions.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(doc), "\n### OTel Go")
	if !ok {
		t.Fatal("docs/conventions.md has no '### OTel Go' section")
	}
	_, block, ok := strings.Cut(section, "```go\n")
	if !ok {
		t.Fatal("no ```go block in the OTel Go section")
	}
	block, _, _ = strings.Cut(block, "```\n")

	// Inside the module (so its go.mod and versions apply), in a directory
	// that ./... patterns skip.
	dir, err := os.MkdirTemp("../..", "_doccheck")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	files := map[string]string{
		"example.go": "package doccheck\n\n" + block,
		"standins.go": `package doccheck

import "context"

type Order struct {
	ID, Currency, Method, CustomerID string
	TotalMinor                      int64
}

var provider interface {
	Confirm(context.Context, Order) error
}

func classify(error) string { return "" }

var _, _ = emitPurchase, charge
`,
	}
	for name, src := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command("go", "vet", "./"+filepath.Base(dir))
	cmd.Dir = "../.."
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("the Go example of docs/conventions.md does not compile: %v\n%s", err, out)
	}
}
