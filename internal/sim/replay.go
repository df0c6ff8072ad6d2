package sim

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// Sink receives the telemetry of a Replay as pdata, synchronously.
type Sink interface {
	// Advance is called with the simulated time before each session.
	Advance(now time.Time)
	ConsumeTraces(ptrace.Traces)
	ConsumeLogs(plog.Logs)
}

// Replay runs cfg's traffic on a simulated clock starting at start, without
// a network and without waiting: session i happens at start + i/Rate, and
// every span and log record reaches sink as soon as it ends, so a consumer
// with an injected clock (alert rules) sees hours of traffic in seconds.
// cfg.Rate must be positive; Endpoint, Insecure, Headers, MetricInterval
// and MaxQueue are ignored, and metrics are not exported.
func Replay(ctx context.Context, cfg Config, start time.Time, sink Sink) (*Ledger, error) {
	if cfg.Rate <= 0 {
		return nil, errors.New("invalid simulator config: replay needs a positive rate")
	}
	cfg.Endpoint = "replay"
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("invalid simulator config: %w", err)
	}
	cfg = cfg.withDefaults()
	p := newReplayPipeline(cfg, newIDGenerator(cfg.Seed), sink)
	e, err := newEmitter(cfg, p)
	if err != nil {
		return nil, err
	}
	now := start
	e.now = func() time.Time { return now }
	narr := newNarrator(cfg)
	var runErr error
	var offset time.Duration
	for i := 0; cfg.Count == 0 || i < cfg.Count; i++ {
		offset = time.Duration(float64(i) / cfg.Rate * float64(time.Second))
		if cfg.Duration > 0 && offset >= cfg.Duration {
			break
		}
		if runErr = ctx.Err(); runErr != nil {
			break
		}
		now = start.Add(offset)
		sink.Advance(now)
		narr.before(i, offset, e.ledger)
		if runErr = e.step(ctx, i, offset); runErr != nil {
			break
		}
	}
	narr.done(offset, e.ledger)
	return e.ledger, errors.Join(runErr, p.shutdown(context.WithoutCancel(ctx), e.ledger.Spans))
}

func newReplayPipeline(cfg Config, ids sdktrace.IDGenerator, sink Sink) *pipeline {
	res := simResource(cfg)
	p := &pipeline{progress: make(chan struct{}, 1), maxLogQueued: int64(cfg.MaxQueue / 2)}
	p.spanExp = &countingSpanExporter{SpanExporter: spanSink{sink}, notify: func() {}}
	p.logExp = &countingLogExporter{Exporter: logSink{sink}, notify: func() {}}
	p.traces = sdktrace.NewTracerProvider(
		sdktrace.WithResource(res),
		sdktrace.WithIDGenerator(ids),
		sdktrace.WithSampler(sdktrace.AlwaysSample()),
		sdktrace.WithSyncer(p.spanExp),
		sdktrace.WithRawSpanLimits(spanLimits),
	)
	p.logs = sdklog.NewLoggerProvider(
		sdklog.WithResource(res),
		sdklog.WithProcessor(sdklog.NewSimpleProcessor(p.logExp)),
		sdklog.WithAttributeCountLimit(256),
	)
	p.metrics = sdkmetric.NewMeterProvider(sdkmetric.WithResource(res))
	return p
}

type spanSink struct{ sink Sink }

func (s spanSink) ExportSpans(_ context.Context, spans []sdktrace.ReadOnlySpan) error {
	if len(spans) == 0 {
		return nil
	}
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	putAttrs(rs.Resource().Attributes(), spans[0].Resource().Attributes())
	ss := rs.ScopeSpans().AppendEmpty()
	ss.Scope().SetName(ScopeName)
	for _, sp := range spans {
		out := ss.Spans().AppendEmpty()
		out.SetName(sp.Name())
		out.SetKind(ptrace.SpanKind(sp.SpanKind())) // same numbering as OTLP
		out.SetTraceID(pcommon.TraceID(sp.SpanContext().TraceID()))
		out.SetSpanID(pcommon.SpanID(sp.SpanContext().SpanID()))
		if sp.Parent().IsValid() {
			out.SetParentSpanID(pcommon.SpanID(sp.Parent().SpanID()))
		}
		out.SetStartTimestamp(pcommon.NewTimestampFromTime(sp.StartTime()))
		out.SetEndTimestamp(pcommon.NewTimestampFromTime(sp.EndTime()))
		switch sp.Status().Code {
		case codes.Error:
			out.Status().SetCode(ptrace.StatusCodeError)
		case codes.Ok:
			out.Status().SetCode(ptrace.StatusCodeOk)
		}
		out.Status().SetMessage(sp.Status().Description)
		putAttrs(out.Attributes(), sp.Attributes())
		for _, ev := range sp.Events() {
			oe := out.Events().AppendEmpty()
			oe.SetName(ev.Name)
			oe.SetTimestamp(pcommon.NewTimestampFromTime(ev.Time))
			putAttrs(oe.Attributes(), ev.Attributes)
		}
	}
	s.sink.ConsumeTraces(td)
	return nil
}

