package sim

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlplog/otlploggrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetricgrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/otelcol-payments/otelcol-payments/internal/contract"
)

// exportBatch is the SDK export batch size for spans and logs: large enough
// to keep gRPC round trips few, small enough to stay far below the
// receiver's 4 MiB message limit.
const exportBatch = 2048

// pipeline owns the three SDK providers and checks that everything handed to
// the SDK reached the endpoint.
type pipeline struct {
	traces  *sdktrace.TracerProvider
	logs    *sdklog.LoggerProvider
	metrics *sdkmetric.MeterProvider

	spanExp   *countingSpanExporter
	logExp    *countingLogExporter
	metricErr lastError

	// logsEmitted and the log exporter's counters give the number of log
	// records still queued in the SDK; emitters wait while it is high because
	// the log batch processor drops the oldest record when its queue is full.
	logsEmitted  atomic.Int64
	maxLogQueued int64
	progress     chan struct{}
}

func newPipeline(ctx context.Context, cfg Config, ids sdktrace.IDGenerator) (*pipeline, error) {
	res := simResource(cfg)
	p := &pipeline{progress: make(chan struct{}, 1), maxLogQueued: int64(cfg.MaxQueue / 2)}
	notify := func() {
		select {
		case p.progress <- struct{}{}:
		default:
		}
	}

	traceOpts := []otlptracegrpc.Option{otlptracegrpc.WithEndpoint(cfg.Endpoint), otlptracegrpc.WithHeaders(cfg.Headers)}
	logOpts := []otlploggrpc.Option{otlploggrpc.WithEndpoint(cfg.Endpoint), otlploggrpc.WithHeaders(cfg.Headers)}
	metricOpts := []otlpmetricgrpc.Option{otlpmetricgrpc.WithEndpoint(cfg.Endpoint), otlpmetricgrpc.WithHeaders(cfg.Headers)}
	if cfg.ExportTimeout > 0 {
		traceOpts = append(traceOpts, otlptracegrpc.WithTimeout(cfg.ExportTimeout), otlptracegrpc.WithRetry(otlptracegrpc.RetryConfig{
			Enabled: true, InitialInterval: 100 * time.Millisecond, MaxInterval: time.Second, MaxElapsedTime: cfg.ExportTimeout,
		}))
		logOpts = append(logOpts, otlploggrpc.WithTimeout(cfg.ExportTimeout), otlploggrpc.WithRetry(otlploggrpc.RetryConfig{
			Enabled: true, InitialInterval: 100 * time.Millisecond, MaxInterval: time.Second, MaxElapsedTime: cfg.ExportTimeout,
		}))
	}
	if cfg.Insecure {
		traceOpts = append(traceOpts, otlptracegrpc.WithInsecure())
		logOpts = append(logOpts, otlploggrpc.WithInsecure())
		metricOpts = append(metricOpts, otlpmetricgrpc.WithInsecure())
	}
	spanExp, err := otlptracegrpc.New(ctx, traceOpts...)
	if err != nil {
		return nil, fmt.Errorf("creating OTLP trace exporter: %w", err)
	}
	logExp, err := otlploggrpc.New(ctx, logOpts...)
	if err != nil {
		return nil, fmt.Errorf("creating OTLP log exporter: %w", err)
	}
	metricExp, err := otlpmetricgrpc.New(ctx, metricOpts...)
	if err != nil {
		return nil, fmt.Errorf("creating OTLP metric exporter: %w", err)
	}
	p.spanExp = &countingSpanExporter{SpanExporter: spanExp, notify: notify}
	p.logExp = &countingLogExporter{Exporter: logExp, notify: notify}

	p.traces = sdktrace.NewTracerProvider(
		sdktrace.WithResource(res),
		sdktrace.WithIDGenerator(ids),
		sdktrace.WithSampler(sdktrace.AlwaysSample()),
		sdktrace.WithBatcher(p.spanExp,
			sdktrace.WithMaxQueueSize(cfg.MaxQueue),
			sdktrace.WithMaxExportBatchSize(exportBatch),
			sdktrace.WithBatchTimeout(time.Second),
			sdktrace.WithExportTimeout(max(cfg.ExportTimeout, 30*time.Second)),
			// Block the emitter rather than drop spans when the queue is full.
			sdktrace.WithBlocking(),
		),
		// Card-testing bursts and item lists can exceed the default 128.
		sdktrace.WithRawSpanLimits(spanLimits),
	)
	p.logs = sdklog.NewLoggerProvider(
		sdklog.WithResource(res),
		sdklog.WithProcessor(sdklog.NewBatchProcessor(p.logExp,
			sdklog.WithMaxQueueSize(cfg.MaxQueue),
			sdklog.WithExportMaxBatchSize(exportBatch),
			sdklog.WithExportInterval(time.Second),
			sdklog.WithExportTimeout(max(cfg.ExportTimeout, 30*time.Second)),
		)),
		sdklog.WithAttributeCountLimit(256),
	)
	p.metrics = sdkmetric.NewMeterProvider(
		sdkmetric.WithResource(res),
		sdkmetric.WithReader(sdkmetric.NewPeriodicReader(
			&errRecordingMetricExporter{Exporter: metricExp, last: &p.metricErr},
			sdkmetric.WithInterval(cfg.MetricInterval),
		)),
	)
	return p, nil
}

