// Package dashboardexporter serves a live payments dashboard, its JSON, an
// executive summary and a health endpoint from the collector, fed by the
// paymentbi business metrics, the spanmetrics latency metrics and alert
// records.
package dashboardexporter

import (
	"context"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exporterhelper"

	"github.com/otelcol-payments/otelcol-payments/exporter/dashboardexporter/internal/metadata"
	"github.com/otelcol-payments/otelcol-payments/internal/sharedcomponent"
	"github.com/otelcol-payments/otelcol-payments/internal/shutdownbound"
)

// DefaultEndpoint stays clear of the OTLP (4317/4318), telemetry (8888),
// Prometheus exporter (8889) and health_check (13133) ports.
const DefaultEndpoint = "localhost:8080"

// NewFactory returns the dashboard exporter factory.
func NewFactory() exporter.Factory {
	return exporter.NewFactory(metadata.Type, createDefaultConfig,
		exporter.WithMetrics(createMetrics, metadata.MetricsStability),
		exporter.WithLogs(createLogs, metadata.LogsStability),
	)
}

// DefaultLatencyThresholds mirror the threshold connector's defaults:
// API 2000 ms, database 1000 ms, payment 5000 ms, email 3000 ms, inventory
// 500 ms. HTTP server spans are "METHOD /route"; database spans start with
// the operation name.
func DefaultLatencyThresholds() []LatencyThreshold {
	return []LatencyThreshold{
		{Category: "payment", Match: `^payment\.`, Threshold: 5 * time.Second},
		{Category: "email", Match: `^email\.`, Threshold: 3 * time.Second},
		{Category: "inventory", Match: `^inventory\.`, Threshold: 500 * time.Millisecond},
		{Category: "api", Match: `^(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS) /|^checkout\.`, Threshold: 2 * time.Second},
		{Category: "database", Match: `(?i)^(select|insert|update|delete|upsert|merge|call|begin|commit|db\.)\b`, Threshold: time.Second},
	}
}

func createDefaultConfig() component.Config {
	server := confighttp.NewDefaultServerConfig()
	server.NetAddr.Endpoint = DefaultEndpoint
	return &Config{
		ServerConfig:         server,
		Timezone:             "Local",
		ReportingCurrency:    "USD",
		LatencyThresholds:    DefaultLatencyThresholds(),
		LatencyWindow:        5 * time.Minute,
		SpanMetricsNamespace: "traces.span.metrics",
		LowStockThreshold:    10,
		RefreshInterval:      2 * time.Second,
		StaleAfter:           5 * time.Minute,
		MaxSeries:            5000,
		MaxAlerts:            500,
		ShutdownTimeout:      shutdownbound.DefaultTimeout,
		Digest:               DigestConfig{At: "18:00", Client: digestClientDefaults()},
	}
}

func digestClientDefaults() confighttp.ClientConfig {
	c := confighttp.NewDefaultClientConfig()
	c.Timeout = 10 * time.Second
	return c
}

// The metrics and logs exporters of one component ID share one dashboard:
// one store, one server. The collector hands both the same *Config, so it
// is the key; collectors in one process do not collide.
var shared = sharedcomponent.NewMap[*Config, *dashboard]()

func getDashboard(set exporter.Settings, cfg *Config) (*sharedcomponent.Component[*dashboard], error) {
	return shared.GetOrAdd(cfg, func() (*dashboard, error) {
		d, err := newDashboard(cfg, set.TelemetrySettings, time.Now)
		if err != nil {
			return nil, err
		}
		d.id = set.ID
		return d, nil
	})
}

func createMetrics(ctx context.Context, set exporter.Settings, cfg component.Config) (exporter.Metrics, error) {
	d, err := getDashboard(set, cfg.(*Config))
	if err != nil {
		return nil, err
	}
	return exporterhelper.NewMetrics(ctx, set, cfg, d.Unwrap().consumeMetrics,
		exporterhelper.WithStart(d.Start), exporterhelper.WithShutdown(d.Shutdown),
		exporterhelper.WithCapabilities(consumer.Capabilities{MutatesData: false}))
}

func createLogs(ctx context.Context, set exporter.Settings, cfg component.Config) (exporter.Logs, error) {
	d, err := getDashboard(set, cfg.(*Config))
	if err != nil {
		return nil, err
	}
	return exporterhelper.NewLogs(ctx, set, cfg, d.Unwrap().consumeLogs,
		exporterhelper.WithStart(d.Start), exporterhelper.WithShutdown(d.Shutdown),
		exporterhelper.WithCapabilities(consumer.Capabilities{MutatesData: false}))
}
