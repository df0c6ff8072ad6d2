package metadata

import (
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/otel/metric"
)

// TelemetryBuilder holds the exporter's own metrics, in the shape of
// mdatagen's TelemetryBuilder.
type TelemetryBuilder struct {
	// Dropped counts items the next hop refused on their own, per signal
	// and gRPC code.
	Dropped metric.Int64Counter
}

// NewTelemetryBuilder creates the instruments.
func NewTelemetryBuilder(set component.TelemetrySettings) (*TelemetryBuilder, error) {
	dropped, err := set.MeterProvider.Meter(ScopeName).Int64Counter(DroppedMetric,
		metric.WithDescription("Items the next hop refused on their own after their batch was split (log records, spans, metric data points), per signal and gRPC code. [Alpha]"),
		metric.WithUnit("{item}"))
	if err != nil {
		return nil, err
	}
	return &TelemetryBuilder{Dropped: dropped}, nil
}
