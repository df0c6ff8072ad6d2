// Package metadata holds the component identity, hand-written in the shape
// mdatagen generates (mdatagen is unavailable for this distribution).
package metadata

import (
	"go.opentelemetry.io/collector/component"
)

var Type = component.MustNewType("alert")

const (
	ScopeName     = "github.com/otelcol-payments/otelcol-payments/exporter/alertexporter"
	LogsStability = component.StabilityLevelAlpha
)
