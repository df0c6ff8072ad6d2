// Package meteredkafkareceiver is the contrib Kafka receiver (type kafka,
// the same configuration and behaviour) that also counts, per signal, the
// items its pipelines accepted as "received" in the monitoring spend
// figures (internal/receivedcount): the gateways of the Kafka scale-out
// receive from Kafka, not OTLP.
package meteredkafkareceiver // import "github.com/otelcol-payments/otelcol-payments/receiver/meteredkafkareceiver"

import (
	"github.com/open-telemetry/opentelemetry-collector-contrib/receiver/kafkareceiver"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/xreceiver"

	"github.com/otelcol-payments/otelcol-payments/internal/receivedcount"
	"github.com/otelcol-payments/otelcol-payments/internal/spend"
)

// NewFactory returns the kafka receiver factory, counting into
// spend.Default.
func NewFactory() receiver.Factory {
	return receivedcount.Wrap(kafkareceiver.NewFactory().(xreceiver.Factory), spend.Default)
}
