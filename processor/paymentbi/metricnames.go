package paymentbi

import "github.com/otelcol-payments/otelcol-payments/processor/paymentbi/internal/engine"

// MetricNames lists every metric name the paymentbi connector can emit.
func MetricNames() []string { return engine.MetricNames() }
