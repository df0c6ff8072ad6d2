package lifecycletest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// reExports are component packages whose factory only re-exports one that
// is tested elsewhere.
var reExports = map[string]string{
	"connector/paymentbiconnector": "processor/paymentbi",
}

// Every component package has its lifecycle test: a component added
// without one fails here, not in a user's collector at start or shutdown.
func TestEveryComponentHasALifecycleTest(t *testing.T) {
	root := filepath.Join("..", "..")
	factories, err := filepath.Glob(filepath.Join(root, "*", "*", "factory.go"))
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, f := range factories {
		dir, _ := filepath.Rel(root, filepath.Dir(f))
		dir = filepath.ToSlash(dir)
		kind, _, _ := strings.Cut(dir, "/")
		if kind != "processor" && kind != "exporter" && kind != "connector" && kind != "extension" && kind != "receiver" {
			continue
		}
		tested := dir
		if other, ok := reExports[dir]; ok {
			tested = other
		}
		if _, err := os.Stat(filepath.Join(root, tested, "lifecycle_test.go")); err != nil {
			t.Errorf("%s has a factory but %s/lifecycle_test.go is missing (use lifecycletest)", dir, tested)
		}
		checked++
	}
	if checked < 10 {
		t.Fatalf("found only %d component packages; the walk no longer sees the repository", checked)
	}
}
