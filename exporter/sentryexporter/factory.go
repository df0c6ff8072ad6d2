package sentryexporter // import "github.com/otelcol-payments/otelcol-payments/exporter/sentryexporter"

import (
	"context"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
	"go.opentelemetry.io/collector/exporter/exporterhelper/xexporterhelper"

	"github.com/otelcol-payments/otelcol-payments/exporter/sentryexporter/internal/metadata"
	"github.com/otelcol-payments/otelcol-payments/internal/contract"
	"github.com/otelcol-payments/otelcol-payments/internal/httpdelivery"
	"github.com/otelcol-payments/otelcol-payments/internal/queueitem"
	"github.com/otelcol-payments/otelcol-payments/internal/shutdownbound"
)

// DefaultFingerprint groups one bug into one issue: service, operation,
// payment error type and exception type.
var DefaultFingerprint = []string{contract.ServiceName, FingerprintOperation, contract.PaymentErrorType, contract.ExceptionType}

// DefaultDedupWindow covers the delay between the traces and the logs of one
// request reaching the collector (batching, queues, a gateway hop).
const DefaultDedupWindow = 2 * time.Minute

// NewFactory creates the factory of the Sentry exporter.
func NewFactory() exporter.Factory {
	return exporter.NewFactory(
		metadata.Type,
		createDefaultConfig,
		exporter.WithTraces(createTraces, metadata.TracesStability),
		exporter.WithLogs(createLogs, metadata.LogsStability),
	)
}

func createDefaultConfig() component.Config {
	client := httpdelivery.NewQueuedClientConfig()
	return &Config{
		Fingerprint:       append([]string(nil), DefaultFingerprint...),
		MaxEventsPerBatch: 100,
		DedupWindow:       DefaultDedupWindow,
		Performance:       PerformanceConfig{Enabled: false, SampleRate: 0.1},
		// confighttp's default is the client used before the client block
		// existed: http.DefaultTransport's settings (proxy from the
		// environment, keep-alive, HTTP/2) and no per-request timeout.
		Client: client,
		// Events go one envelope per request: a batch of max_events_per_batch
		// round trips needs more than exporterhelper's 5s default.
		TimeoutConfig:   exporterhelper.TimeoutConfig{Timeout: 30 * time.Second},
		QueueConfig:     configoptional.Some(exporterhelper.NewDefaultQueueConfig()),
		BackOffConfig:   configretry.NewDefaultBackOffConfig(),
		ShutdownTimeout: shutdownbound.DefaultTimeout,
	}
}

func createTraces(ctx context.Context, set exporter.Settings, cfg component.Config) (exporter.Traces, error) {
	c := cfg.(*Config)
	e, err := newSentryExporter(c, set, time.Now)
	if err != nil {
		return nil, err
	}
	return queuedExporter(c, e, true).NewTraces(ctx, set, e.convertTraces)
}

func createLogs(ctx context.Context, set exporter.Settings, cfg component.Config) (exporter.Logs, error) {
	c := cfg.(*Config)
	e, err := newSentryExporter(c, set, time.Now)
	if err != nil {
		return nil, err
	}
	return queuedExporter(c, e, false).NewLogs(ctx, set, e.convertLogs)
}

func queuedExporter(c *Config, e *sentryExporter, traces bool) queueitem.Exporter {
	return queueitem.Exporter{Queue: c.QueueConfig, ShutdownTimeout: c.ShutdownTimeout, Push: e.push, Options: helperOptions(c, e, traces)}
}

// helperOptions: the sending queue holds Sentry envelopes (envelopeKind),
// not the telemetry they were built from.
func helperOptions(c *Config, e *sentryExporter, traces bool) []exporterhelper.Option {
	return []exporterhelper.Option{
		exporterhelper.WithCapabilities(consumer.Capabilities{MutatesData: false}),
		exporterhelper.WithTimeout(c.TimeoutConfig),
		xexporterhelper.WithQueueBatch(c.QueueConfig, xexporterhelper.QueueBatchSettings{
			Encoding: e.queueEncoding(traces),
		}),
		exporterhelper.WithRetry(c.BackOffConfig),
		exporterhelper.WithStart(e.start),
		exporterhelper.WithShutdown(e.shutdown),
	}
}
