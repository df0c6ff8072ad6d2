// Package metadata holds the noecho extension's type and stability, written
// by hand in the shape mdatagen generates.
package metadata // import "github.com/otelcol-payments/otelcol-payments/extension/noechoextension/internal/metadata"

import "go.opentelemetry.io/collector/component"

var (
	Type      = component.MustNewType("noecho")
	ScopeName = "github.com/otelcol-payments/otelcol-payments/extension/noechoextension"
)

const ExtensionStability = component.StabilityLevelAlpha
