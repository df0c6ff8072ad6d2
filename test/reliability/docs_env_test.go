package reliability

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

// Every environment variable a profile or overlay reads is named in
// docs/deployment.md, so an operator can find what it does and its default.
func TestDeploymentDocNamesEveryProfileVariable(t *testing.T) {
	doc, err := os.ReadFile(repoFile(t, "docs/deployment.md"))
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob(repoFile(t, "config/*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	overlays, _ := filepath.Glob(repoFile(t, "config/overlays/*.yaml"))
	envRef := regexp.MustCompile(`\$\{env:([A-Z0-9_]+)`)
	seen := 0
	for _, f := range append(files, overlays...) {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range envRef.FindAllSubmatch(raw, -1) {
			seen++
			if !bytes.Contains(doc, []byte("`"+string(m[1])+"`")) {
				t.Errorf("%s reads %s, which docs/deployment.md does not name", filepath.Base(f), m[1])
			}
		}
	}
	if seen < 20 {
		t.Fatalf("found only %d variable references; the profiles moved?", seen)
	}
}
