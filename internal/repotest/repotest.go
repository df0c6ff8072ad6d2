// Package repotest reads the repository's own Go sources for the tests that
// keep its architecture rules (no hand-built HTTP clients, no hand-rolled
// registries, instruments only in TelemetryBuilders), so each rule is a
// pattern and not another copy of the walk.
package repotest // import "github.com/otelcol-payments/otelcol-payments/internal/repotest"

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// GoSources calls fn with the path relative to root (slash-separated) and
// the content of every non-test .go file under root, skipping bin/ and
// hidden directories, and returns how many it read. A walk error fails t.
func GoSources(t testing.TB, root string, fn func(rel string, src []byte)) int {
	t.Helper()
	read := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != root && (d.Name() == "bin" || strings.HasPrefix(d.Name(), ".")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		read++
		fn(filepath.ToSlash(rel), src)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return read
}
