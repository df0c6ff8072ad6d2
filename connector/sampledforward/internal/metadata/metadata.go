// Package metadata holds the component identity of the sampled_forward
// connector, in the shape mdatagen would generate.
package metadata

import "go.opentelemetry.io/collector/component"

var (
	Type      = component.MustNewType("sampled_forward")
	ScopeName = "github.com/otelcol-payments/otelcol-payments/connector/sampledforward"
)

const TracesToTracesStability = component.StabilityLevelAlpha
