// Package meteredotlpreceiver is the core OTLP receiver (type otlp, the same
// configuration and behaviour) that also counts, per signal, the items its
// pipelines accepted as "received" in the monitoring spend figures
// (internal/receivedcount).
package meteredotlpreceiver // import "github.com/otelcol-payments/otelcol-payments/receiver/meteredotlpreceiver"

import (
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/otlpreceiver"
	"go.opentelemetry.io/collector/receiver/xreceiver"

	"github.com/otelcol-payments/otelcol-payments/internal/receivedcount"
	"github.com/otelcol-payments/otelcol-payments/internal/spend"
)

// NewFactory returns the otlp receiver factory, counting into spend.Default.
func NewFactory() receiver.Factory { return newFactory(spend.Default) }

func newFactory(reg *spend.Registry) receiver.Factory {
	return receivedcount.Wrap(otlpreceiver.NewFactory().(xreceiver.Factory), reg)
}
