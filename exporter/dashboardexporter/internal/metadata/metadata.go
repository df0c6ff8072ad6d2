// Package metadata holds the component type and stability levels of the
// dashboard exporter, in the shape mdatagen generates.
package metadata

import "go.opentelemetry.io/collector/component"

var (
	// Type is the component type of the dashboard exporter.
	Type = component.MustNewType("dashboard")
	// ScopeName is the instrumentation scope of the exporter's own telemetry.
	ScopeName = "github.com/otelcol-payments/otelcol-payments/exporter/dashboardexporter"
)

const (
	MetricsStability = component.StabilityLevelAlpha
	LogsStability    = component.StabilityLevelAlpha
)
