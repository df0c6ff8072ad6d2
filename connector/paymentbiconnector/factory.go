// Package paymentbiconnector exposes the paymentbi connector under the
// NewFactory name the OpenTelemetry Collector Builder calls. The connector
// itself lives beside the processor in processor/paymentbi, because both run
// one engine (see processor/paymentbi/README.md).
package paymentbiconnector

import (
	"go.opentelemetry.io/collector/connector"

	"github.com/otelcol-payments/otelcol-payments/processor/paymentbi"
)

// NewFactory returns the factory of the paymentbi connector
// (traces → metrics, logs → metrics).
func NewFactory() connector.Factory { return paymentbi.NewConnectorFactory() }
