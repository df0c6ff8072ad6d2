package meteredkafkareceiver

import (
	"testing"

	"github.com/otelcol-payments/otelcol-payments/internal/lifecycletest"
)

// Like mdatagen's generated tests: type, config struct, and create →
// start → shutdown twice for every signal (the client connects lazily, so
// no broker is needed).
func TestComponentLifecycle(t *testing.T) {
	f := NewFactory()
	lifecycletest.Receiver(t, f.Type(), f, nil)
}
