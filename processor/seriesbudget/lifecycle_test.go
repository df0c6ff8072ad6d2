package seriesbudget

import (
	"testing"

	"github.com/otelcol-payments/otelcol-payments/internal/lifecycletest"
	"github.com/otelcol-payments/otelcol-payments/processor/seriesbudget/internal/metadata"
)

// Like mdatagen's generated tests: type, config struct, and create →
// start → shutdown twice for every signal.
func TestComponentLifecycle(t *testing.T) {
	lifecycletest.Processor(t, metadata.Type, NewFactory(), nil)
}