func simResource(cfg Config) *resource.Resource {
	return resource.NewSchemaless(
		attribute.String(contract.ServiceName, cfg.ServiceName),
		attribute.String(contract.ServiceVersion, "1.4.2"),
		attribute.String(contract.DeploymentEnv, cfg.Environment),
		attribute.String("telemetry.sdk.language", "go"),
		attribute.String("telemetry.sdk.name", "opentelemetry"),
	)
}

var spanLimits = sdktrace.SpanLimits{
	AttributeValueLengthLimit: -1, AttributeCountLimit: 256, EventCountLimit: 256,
	LinkCountLimit: 128, AttributePerEventCountLimit: 256, AttributePerLinkCountLimit: 128,
}

// waitForLogQueue blocks while too many log records are queued in the SDK.
func (p *pipeline) waitForLogQueue(ctx context.Context) error {
	for p.logsEmitted.Load()-p.logExp.done() > p.maxLogQueued {
		select {
		case <-p.progress:
		case <-time.After(50 * time.Millisecond):
			// progress is a hint; re-check in case a notification was coalesced.
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// shutdown flushes and stops all providers, then reports anything that did
// not reach the endpoint: spansStarted must equal the spans exported.
func (p *pipeline) shutdown(ctx context.Context, spansEnded int64) error {
	errs := []error{
		p.traces.Shutdown(ctx),
		p.logs.Shutdown(ctx),
		p.metrics.Shutdown(ctx),
	}
	if n, failed, last := p.spanExp.exported.Load(), p.spanExp.failed.Load(), p.spanExp.err.get(); n != spansEnded {
		errs = append(errs, fmt.Errorf("spans not delivered: %d ended, %d exported (%d failed to export, last error: %v)", spansEnded, n, failed, last)) //nolint:errorlint // last may be nil; quoted, not wrapped
	}
	if n, failed, last := p.logExp.exported.Load(), p.logExp.failed.Load(), p.logExp.err.get(); n != p.logsEmitted.Load() {
		errs = append(errs, fmt.Errorf("log records not delivered: %d emitted, %d exported (%d failed to export, last error: %v)", p.logsEmitted.Load(), n, failed, last)) //nolint:errorlint // last may be nil; quoted, not wrapped
	}
	if err := p.metricErr.get(); err != nil {
		errs = append(errs, fmt.Errorf("metrics export: %w", err))
	}
	return errors.Join(errs...)
}

type lastError struct {
	mu  sync.Mutex
	err error
}

func (l *lastError) set(err error) {
	l.mu.Lock()
	l.err = err
	l.mu.Unlock()
}

func (l *lastError) get() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.err
}

type countingSpanExporter struct {
	sdktrace.SpanExporter
	exported, failed atomic.Int64
	err              lastError
	notify           func()
}

func (e *countingSpanExporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	err := e.SpanExporter.ExportSpans(ctx, spans)
	if err != nil {
		e.failed.Add(int64(len(spans)))
		e.err.set(err)
	} else {
		e.exported.Add(int64(len(spans)))
	}
	e.notify()
	return err
}

type countingLogExporter struct {
	sdklog.Exporter
	exported, failed atomic.Int64
	err              lastError
	notify           func()
}

func (e *countingLogExporter) Export(ctx context.Context, records []sdklog.Record) error {
	err := e.Exporter.Export(ctx, records)
	if err != nil {
		e.failed.Add(int64(len(records)))
		e.err.set(err)
	} else {
		e.exported.Add(int64(len(records)))
	}
	e.notify()
	return err
}

func (e *countingLogExporter) done() int64 { return e.exported.Load() + e.failed.Load() }

type errRecordingMetricExporter struct {
	sdkmetric.Exporter
	last *lastError
}

func (e *errRecordingMetricExporter) Export(ctx context.Context, rm *metricdata.ResourceMetrics) error {
	err := e.Exporter.Export(ctx, rm)
	if err != nil {
		e.last.set(err)
	}
	return err
}
