// Package otlpsplitexporter is the otlp_grpc exporter with one addition:
// when the next hop permanently refuses a whole batch for something one
// record can cause (the message is too large, or a record does not
// decode), the batch is split and re-sent in halves, so that only the
// offending records are dropped, counted and logged, not the whole batch.
package otlpsplitexporter // import "github.com/otelcol-payments/otelcol-payments/exporter/otlpsplitexporter"

import (
	"context"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
	"go.opentelemetry.io/collector/exporter/otlpexporter"
	"go.uber.org/zap"

	"github.com/otelcol-payments/otelcol-payments/exporter/otlpsplitexporter/internal/metadata"
	"github.com/otelcol-payments/otelcol-payments/internal/spend"
)

// NewFactory returns the otlp_split exporter factory.
func NewFactory() exporter.Factory {
	return exporter.NewFactory(
		metadata.Type,
		createDefaultConfig,
		exporter.WithTraces(createTraces, metadata.TracesStability),
		exporter.WithMetrics(createMetrics, metadata.MetricsStability),
		exporter.WithLogs(createLogs, metadata.LogsStability),
	)
}

func createDefaultConfig() component.Config {
	return &Config{Config: *otlpexporter.NewFactory().CreateDefaultConfig().(*otlpexporter.Config)}
}

var otlpType = otlpexporter.NewFactory().Type()

// innerSettings names the wrapped exporter otlp_grpc/NAME: its own
// telemetry counts every attempt (halves included) apart from the
// wrapper's, which counts each batch's outcome. Its error logs are
// replaced by the splitter's.
func innerSettings(set exporter.Settings) exporter.Settings {
	set.ID = component.NewIDWithName(otlpType, set.ID.Name())
	set.Logger = zap.NewNop()
	return set
}

func options(c *Config, inner component.Component, s *splitter) []exporterhelper.Option {
	return []exporterhelper.Option{
		exporterhelper.WithCapabilities(consumer.Capabilities{MutatesData: false}),
		// the inner exporter times each attempt out
		exporterhelper.WithTimeout(exporterhelper.TimeoutConfig{}),
		exporterhelper.WithRetry(c.RetryConfig),
		exporterhelper.WithQueue(c.QueueConfig),
		exporterhelper.WithStart(func(ctx context.Context, host component.Host) error {
			if err := s.startSpend(c); err != nil {
				return err
			}
			return inner.Start(ctx, host)
		}),
		exporterhelper.WithShutdown(func(ctx context.Context) error {
			s.stopSpend()
			return inner.Shutdown(ctx)
		}),
	}
}

func createTraces(ctx context.Context, set exporter.Settings, cfg component.Config) (exporter.Traces, error) {
	c := cfg.(*Config)
	inner, err := otlpexporter.NewFactory().CreateTraces(ctx, innerSettings(set), c.inner())
	if err != nil {
		return nil, err
	}
	s, err := newSplitter(set, spend.Traces)
	if err != nil {
		return nil, err
	}
	return exporterhelper.NewTraces(ctx, set, cfg, s.pushTraces(inner.ConsumeTraces), options(c, inner, s)...)
}

func createMetrics(ctx context.Context, set exporter.Settings, cfg component.Config) (exporter.Metrics, error) {
	c := cfg.(*Config)
	inner, err := otlpexporter.NewFactory().CreateMetrics(ctx, innerSettings(set), c.inner())
	if err != nil {
		return nil, err
	}
	s, err := newSplitter(set, spend.Metrics)
	if err != nil {
		return nil, err
	}
	return exporterhelper.NewMetrics(ctx, set, cfg, s.pushMetrics(inner.ConsumeMetrics), options(c, inner, s)...)
}

func createLogs(ctx context.Context, set exporter.Settings, cfg component.Config) (exporter.Logs, error) {
	c := cfg.(*Config)
	inner, err := otlpexporter.NewFactory().CreateLogs(ctx, innerSettings(set), c.inner())
	if err != nil {
		return nil, err
	}
	s, err := newSplitter(set, spend.Logs)
	if err != nil {
		return nil, err
	}
	return exporterhelper.NewLogs(ctx, set, cfg, s.pushLogs(inner.ConsumeLogs), options(c, inner, s)...)
}
