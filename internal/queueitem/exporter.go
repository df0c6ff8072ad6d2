package queueitem

import (
	"context"
	"time"

	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
	"go.opentelemetry.io/collector/exporter/exporterhelper/xexporterhelper"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pipeline"

	"github.com/otelcol-payments/otelcol-payments/internal/shutdownbound"
)

// Exporter is what GA4 and Sentry build the same way for each signal: a
// request-based exporter whose queue holds what will be sent (convert runs
// before the queue), whose shutdown is bounded (shutdownbound), and which
// does not enqueue a batch that converts to nothing.
type Exporter struct {
	Queue           configoptional.Optional[exporterhelper.QueueBatchConfig]
	ShutdownTimeout time.Duration
	Push            func(context.Context, xexporterhelper.Request) error
	Options         []exporterhelper.Option
}

// NewLogs builds the logs exporter.
func (x Exporter) NewLogs(ctx context.Context, set exporter.Settings, convert Converter[plog.Logs]) (exporter.Logs, error) {
	g := shutdownbound.NewGuard(set, pipeline.SignalLogs, x.ShutdownTimeout, shutdownbound.QueueStorage(x.Queue))
	exp, err := xexporterhelper.NewLogsRequest(ctx, g.Settings(set), convert.Func(), shutdownbound.Push(g, x.Push), x.Options...)
	if err != nil {
		return nil, err
	}
	return SkipEmptyLogs(g.WrapLogs(exp), convert), nil
}

// NewTraces builds the traces exporter.
func (x Exporter) NewTraces(ctx context.Context, set exporter.Settings, convert Converter[ptrace.Traces]) (exporter.Traces, error) {
	g := shutdownbound.NewGuard(set, pipeline.SignalTraces, x.ShutdownTimeout, shutdownbound.QueueStorage(x.Queue))
	exp, err := xexporterhelper.NewTracesRequest(ctx, g.Settings(set), convert.Func(), shutdownbound.Push(g, x.Push), x.Options...)
	if err != nil {
		return nil, err
	}
	return SkipEmptyTraces(g.WrapTraces(exp), convert), nil
}
