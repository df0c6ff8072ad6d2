// Package alertexporter delivers alert records (the contract alert schema)
// to Slack, Discord, PagerDuty, email, SMS, webhooks, Alertmanager and the
// log, with Alertmanager-style routing, grouping, inhibition and silences,
// plus escalation until acknowledged.
package alertexporter

import (
	"context"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exporterhelper"

	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/api"
	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/clock"
	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/metadata"
	"github.com/otelcol-payments/otelcol-payments/internal/shutdownbound"
)

// NewFactory returns the alert exporter factory.
func NewFactory() exporter.Factory {
	return exporter.NewFactory(metadata.Type, createDefaultConfig,
		exporter.WithLogs(createLogsExporter, metadata.LogsStability))
}

func createDefaultConfig() component.Config {
	return &Config{
		QueueConfig:      configoptional.Some(exporterhelper.NewDefaultQueueConfig()),
		TickInterval:     time.Second,
		MaxAlerts:        10000,
		ChannelQueueSize: 1000,
		ShutdownTimeout:  shutdownbound.DefaultTimeout,
		API:              configoptional.Default(api.Config{ServerConfig: confighttp.NewDefaultServerConfig()}),
	}
}

func createLogsExporter(ctx context.Context, set exporter.Settings, cfg component.Config) (exporter.Logs, error) {
	c := cfg.(*Config)
	e, err := newAlertExporter(c, set, clock.Real{})
	if err != nil {
		return nil, err
	}
	return exporterhelper.NewLogs(ctx, set, cfg, e.push,
		exporterhelper.WithQueue(c.QueueConfig),
		exporterhelper.WithCapabilities(consumer.Capabilities{MutatesData: false}),
		exporterhelper.WithStart(e.start),
		exporterhelper.WithShutdown(e.shutdown))
}
