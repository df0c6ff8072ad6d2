// Package threshold is a connector that turns traces, metrics and logs into
// alert records: Prometheus-style rules (span latency, ratio, metric
// comparison, anomaly, event match) that go pending, fire, re-notify after a
// cooldown and resolve with hysteresis.
package threshold // import "github.com/otelcol-payments/otelcol-payments/connector/threshold"

import (
	"context"
	"sync"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/connector"
	"go.opentelemetry.io/collector/consumer"

	"github.com/otelcol-payments/otelcol-payments/connector/threshold/internal/metadata"
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
// of one configured connector (keyed by its *Config, which the collector
// creates once per component id), like contrib's sharedcomponent.
var engines = struct {
	sync.Mutex
	m map[*Config]*engine
}{m: map[*Config]*engine{}}

func sharedEngine(set connector.Settings, cfg component.Config, next consumer.Logs) (*engine, error) {
	c := cfg.(*Config)
	engines.Lock()
	defer engines.Unlock()
	if e, ok := engines.m[c]; ok {
		return e, nil
	}
	e, err := newEngine(set.TelemetrySettings, set.ID, c, next)
	if err != nil {
		return nil, err
	}
	e.release = func() {
		engines.Lock()
		defer engines.Unlock()
		if engines.m[c] == e {
			delete(engines.m, c)
		}
	}
	engines.m[c] = e
	return e, nil
}

func createTracesToLogs(_ context.Context, set connector.Settings, cfg component.Config, next consumer.Logs) (connector.Traces, error) {
	e, err := sharedEngine(set, cfg, next)
	if err != nil {
		return nil, err
	}
	return &thresholdConnector{e: e}, nil
}

func createMetricsToLogs(_ context.Context, set connector.Settings, cfg component.Config, next consumer.Logs) (connector.Metrics, error) {
	e, err := sharedEngine(set, cfg, next)
	if err != nil {
		return nil, err
	}
	return &thresholdConnector{e: e}, nil
}

func createLogsToLogs(_ context.Context, set connector.Settings, cfg component.Config, next consumer.Logs) (connector.Logs, error) {
	e, err := sharedEngine(set, cfg, next)
	if err != nil {
		return nil, err
	}
	return &thresholdConnector{e: e}, nil
}
