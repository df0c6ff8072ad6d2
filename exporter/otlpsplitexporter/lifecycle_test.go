package otlpsplitexporter

import (
	"testing"

	"github.com/otelcol-payments/otelcol-payments/exporter/otlpsplitexporter/internal/metadata"
	"github.com/otelcol-payments/otelcol-payments/internal/lifecycletest"
)

// Like mdatagen's generated tests: type, config struct, and create →
// start → shutdown twice for every signal.
func TestComponentLifecycle(t *testing.T) {
	lifecycletest.Exporter(t, metadata.Type, NewFactory(), loadConfig(t, "gateway"))
}
