// Package sampledforward is a traces → traces connector that forwards a
// consistent probability sample of the spans to another pipeline, deciding
// exactly as contrib's probabilistic_sampler in proportional mode, without
// the whole-batch clone a forward connector followed by that sampler costs
// (see README.md).
package sampledforward // import "github.com/otelcol-payments/otelcol-payments/connector/sampledforward"

import (
	"context"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/connector"
	"go.opentelemetry.io/collector/consumer"

	"github.com/otelcol-payments/otelcol-payments/connector/sampledforward/internal/metadata"
)

// The defaults of probabilistic_sampler.
const (
	defaultPercentage = 100
	defaultPrecision  = 4
)

// NewFactory returns the factory of the sampled_forward connector.
func NewFactory() connector.Factory {
	return connector.NewFactory(
		metadata.Type,
		createDefaultConfig,
		connector.WithTracesToTraces(createTracesToTraces, metadata.TracesToTracesStability),
	)
}

func createDefaultConfig() component.Config {
	return &Config{SamplingPercentage: defaultPercentage, SamplingPrecision: defaultPrecision, FailClosed: true}
}

func createTracesToTraces(_ context.Context, set connector.Settings, cfg component.Config, next consumer.Traces) (connector.Traces, error) {
	return newConnector(set.TelemetrySettings, cfg.(*Config), next)
}
