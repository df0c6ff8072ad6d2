// Package metadata holds the piisanitizer processor's type, stability and
// self-telemetry, written by hand in the shape mdatagen generates.
package metadata // import "github.com/otelcol-payments/otelcol-payments/processor/piisanitizer/internal/metadata"

import (
	"errors"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/otel/metric"
)

var (
	Type      = component.MustNewType("piisanitizer")
	ScopeName = "github.com/otelcol-payments/otelcol-payments/processor/piisanitizer"
)

const (
	TracesStability  = component.StabilityLevelAlpha
	MetricsStability = component.StabilityLevelAlpha
	LogsStability    = component.StabilityLevelAlpha
)

// Self-telemetry. Findings are counted per detector and signal; the matched
// values never leave the processor.
const (
	FindingsMetric         = "otelcol_processor_piisanitizer_findings"
	EdgeLimitedMetric      = "otelcol_processor_piisanitizer_edge_limited"
	AttributeDetector      = "detector"
	AttributeSignal        = "signal"
	AttributeReason        = "reason"
	findingsDescription    = "Number of personal or payment data findings sanitized, per detector and signal. [Alpha]"
	edgeLimitedDescription = "Values truncated, attribute entries removed and span names normalised at the edge, per reason (depth, attributes, value_size, metric_attribute, span_name). [Alpha]"
)

// TelemetryBuilder holds the processor's instruments.
type TelemetryBuilder struct {
	// Findings counts findings sanitized, per detector and signal.
	Findings metric.Int64Counter
	// EdgeLimited counts what the edge limits truncated, removed or
	// normalised, per reason.
	EdgeLimited metric.Int64Counter
}

// NewTelemetryBuilder creates the instruments on the component's meter
// provider.
func NewTelemetryBuilder(settings component.TelemetrySettings) (*TelemetryBuilder, error) {
	meter := settings.MeterProvider.Meter(ScopeName)
	tb := &TelemetryBuilder{}
	var errs, err error
	tb.Findings, err = meter.Int64Counter(FindingsMetric,
		metric.WithDescription(findingsDescription),
		metric.WithUnit("{finding}"))
	errs = errors.Join(errs, err)
	tb.EdgeLimited, err = meter.Int64Counter(EdgeLimitedMetric,
		metric.WithDescription(edgeLimitedDescription),
		metric.WithUnit("{item}"))
	errs = errors.Join(errs, err)
	if errs != nil {
		return nil, errs
	}
	return tb, nil
}
