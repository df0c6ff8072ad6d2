package meteredotlpreceiver

import (
	"testing"

	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/receiver/otlpreceiver"

	"github.com/otelcol-payments/otelcol-payments/internal/e2e"
	"github.com/otelcol-payments/otelcol-payments/internal/lifecycletest"
)

// Like mdatagen's generated tests: type, config struct, and create →
// start → shutdown twice for every signal, on free ports.
func TestComponentLifecycle(t *testing.T) {
	f := NewFactory()
	cfg := f.CreateDefaultConfig().(*otlpreceiver.Config)
	if err := confmap.NewFromStringMap(map[string]any{"protocols": map[string]any{
		"grpc": map[string]any{"endpoint": e2e.FreeAddr(t)},
		"http": map[string]any{"endpoint": e2e.FreeAddr(t)},
	}}).Unmarshal(cfg); err != nil {
		t.Fatal(err)
	}
	lifecycletest.Receiver(t, f.Type(), f, cfg)
}