func (spanSink) Shutdown(context.Context) error { return nil }

type logSink struct{ sink Sink }

func (s logSink) Export(_ context.Context, records []sdklog.Record) error {
	if len(records) == 0 {
		return nil
	}
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	if res := records[0].Resource(); res != nil {
		putAttrs(rl.Resource().Attributes(), res.Attributes())
	}
	sl := rl.ScopeLogs().AppendEmpty()
	sl.Scope().SetName(ScopeName)
	for i := range records {
		r := &records[i]
		lr := sl.LogRecords().AppendEmpty()
		lr.SetTimestamp(pcommon.NewTimestampFromTime(r.Timestamp()))
		lr.SetSeverityNumber(plog.SeverityNumber(r.Severity()))
		lr.SetSeverityText(r.SeverityText())
		lr.SetEventName(r.EventName())
		lr.SetTraceID(pcommon.TraceID(r.TraceID()))
		lr.SetSpanID(pcommon.SpanID(r.SpanID()))
		putValue(lr.Body(), r.Body())
		r.WalkAttributes(func(kv attribute.KeyValue) bool {
			putValue(lr.Attributes().PutEmpty(string(kv.Key)), kv.Value)
			return true
		})
	}
	s.sink.ConsumeLogs(ld)
	return nil
}

func (logSink) Shutdown(context.Context) error   { return nil }
func (logSink) ForceFlush(context.Context) error { return nil }

func putAttrs(m pcommon.Map, kvs []attribute.KeyValue) {
	m.EnsureCapacity(len(kvs))
	for _, kv := range kvs {
		putValue(m.PutEmpty(string(kv.Key)), kv.Value)
	}
}

func putValue(dst pcommon.Value, v attribute.Value) {
	switch v.Type() {
	case attribute.BOOL:
		dst.SetBool(v.AsBool())
	case attribute.INT64:
		dst.SetInt(v.AsInt64())
	case attribute.FLOAT64:
		dst.SetDouble(v.AsFloat64())
	case attribute.STRING:
		dst.SetStr(v.AsString())
	case attribute.BYTESLICE:
		dst.SetEmptyBytes().FromRaw(v.AsByteSlice())
	case attribute.MAP:
		m := dst.SetEmptyMap()
		for _, kv := range v.AsMap() {
			putValue(m.PutEmpty(string(kv.Key)), kv.Value)
		}
	case attribute.BOOLSLICE, attribute.INT64SLICE, attribute.FLOAT64SLICE, attribute.STRINGSLICE, attribute.SLICE:
		s := dst.SetEmptySlice()
		for _, item := range sliceValues(v) {
			putValue(s.AppendEmpty(), item)
		}
	}
}

func sliceValues(v attribute.Value) []attribute.Value {
	var out []attribute.Value
	switch v.Type() {
	case attribute.BOOLSLICE:
		for _, b := range v.AsBoolSlice() {
			out = append(out, attribute.BoolValue(b))
		}
	case attribute.INT64SLICE:
		for _, i := range v.AsInt64Slice() {
			out = append(out, attribute.Int64Value(i))
		}
	case attribute.FLOAT64SLICE:
		for _, f := range v.AsFloat64Slice() {
			out = append(out, attribute.Float64Value(f))
		}
	case attribute.STRINGSLICE:
		for _, s := range v.AsStringSlice() {
			out = append(out, attribute.StringValue(s))
		}
	case attribute.SLICE:
		out = v.AsSlice()
	}
	return out
}
