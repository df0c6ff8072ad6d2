package httpdelivery

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/otelcol-payments/otelcol-payments/internal/repotest"
)

// HTTP clients are built by confighttp (ToClient) from a `client:` config
// block, never by hand: a bare http.Client has no proxy, CA or timeout
// settings an operator can change. golangci-lint cannot express this rule
// (it sees identifiers, not composite literals), so this test does.
func TestNoHandBuiltHTTPClients(t *testing.T) {
	literal := regexp.MustCompile(`http\.(Client|Transport)\s*\{`)
	checked := repotest.GoSources(t, filepath.Join("..", ".."), func(rel string, src []byte) {
		for i, line := range strings.Split(string(src), "\n") {
			if literal.MatchString(line) && !strings.HasPrefix(strings.TrimSpace(line), "//") {
				assert.Fail(t, "hand-built HTTP client", "%s:%d: use confighttp.ClientConfig.ToClient", rel, i+1)
			}
		}
	})
	assert.Greater(t, checked, 100, "the walk found the sources")
}
