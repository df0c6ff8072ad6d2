package sampledforward

import (
	"testing"

	"github.com/otelcol-payments/otelcol-payments/connector/sampledforward/internal/metadata"
	"github.com/otelcol-payments/otelcol-payments/internal/lifecycletest"
)

// Like mdatagen's generated tests: type, config struct, and create →
// start → shutdown twice.
func TestComponentLifecycle(t *testing.T) {
	lifecycletest.Connector(t, metadata.Type, NewFactory(), nil)
}
