package httpdelivery

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// HTTP clients are built by confighttp (ToClient) from a `client:` config
// block, never by hand: a bare http.Client has no proxy, CA or timeout
// settings an operator can change. golangci-lint cannot express this rule
// (it sees identifiers, not composite literals), so this test does.
func TestNoHandBuiltHTTPClients(t *testing.T) {
	literal := regexp.MustCompile(`http\.(Client|Transport)\s*\{`)
	root := filepath.Join("..", "..")
	checked := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "bin" || strings.HasPrefix(d.Name(), ".")) && path != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		checked++
		for i, line := range strings.Split(string(b), "\n") {
			if literal.MatchString(line) && !strings.HasPrefix(strings.TrimSpace(line), "//") {
				assert.Fail(t, "hand-built HTTP client", "%s:%d: use confighttp.ClientConfig.ToClient", path, i+1)
			}
		}
		return nil
	})
	require.NoError(t, err)
	assert.Greater(t, checked, 100, "the walk found the sources")
}
