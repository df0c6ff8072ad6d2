package dashboardexporter

import (
	"testing"

	"github.com/otelcol-payments/otelcol-payments/exporter/dashboardexporter/internal/metadata"
	"github.com/otelcol-payments/otelcol-payments/internal/e2e"
	"github.com/otelcol-payments/otelcol-payments/internal/lifecycletest"
)

// Like mdatagen's generated tests: type, config struct, and create →
// start → shutdown twice for every signal.
func TestComponentLifecycle(t *testing.T) {
	cfg := NewFactory().CreateDefaultConfig().(*Config)
	cfg.NetAddr.Endpoint = e2e.FreeAddr(t)
	lifecycletest.Exporter(t, metadata.Type, NewFactory(), cfg)
}
