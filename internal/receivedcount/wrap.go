// Package receivedcount wraps a receiver factory so that the items its
// pipelines accepted (spans, log records, metric data points) count, per
// signal, as "received" in internal/spend: the denominator of each
// destination's share in the monitoring spend figures. A batch counts once
// its pipelines accepted it (the rule of otelcol_receiver_accepted_*); a
// refused one (memory_limiter, a failing exporter) does not.
package receivedcount // import "github.com/otelcol-payments/otelcol-payments/internal/receivedcount"

import (
	"context"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/xconsumer"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/xreceiver"

	"github.com/otelcol-payments/otelcol-payments/internal/spend"
)

// Wrap returns inner (same type, configuration and behaviour) counting
// what it accepted into reg.
func Wrap(inner xreceiver.Factory, reg *spend.Registry) receiver.Factory {
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
