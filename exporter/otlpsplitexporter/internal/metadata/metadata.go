// Package metadata holds the component identity, hand-written in the shape
// mdatagen generates (mdatagen is unavailable for this distribution).
package metadata

import "go.opentelemetry.io/collector/component"

var Type = component.MustNewType("otlp_split")

const (
	ScopeName        = "github.com/otelcol-payments/otelcol-payments/exporter/otlpsplitexporter"
	TracesStability  = component.StabilityLevelAlpha
	MetricsStability = component.StabilityLevelAlpha
	LogsStability    = component.StabilityLevelAlpha

	// DroppedMetric counts the items refused on their own by the next hop.
	DroppedMetric = "otelcol_exporter_otlp_split_dropped"
)
