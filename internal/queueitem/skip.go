package queueitem

import (
	"context"

	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exporterhelper/xexporterhelper"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

type convertedKey struct{}

// Converter converts each batch once, in front of a request-based
// exporter: the wrappers (SkipEmptyLogs, SkipEmptyTraces) convert and drop
// a batch that makes no request item before it reaches the sending queue
// (a persistent queue would write, read back and delete an empty item for
// each such batch), and Func, given to exporterhelper as its converter,
// takes the request already converted.
type Converter[T any] func(context.Context, T) (xexporterhelper.Request, error)

// Func is the converter for xexporterhelper.New*Request.
func (c Converter[T]) Func() xexporterhelper.RequestConverterFunc[T] {
	return func(ctx context.Context, data T) (xexporterhelper.Request, error) {
		if r, ok := ctx.Value(convertedKey{}).(xexporterhelper.Request); ok {
			return r, nil
		}
		return c(ctx, data)
	}
}

func (c Converter[T]) consume(ctx context.Context, data T, next func(context.Context, T) error) error {
	r, err := c(ctx, data)
	if err != nil {
		return consumererror.NewPermanent(err)
	}
	if r.ItemsCount() == 0 {
		return nil
	}
	return next(context.WithValue(ctx, convertedKey{}, r), data)
}

// SkipEmptyLogs wraps a logs exporter built with c.Func().
func SkipEmptyLogs(e exporter.Logs, c Converter[plog.Logs]) exporter.Logs {
	return logsExporter{Logs: e, c: c}
}

// SkipEmptyTraces wraps a traces exporter built with c.Func().
func SkipEmptyTraces(e exporter.Traces, c Converter[ptrace.Traces]) exporter.Traces {
	return tracesExporter{Traces: e, c: c}
}

type logsExporter struct {
	exporter.Logs
	c Converter[plog.Logs]
}

func (e logsExporter) ConsumeLogs(ctx context.Context, ld plog.Logs) error {
	return e.c.consume(ctx, ld, e.Logs.ConsumeLogs)
}

func (e logsExporter) ExporterHelperBatchingEnabled() bool { return batching(e.Logs) }

type tracesExporter struct {
	exporter.Traces
	c Converter[ptrace.Traces]
}

func (e tracesExporter) ConsumeTraces(ctx context.Context, td ptrace.Traces) error {
	return e.c.consume(ctx, td, e.Traces.ConsumeTraces)
}

func (e tracesExporter) ExporterHelperBatchingEnabled() bool { return batching(e.Traces) }

// batching forwards the interface the service graph asks exporterhelper
// exporters for.
func batching(c any) bool {
	b, ok := c.(interface{ ExporterHelperBatchingEnabled() bool })
	return ok && b.ExporterHelperBatchingEnabled()
}
