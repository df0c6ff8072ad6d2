package otlpsplitexporter

import (
	"context"
	"sync"
	"time"

	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/otelcol-payments/otelcol-payments/exporter/otlpsplitexporter/internal/metadata"
	"github.com/otelcol-payments/otelcol-payments/internal/spend"
)

// maxSends bounds the attempts one batch may take while it is split: a
// poison record costs about 2·log2(batch) attempts (26 for 8,192 records);
// a refusal that every record causes stops here instead of costing one
// attempt per record. What is left unsent then is dropped and counted.
const maxSends = 64

// splittable reports whether err is a refusal one record can cause: the
// message is too large (ResourceExhausted without RetryInfo; with it the
// otlp exporter retries), it does not decode (InvalidArgument, or
// Internal "grpc: error unmarshalling request"), or the receiving
// collector's pipeline refused it permanently (its OTLP receiver answers
// Internal). Authentication errors, for example, refuse every half alike
// and are not split.
func splittable(err error) bool {
	if !consumererror.IsPermanent(err) {
		return false
	}
	st, ok := status.FromError(err)
	if !ok {
		return false
	}
	switch st.Code() {
	case codes.ResourceExhausted, codes.InvalidArgument, codes.Internal:
		return true
	}
	return false
}

// ops are one signal's operations on its batches.
type ops[T any] struct {
	signal string
	send   func(context.Context, T) error
	units  func(T) int // what halve divides (records, spans, metrics)
	items  func(T) int // what is counted when dropped (records, spans, data points)
	halve  func(T) (T, T)
	merge  func(dst, src T)
	rest   func(error, T) error // the retryable error carrying what is left to send
}

type splitter struct {
	logger  *zap.Logger
	dropped metric.Int64Counter
	now     func() time.Time
	// set and signal name the spend meter, which counts what the next hop
	// accepted (spend.go).
	set          exporter.Settings
	signal       spend.Signal
	meter        *spend.Meter
	releaseSpend func()

	mu       sync.Mutex
	lastWarn time.Time
	pending  map[string]int64 // items dropped since the last warning, per signal
	code     codes.Code       // of the last refusal
}

func newSplitter(set exporter.Settings, signal spend.Signal) (*splitter, error) {
	tb, err := metadata.NewTelemetryBuilder(set.TelemetrySettings)
	if err != nil {
		return nil, err
	}
	return &splitter{logger: set.Logger, dropped: tb.Dropped, now: time.Now, pending: map[string]int64{}, set: set, signal: signal}, nil
}

// push sends a batch whole; when the next hop refuses it for a reason one
// record can cause, the halves are sent, down to single items, which are
// dropped, counted and logged. A retryable error on the way returns what
// is left to send, for the retry sender to send again (never the halves
// already delivered).
func push[T any](s *splitter, o ops[T]) func(context.Context, T) error {
	return func(ctx context.Context, data T) error {
		err := o.send(ctx, data)
		if err == nil || !splittable(err) || o.units(data) <= 1 {
			return err // the otlp_grpc exporter's own behaviour
		}
		sends := 1
		a, b := o.halve(data)
		rest, err := deliver(ctx, s, o, a, &sends)
		if err != nil {
			o.merge(rest, b)
		} else {
			rest, err = deliver(ctx, s, o, b, &sends)
		}
		s.warn()
		if err != nil {
			return o.rest(err, rest)
		}
		return nil
	}
}

// deliver sends part of a split batch. It returns what is left to send
// after a retryable error, with that error.
func deliver[T any](ctx context.Context, s *splitter, o ops[T], data T, sends *int) (T, error) {
	*sends++
	err := o.send(ctx, data)
	switch {
	case err == nil:
		return data, nil
	case !consumererror.IsPermanent(err):
		return data, err
	case !splittable(err) || o.units(data) <= 1 || *sends >= maxSends:
		s.drop(ctx, o.signal, o.items(data), err)
		return data, nil
	}
	a, b := o.halve(data)
	rest, err := deliver(ctx, s, o, a, sends)
	if err != nil {
		o.merge(rest, b)
		return rest, err
	}
	return deliver(ctx, s, o, b, sends)
}

// drop counts items the next hop refused on their own.
func (s *splitter) drop(ctx context.Context, signal string, n int, err error) {
	code := status.Code(err)
	s.dropped.Add(ctx, int64(n), metric.WithAttributeSet(attribute.NewSet(
		attribute.String("signal", signal), attribute.String("code", code.String()))))
	s.mu.Lock()
	s.pending[signal] += int64(n)
	s.code = code
	s.mu.Unlock()
}

// warn logs what was dropped since the last warning, at most once a
// minute. It names the signal, the numbers and the gRPC code, never the
// refused content nor the next hop's message about it.
func (s *splitter) warn() {
	s.mu.Lock()
	now := s.now()
	if len(s.pending) == 0 || now.Sub(s.lastWarn) < time.Minute {
		s.mu.Unlock()
		return
	}
	s.lastWarn = now
	fields := []zap.Field{zap.String("code", s.code.String())}
	for signal, n := range s.pending {
		fields = append(fields, zap.Int64(signal, n))
	}
	clear(s.pending)
	s.mu.Unlock()
	s.logger.Warn("the next hop refused items on their own after their batch was split: dropped and counted in "+
		metadata.DroppedMetric+"; the rest of each batch was delivered (this warning repeats at most once a minute)", fields...)
}

func (s *splitter) pushLogs(send func(context.Context, plog.Logs) error) func(context.Context, plog.Logs) error {
	return push(s, ops[plog.Logs]{
		signal: "logs", send: metered(s, send, plog.Logs.LogRecordCount, (&plog.ProtoMarshaler{}).LogsSize),
		units: plog.Logs.LogRecordCount, items: plog.Logs.LogRecordCount,
		halve: halveLogs,
		merge: func(dst, src plog.Logs) { src.ResourceLogs().MoveAndAppendTo(dst.ResourceLogs()) },
		rest:  func(err error, ld plog.Logs) error { return consumererror.NewLogs(err, ld) },
	})
}

func (s *splitter) pushTraces(send func(context.Context, ptrace.Traces) error) func(context.Context, ptrace.Traces) error {
	return push(s, ops[ptrace.Traces]{
		signal: "traces", send: metered(s, send, ptrace.Traces.SpanCount, (&ptrace.ProtoMarshaler{}).TracesSize),
		units: ptrace.Traces.SpanCount, items: ptrace.Traces.SpanCount,
		halve: halveTraces,
		merge: func(dst, src ptrace.Traces) { src.ResourceSpans().MoveAndAppendTo(dst.ResourceSpans()) },
		rest:  func(err error, td ptrace.Traces) error { return consumererror.NewTraces(err, td) },
	})
}

// Metrics are split by metric: a metric is sent whole, all its data points
// together.
func (s *splitter) pushMetrics(send func(context.Context, pmetric.Metrics) error) func(context.Context, pmetric.Metrics) error {
	return push(s, ops[pmetric.Metrics]{
		signal: "metrics", send: metered(s, send, pmetric.Metrics.DataPointCount, (&pmetric.ProtoMarshaler{}).MetricsSize),
		units: pmetric.Metrics.MetricCount, items: pmetric.Metrics.DataPointCount,
		halve: halveMetrics,
		merge: func(dst, src pmetric.Metrics) { src.ResourceMetrics().MoveAndAppendTo(dst.ResourceMetrics()) },
		rest:  func(err error, md pmetric.Metrics) error { return consumererror.NewMetrics(err, md) },
	})
}
