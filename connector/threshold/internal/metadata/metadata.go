// Package metadata holds the component identity of the threshold connector,
// in the shape mdatagen would generate.
package metadata

import "go.opentelemetry.io/collector/component"

var (
	Type      = component.MustNewType("threshold")
	ScopeName = "github.com/otelcol-payments/otelcol-payments/connector/threshold"
)

const (
	TracesToLogsStability  = component.StabilityLevelAlpha
	MetricsToLogsStability = component.StabilityLevelAlpha
	LogsToLogsStability    = component.StabilityLevelAlpha
)
