package shutdownbound

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
	"go.opentelemetry.io/collector/pipeline"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// Guard bounds the shutdown of one exporterhelper exporter (one signal).
//
// exporterhelper v0.165 on Shutdown stops its retry sender first: a request
// waiting for its next retry returns at once with an "interrupted due to
// shutdown" error, which the persistent queue treats as not dispatched (the
// item stays on disk and is sent again after the next start); the memory
// queue drops it. The queue then waits for every consumer's request in
// flight, which exporterhelper bounds only by the exporter's timeout (none
// at all for an exporter that sets no timeout). The guard ends those
// requests at the shutdown deadline: pushes wrapped with Push see their
// context cancelled, fail, and end up like a retry interrupted by shutdown.
type Guard struct {
	timeout time.Duration
	logger  *zap.Logger
	id      component.ID
	signal  pipeline.Signal
	storage *component.ID

	abortCtx context.Context
	abort    context.CancelFunc
	host     component.Host
}

// NewGuard returns the guard of the exporter set.ID for signal. storage is
// the persistent queue's storage extension (nil for a memory queue).
func NewGuard(set exporter.Settings, signal pipeline.Signal, timeout time.Duration, storage *component.ID) *Guard {
	g := &Guard{timeout: timeout, logger: set.Logger, id: set.ID, signal: signal, storage: storage}
	g.abortCtx, g.abort = context.WithCancel(context.Background())
	return g
}

// Settings returns set for exporterhelper. With a persistent queue its
// logger rewrites exporterhelper's "Dropping data" line for a request
// interrupted by shutdown: that request is kept on disk, not dropped.
func (g *Guard) Settings(set exporter.Settings) exporter.Settings {
	if g.storage != nil {
		set.Logger = set.Logger.WithOptions(zap.WrapCore(func(c zapcore.Core) zapcore.Core { return keptCore{c} }))
	}
	return set
}

// Push wraps a push function so that its context also ends at the shutdown
// deadline.
func Push[T any](g *Guard, push func(context.Context, T) error) func(context.Context, T) error {
	return func(ctx context.Context, data T) error {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		stop := context.AfterFunc(g.abortCtx, cancel)
		defer stop()
		err := push(ctx, data)
		if err != nil && g.abortCtx.Err() != nil {
			err = errors.Join(err, errors.New("shutdown deadline reached"))
		}
		return err
	}
}

func (g *Guard) start(ctx context.Context, host component.Host, inner component.StartFunc) error {
	Reset()
	g.host = host
	return inner(ctx, host)
}

func (g *Guard) shutdown(ctx context.Context, inner component.ShutdownFunc) error {
	deadline := Begin(g.timeout)
	t := time.AfterFunc(time.Until(deadline), g.abort)
	defer t.Stop()
	err := inner(ctx)
	g.abort()
	if g.storage != nil && g.host != nil {
		g.logQueued(ctx)
	}
	return err
}

// logQueued reports what the persistent queue keeps for the next start.
func (g *Guard) logQueued(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	q, err := ReadQueue(ctx, g.host, *g.storage, g.id, g.signal)
	if err != nil {
		g.logger.Warn("Could not read the persistent queue's size at shutdown", zap.Error(err))
		return
	}
	g.logger.Info("Persistent queue kept for the next start",
		zap.String("signal", g.signal.String()),
		zap.Int64("queued_requests", q.Requests), zap.Int64("queued_items", q.Items), zap.Int64("queued_bytes", q.Bytes))
}

// droppingData is exporterhelper's log message for a request that failed
// for good (exporterhelper/internal/queue_sender.go); the shutdown error's
// text comes from exporterhelper/internal/experr.
const (
	droppingData       = "Exporting failed. Dropping data."
	interruptedByClose = "interrupted due to shutdown"
)

// keptCore rewrites the "Dropping data" entry of a request interrupted by
// shutdown, which a persistent queue keeps.
type keptCore struct{ zapcore.Core }

func (c keptCore) With(fields []zapcore.Field) zapcore.Core { return keptCore{c.Core.With(fields)} }

func (c keptCore) Check(ent zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	if strings.HasPrefix(ent.Message, droppingData) && c.Enabled(ent.Level) {
		// Decided in Write, which sees the error field.
		return ce.AddCore(ent, c)
	}
	return c.Core.Check(ent, ce)
}

func (c keptCore) Write(ent zapcore.Entry, fields []zapcore.Field) error {
	if strings.HasPrefix(ent.Message, droppingData) && interruptedByShutdown(fields) {
		ent.Level = zapcore.InfoLevel
		ent.Stack = "" // taken for the error level
		ent.Message = "Export interrupted by shutdown; the request stays in the persistent queue for the next start."
		out := fields[:0:0]
		for _, f := range fields {
			if f.Key == "dropped_items" {
				f.Key = "kept_items"
			}
			out = append(out, f)
		}
		fields = out
	}
	return c.Core.Write(ent, fields)
}

func interruptedByShutdown(fields []zapcore.Field) bool {
	for _, f := range fields {
		if err, ok := f.Interface.(error); ok && f.Type == zapcore.ErrorType && strings.Contains(err.Error(), interruptedByClose) {
			return true
		}
	}
	return false
}

// logsExporter and tracesExporter put a Guard around an exporterhelper
// exporter.
type logsExporter struct {
	exporter.Logs
	g *Guard
}

func (e logsExporter) Start(ctx context.Context, host component.Host) error {
	return e.g.start(ctx, host, e.Logs.Start)
}

func (e logsExporter) Shutdown(ctx context.Context) error { return e.g.shutdown(ctx, e.Logs.Shutdown) }

func (e logsExporter) ExporterHelperBatchingEnabled() bool { return batching(e.Logs) }

type tracesExporter struct {
	exporter.Traces
	g *Guard
}

func (e tracesExporter) Start(ctx context.Context, host component.Host) error {
	return e.g.start(ctx, host, e.Traces.Start)
}

func (e tracesExporter) Shutdown(ctx context.Context) error {
	return e.g.shutdown(ctx, e.Traces.Shutdown)
}

func (e tracesExporter) ExporterHelperBatchingEnabled() bool { return batching(e.Traces) }

// batching forwards the interface the service graph asks exporterhelper
// exporters for.
func batching(c component.Component) bool {
	b, ok := c.(interface{ ExporterHelperBatchingEnabled() bool })
	return ok && b.ExporterHelperBatchingEnabled()
}

// WrapLogs puts g around a logs exporter built with g's Settings and Push.
func (g *Guard) WrapLogs(e exporter.Logs) exporter.Logs { return logsExporter{Logs: e, g: g} }

// WrapTraces puts g around a traces exporter built with g's Settings and Push.
func (g *Guard) WrapTraces(e exporter.Traces) exporter.Traces { return tracesExporter{Traces: e, g: g} }

// QueueStorage returns the storage extension of a persistent sending
// queue, nil for a memory queue or none.
func QueueStorage(q configoptional.Optional[exporterhelper.QueueBatchConfig]) *component.ID {
	if c := q.Get(); c != nil {
		return c.StorageID
	}
	return nil
}

// ValidateTimeout checks a shutdown_timeout field.
func ValidateTimeout(d time.Duration) error {
	if d <= 0 {
		return fmt.Errorf("shutdown_timeout: must be positive, got %s", d)
	}
	return nil
}
