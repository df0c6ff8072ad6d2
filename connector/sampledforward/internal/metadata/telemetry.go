package metadata

import (
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/otel/metric"
)

// SpansMetric counts spans seen, by whether they were forwarded.
const SpansMetric = "otelcol_connector_sampled_forward_spans"

// TelemetryBuilder holds the connector's own metrics, in the shape of
// mdatagen's TelemetryBuilder.
type TelemetryBuilder struct {
	Spans metric.Int64Counter
}

// NewTelemetryBuilder creates the instruments.
func NewTelemetryBuilder(set component.TelemetrySettings) (*TelemetryBuilder, error) {
	spans, err := set.MeterProvider.Meter(ScopeName).Int64Counter(SpansMetric,
		metric.WithDescription("Spans the sampled_forward connector saw, by whether it forwarded them (sampled)."),
		metric.WithUnit("{span}"))
	if err != nil {
		return nil, err
	}
	return &TelemetryBuilder{Spans: spans}, nil
}
