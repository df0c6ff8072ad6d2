package noechoextension

import (
	"testing"

	"github.com/otelcol-payments/otelcol-payments/extension/noechoextension/internal/metadata"
	"github.com/otelcol-payments/otelcol-payments/internal/lifecycletest"
)

// Like mdatagen's generated tests: type, config struct, and create →
// start → shutdown twice for every signal.
func TestComponentLifecycle(t *testing.T) {
	lifecycletest.Extension(t, metadata.Type, NewFactory(), nil)
}
