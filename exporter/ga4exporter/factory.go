package ga4exporter

import (
	"context"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
	"go.opentelemetry.io/collector/exporter/exporterhelper/xexporterhelper"

	"github.com/otelcol-payments/otelcol-payments/exporter/ga4exporter/internal/mapping"
	"github.com/otelcol-payments/otelcol-payments/exporter/ga4exporter/internal/metadata"
	"github.com/otelcol-payments/otelcol-payments/exporter/ga4exporter/internal/mp"
	"github.com/otelcol-payments/otelcol-payments/internal/httpdelivery"
	"github.com/otelcol-payments/otelcol-payments/internal/queueitem"
	"github.com/otelcol-payments/otelcol-payments/internal/sharedcomponent"
	"github.com/otelcol-payments/otelcol-payments/internal/shutdownbound"
)

// Defaults.
const (
	defaultTimeout         = 10 * time.Second
	defaultDedupWindow     = mp.MaxEventAge
	defaultDedupMaxEntries = 100_000
)

// NewFactory returns the ga4 exporter factory.
func NewFactory() exporter.Factory {
	return exporter.NewFactory(
		metadata.Type,
		createDefaultConfig,
		exporter.WithLogs(createLogs, metadata.LogsStability),
		exporter.WithTraces(createTraces, metadata.TracesStability),
	)
}

func createDefaultConfig() component.Config {
	client := httpdelivery.NewQueuedClientConfig()
	client.Timeout = defaultTimeout
	return &Config{
		ClientConfig:    client,
		QueueConfig:     metadata.NewDefaultSendingQueueConfig(),
		RetryConfig:     configretry.NewDefaultBackOffConfig(),
		Region:          RegionGlobal,
		Events:          mapping.DefaultEvents(),
		MaxEventAge:     mp.MaxEventAge,
		ShutdownTimeout: shutdownbound.DefaultTimeout,
		Dedup: DedupConfig{
			Enabled:    true,
			Window:     defaultDedupWindow,
			MaxEntries: defaultDedupMaxEntries,
		},
	}
}

func createLogs(ctx context.Context, set exporter.Settings, cfg component.Config) (exporter.Logs, error) {
	return newLogsExporter(ctx, set, cfg.(*Config), time.Now)
}

func createTraces(ctx context.Context, set exporter.Settings, cfg component.Config) (exporter.Traces, error) {
	return newTracesExporter(ctx, set, cfg.(*Config), time.Now)
}

// helperOptions: the sending queue holds GA4 requests (eventKind), not
// the telemetry they were mapped from.
func helperOptions(cfg *Config, shared *sharedcomponent.Component[*ga4Exporter], traces bool) []exporterhelper.Option {
	e := shared.Unwrap()
	return []exporterhelper.Option{
		exporterhelper.WithStart(shared.Start),
		exporterhelper.WithShutdown(shared.Shutdown),
		exporterhelper.WithCapabilities(consumer.Capabilities{MutatesData: false}),
		// The HTTP client's timeout bounds each request.
		exporterhelper.WithTimeout(exporterhelper.TimeoutConfig{Timeout: 0}),
		exporterhelper.WithRetry(cfg.RetryConfig),
		xexporterhelper.WithQueueBatch(cfg.QueueConfig, xexporterhelper.QueueBatchSettings{
			Encoding: e.queueEncoding(traces),
		}),
	}
}

func newLogsExporter(ctx context.Context, set exporter.Settings, cfg *Config, now func() time.Time) (exporter.Logs, error) {
	shared, err := sharedExporter(set, cfg, now)
	if err != nil {
		return nil, err
	}
	return queuedExporter(cfg, shared, false).NewLogs(ctx, set, shared.Unwrap().convertLogs)
}

func newTracesExporter(ctx context.Context, set exporter.Settings, cfg *Config, now func() time.Time) (exporter.Traces, error) {
	shared, err := sharedExporter(set, cfg, now)
	if err != nil {
		return nil, err
	}
	return queuedExporter(cfg, shared, true).NewTraces(ctx, set, shared.Unwrap().convertTraces)
}

func queuedExporter(cfg *Config, shared *sharedcomponent.Component[*ga4Exporter], traces bool) queueitem.Exporter {
	return queueitem.Exporter{Queue: cfg.QueueConfig, ShutdownTimeout: cfg.ShutdownTimeout, Push: shared.Unwrap().push, Options: helperOptions(cfg, shared, traces)}
}
