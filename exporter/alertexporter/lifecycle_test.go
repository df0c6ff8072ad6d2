package alertexporter

import (
	"testing"

	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/metadata"
	"github.com/otelcol-payments/otelcol-payments/internal/lifecycletest"
)

// Like mdatagen's generated tests: type, config struct, and create →
// start → shutdown twice for every signal.
func TestComponentLifecycle(t *testing.T) {
	lifecycletest.Exporter(t, metadata.Type, NewFactory(), logOnlyConfig(), lifecycletest.Options{
		SkipConfigStructBecause: "route.Config is recursive (routes of routes)",
	})
}
