// Package metadata holds the component types and stability levels of the
// paymentbi processor and connector, in the shape mdatagen generates.
package metadata

import (
	"go.opentelemetry.io/collector/component"
)

var (
	// ProcessorType is the type of the enriching processor.
	ProcessorType = component.MustNewType("paymentbi")
	// ConnectorType is the type of the metrics-emitting connector. It shares
	// the name with the processor: the two are different component kinds.
	ConnectorType = component.MustNewType("paymentbi")
	// ScopeName is the instrumentation scope of the emitted business metrics.
	ScopeName = "github.com/otelcol-payments/otelcol-payments/processor/paymentbi"
)

const (
	TracesStability          = component.StabilityLevelAlpha
	LogsStability            = component.StabilityLevelAlpha
	TracesToMetricsStability = component.StabilityLevelAlpha
	LogsToMetricsStability   = component.StabilityLevelAlpha
)
