// Package threshold is a connector that turns traces, metrics and logs into
// alert records: Prometheus-style rules (span latency, ratio, metric
// comparison, anomaly, event match) that go pending, fire, re-notify after a
// cooldown and resolve with hysteresis.
package threshold // import "github.com/otelcol-payments/otelcol-payments/connector/threshold"

import (
	"context"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/connector"
	"go.opentelemetry.io/collector/consumer"

	"github.com/otelcol-payments/otelcol-payments/connector/threshold/internal/metadata"
	"github.com/otelcol-payments/otelcol-payments/internal/sharedcomponent"
)

const (
	defaultEvaluationInterval = 15 * time.Second
	defaultMaxSeries          = 100_000
)

// NewFactory returns the factory of the threshold connector.
func NewFactory() connector.Factory {
	return connector.NewFactory(
		metadata.Type,
		createDefaultConfig,
		connector.WithTracesToLogs(createTracesToLogs, metadata.TracesToLogsStability),
		connector.WithMetricsToLogs(createMetricsToLogs, metadata.MetricsToLogsStability),
		connector.WithLogsToLogs(createLogsToLogs, metadata.LogsToLogsStability),
	)
}

func createDefaultConfig() component.Config {
	return &Config{
		EvaluationInterval: defaultEvaluationInterval,
		MaxSeries:          defaultMaxSeries,
	}
}

// engines shares one engine between the traces, metrics and logs instances
// of one configured connector, keyed by its *Config, which the collector
// creates once per component id.
var engines = sharedcomponent.NewMap[*Config, *engine]()

func newConnector(set connector.Settings, cfg component.Config, next consumer.Logs) (*thresholdConnector, error) {
	c := cfg.(*Config)
	shared, err := engines.GetOrAdd(c, func() (*engine, error) {
		return newEngine(set.TelemetrySettings, set.ID, c, next)
	})
	if err != nil {
		return nil, err
	}
	return &thresholdConnector{e: shared.Unwrap(), shared: shared}, nil
}

func createTracesToLogs(_ context.Context, set connector.Settings, cfg component.Config, next consumer.Logs) (connector.Traces, error) {
	return newConnector(set, cfg, next)
}

func createMetricsToLogs(_ context.Context, set connector.Settings, cfg component.Config, next consumer.Logs) (connector.Metrics, error) {
	return newConnector(set, cfg, next)
}

func createLogsToLogs(_ context.Context, set connector.Settings, cfg component.Config, next consumer.Logs) (connector.Logs, error) {
	return newConnector(set, cfg, next)
}
