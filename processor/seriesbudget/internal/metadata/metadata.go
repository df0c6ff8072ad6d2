// Package metadata holds the series_budget processor's type and stability,
// written by hand in the shape mdatagen generates.
package metadata // import "github.com/otelcol-payments/otelcol-payments/processor/seriesbudget/internal/metadata"

import "go.opentelemetry.io/collector/component"

var (
	Type      = component.MustNewType("series_budget")
	ScopeName = "github.com/otelcol-payments/otelcol-payments/processor/seriesbudget"
)

const MetricsStability = component.StabilityLevelAlpha

// Self-telemetry.
const (
	RefusedMetric = "otelcol_processor_series_budget_refused"
	SeriesMetric  = "otelcol_processor_series_budget_series"
)
