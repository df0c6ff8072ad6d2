package paymentbi

import (
	"testing"

	"github.com/otelcol-payments/otelcol-payments/internal/lifecycletest"
	"github.com/otelcol-payments/otelcol-payments/processor/paymentbi/internal/metadata"
)

// Like mdatagen's generated tests: type, config struct, and create →
// start → shutdown twice for every signal.
func TestComponentLifecycle(t *testing.T) {
	lifecycletest.Processor(t, metadata.ProcessorType, NewFactory(), nil)
	lifecycletest.Connector(t, metadata.ConnectorType, NewConnectorFactory(), nil)
}
