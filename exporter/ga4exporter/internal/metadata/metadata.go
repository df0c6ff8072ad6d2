// Package metadata holds the component type, stability levels and the
// self-telemetry instruments of the ga4 exporter. It is hand-written in the
// shape mdatagen generates, since mdatagen is not available for v0.165.
package metadata

import (
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
)

var (
	Type      = component.MustNewType("ga4")
	ScopeName = "github.com/otelcol-payments/otelcol-payments/exporter/ga4exporter"
)

const (
	LogsStability   = component.StabilityLevelAlpha
	TracesStability = component.StabilityLevelAlpha
)

// NewDefaultSendingQueueConfig returns the default sending queue: enabled,
// in memory. Set sending_queue.storage to a storage extension (file_storage)
// to keep queued events across restarts.
func NewDefaultSendingQueueConfig() configoptional.Optional[exporterhelper.QueueBatchConfig] {
	return configoptional.Some(exporterhelper.NewDefaultQueueConfig())
}
