// Package metadata holds the piisanitizer processor's type, stability and
// self-telemetry, written by hand in the shape mdatagen generates.
package metadata // import "github.com/otelcol-payments/otelcol-payments/processor/piisanitizer/internal/metadata"

import (
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
	FindingsMetric      = "otelcol_processor_piisanitizer_findings"
	AttributeDetector   = "detector"
	AttributeSignal     = "signal"
	findingsDescription = "Number of personal or payment data findings sanitized, per detector and signal. [Alpha]"
)

// TelemetryBuilder holds the processor's instruments.
type TelemetryBuilder struct {
	Findings metric.Int64Counter
}

// NewTelemetryBuilder creates the instruments on the component's meter
// provider.
func NewTelemetryBuilder(settings component.TelemetrySettings) (*TelemetryBuilder, error) {
	meter := settings.MeterProvider.Meter(ScopeName)
	findings, err := meter.Int64Counter(FindingsMetric,
		metric.WithDescription(findingsDescription),
		metric.WithUnit("{finding}"))
	if err != nil {
		return nil, err
	}
	return &TelemetryBuilder{Findings: findings}, nil
}
