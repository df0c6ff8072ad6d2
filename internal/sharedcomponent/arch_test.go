package sharedcomponent

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/otelcol-payments/otelcol-payments/internal/repotest"
)

// pending are the registries not yet moved onto Map, each with why.
var pending = map[string]string{
	"exporter/sentryexporter/dedup.go": "a ref-counted dedup book, not a component with Start/Shutdown",
}

// Components share instances through Map, not through a map keyed by
// their config with counters of their own (three such copies had drifted
// apart on what a failed start or a second shutdown does).
func TestNoHandRolledRegistries(t *testing.T) {
	registry := regexp.MustCompile(`map\[(\*Config|component\.Config)\]`)
	checked := repotest.GoSources(t, filepath.Join("..", ".."), func(rel string, src []byte) {
		if strings.HasPrefix(rel, "internal/sharedcomponent/") {
			return
		}
		_, isPending := pending[rel]
		switch {
		case registry.Match(src) && !isPending:
			t.Errorf("%s keeps instances in a map keyed by config: use sharedcomponent.Map", rel)
		case !registry.Match(src) && isPending:
			t.Errorf("%s no longer keeps its own registry: remove it from pending", rel)
		}
	})
	if checked < 100 {
		t.Fatalf("checked only %d files; the walk no longer sees the repository", checked)
	}
}
