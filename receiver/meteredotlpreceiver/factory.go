// Package meteredotlpreceiver is the core OTLP receiver (type otlp, the same
// configuration and behaviour) that also counts, per signal, the items it
// accepted (spans, log records, metric data points) into internal/spend:
// the "received" side of the monitoring spend figures, against which each
// destination's share is computed. A batch counts once its pipelines
// accepted it (the same rule as otelcol_receiver_accepted_*); a refused one
// (memory_limiter, a failing exporter) does not.
package meteredotlpreceiver // import "github.com/otelcol-payments/otelcol-payments/receiver/meteredotlpreceiver"

import (
	"context"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/xconsumer"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/otlpreceiver"
	"go.opentelemetry.io/collector/receiver/xreceiver"

	"github.com/otelcol-payments/otelcol-payments/internal/spend"
)

// NewFactory returns the otlp receiver factory, counting into spend.Default.
func NewFactory() receiver.Factory { return newFactory(spend.Default) }

func newFactory(reg *spend.Registry) receiver.Factory {
	inner := otlpreceiver.NewFactory().(xreceiver.Factory)
	return xreceiver.NewFactory(inner.Type(), inner.CreateDefaultConfig,
		xreceiver.WithTraces(func(ctx context.Context, set receiver.Settings, cfg component.Config, next consumer.Traces) (receiver.Traces, error) {
			return inner.CreateTraces(ctx, set, cfg, tracesCounter{Traces: next, reg: reg})
		}, inner.TracesStability()),
		xreceiver.WithMetrics(func(ctx context.Context, set receiver.Settings, cfg component.Config, next consumer.Metrics) (receiver.Metrics, error) {
			return inner.CreateMetrics(ctx, set, cfg, metricsCounter{Metrics: next, reg: reg})
		}, inner.MetricsStability()),
		xreceiver.WithLogs(func(ctx context.Context, set receiver.Settings, cfg component.Config, next consumer.Logs) (receiver.Logs, error) {
			return inner.CreateLogs(ctx, set, cfg, logsCounter{Logs: next, reg: reg})
		}, inner.LogsStability()),
		// Profiles pass through uncounted: no destination is fed from them.
		xreceiver.WithProfiles(func(ctx context.Context, set receiver.Settings, cfg component.Config, next xconsumer.Profiles) (xreceiver.Profiles, error) {
			return inner.CreateProfiles(ctx, set, cfg, next)
		}, inner.ProfilesStability()),
	)
}

// The counters count before passing the batch on (downstream may move its
// content) and add the count once it was accepted.

type tracesCounter struct {
	consumer.Traces
	reg *spend.Registry
}

func (c tracesCounter) ConsumeTraces(ctx context.Context, td ptrace.Traces) error {
	n := td.SpanCount()
	err := c.Traces.ConsumeTraces(ctx, td)
	if err == nil {
		c.reg.Received(spend.Traces, n)
	}
	return err
}

type logsCounter struct {
	consumer.Logs
	reg *spend.Registry
}

func (c logsCounter) ConsumeLogs(ctx context.Context, ld plog.Logs) error {
	n := ld.LogRecordCount()
	err := c.Logs.ConsumeLogs(ctx, ld)
	if err == nil {
		c.reg.Received(spend.Logs, n)
	}
	return err
}

type metricsCounter struct {
	consumer.Metrics
	reg *spend.Registry
}

func (c metricsCounter) ConsumeMetrics(ctx context.Context, md pmetric.Metrics) error {
	n := md.DataPointCount()
	err := c.Metrics.ConsumeMetrics(ctx, md)
	if err == nil {
		c.reg.Received(spend.Metrics, n)
	}
	return err
}
