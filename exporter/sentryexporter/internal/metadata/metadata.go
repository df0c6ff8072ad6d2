// Package metadata holds the component metadata that mdatagen would generate
// (mdatagen is not available at this collector release).
package metadata

import (
	"go.opentelemetry.io/collector/component"
)

var (
	Type      = component.MustNewType("sentry")
	ScopeName = "github.com/otelcol-payments/otelcol-payments/exporter/sentryexporter"
)

const (
	TracesStability = component.StabilityLevelAlpha
	LogsStability   = component.StabilityLevelAlpha
)
