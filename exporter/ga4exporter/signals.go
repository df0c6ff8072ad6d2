package ga4exporter

import (
	"context"
	"time"

	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/otelcol-payments/otelcol-payments/exporter/ga4exporter/internal/mapping"
	"github.com/otelcol-payments/otelcol-payments/internal/contract"
)

// pushLogs sends business events carried as log records (event.name in the
// attributes, or the record's EventName field).
func (e *ga4Exporter) pushLogs(ctx context.Context, ld plog.Logs) error {
	now := e.now()
	var events []mappedEvent
	src := 0
	rls := ld.ResourceLogs()
	for i := 0; i < rls.Len(); i++ {
		sls := rls.At(i).ScopeLogs()
		for j := 0; j < sls.Len(); j++ {
			lrs := sls.At(j).LogRecords()
			for k := 0; k < lrs.Len(); k++ {
				lr := lrs.At(k)
				in := mapping.Input{Name: contract.LogEventName(lr), Attrs: mapping.Attrs{lr.Attributes()}, Time: logTime(lr)}
				if res, ok := e.mapEvent(ctx, in, now); ok {
					events = append(events, mappedEvent{src: src, res: res})
				}
				src++
			}
		}
	}
	retry, err := e.send(ctx, events)
	if err == nil || retry == nil {
		return err
	}
	return consumererror.NewLogs(err, filterLogs(ld, retry))
}

// pushTraces sends business events carried as span events; attributes the
// event lacks are looked up on its span.
func (e *ga4Exporter) pushTraces(ctx context.Context, td ptrace.Traces) error {
	now := e.now()
	var events []mappedEvent
	src := 0
	forEachSpanEvent(td, func(span ptrace.Span, ev ptrace.SpanEvent) {
		in := mapping.Input{
			Name:  ev.Name(),
			Attrs: mapping.Attrs{ev.Attributes(), span.Attributes()},
		}
		// Unset or beyond 2262 (AsTime would wrap it to 1969): unknown,
		// which the mapping takes as now.
		in.Time, _ = contract.TimestampTime(ev.Timestamp())
		if res, ok := e.mapEvent(ctx, in, now); ok {
			events = append(events, mappedEvent{src: src, res: res})
		}
		src++
	})
	retry, err := e.send(ctx, events)
	if err == nil || retry == nil {
		return err
	}
	return consumererror.NewTraces(err, filterTraces(td, retry))
}

func logTime(lr plog.LogRecord) time.Time {
	if t, ok := contract.TimestampTime(lr.Timestamp()); ok {
		return t
	}
	if t, ok := contract.TimestampTime(lr.ObservedTimestamp()); ok {
		return t
	}
	return time.Time{}
}

func forEachSpanEvent(td ptrace.Traces, fn func(ptrace.Span, ptrace.SpanEvent)) {
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		sss := rss.At(i).ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			spans := sss.At(j).Spans()
			for k := 0; k < spans.Len(); k++ {
				span := spans.At(k)
				evs := span.Events()
				for l := 0; l < evs.Len(); l++ {
					fn(span, evs.At(l))
				}
			}
		}
	}
}

// filterLogs copies the log records whose iteration index is in keep, for a
// retry of only what failed.
func filterLogs(ld plog.Logs, keep map[int]bool) plog.Logs {
	out := plog.NewLogs()
	src := 0
	rls := ld.ResourceLogs()
	for i := 0; i < rls.Len(); i++ {
		rl := rls.At(i)
		var orl plog.ResourceLogs
		hasRL := false
		sls := rl.ScopeLogs()
		for j := 0; j < sls.Len(); j++ {
			sl := sls.At(j)
			var osl plog.ScopeLogs
			hasSL := false
			lrs := sl.LogRecords()
			for k := 0; k < lrs.Len(); k++ {
				if keep[src] {
					if !hasRL {
						orl = out.ResourceLogs().AppendEmpty()
						rl.Resource().CopyTo(orl.Resource())
						orl.SetSchemaUrl(rl.SchemaUrl())
						hasRL = true
					}
					if !hasSL {
						osl = orl.ScopeLogs().AppendEmpty()
						sl.Scope().CopyTo(osl.Scope())
						osl.SetSchemaUrl(sl.SchemaUrl())
						hasSL = true
					}
					lrs.At(k).CopyTo(osl.LogRecords().AppendEmpty())
				}
				src++
			}
		}
	}
	return out
}

// filterTraces copies the spans that have a span event whose iteration index
// is in keep, with only those events.
func filterTraces(td ptrace.Traces, keep map[int]bool) ptrace.Traces {
	out := ptrace.NewTraces()
	src := 0
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		rs := rss.At(i)
		var ors ptrace.ResourceSpans
		hasRS := false
		sss := rs.ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			ss := sss.At(j)
			var oss ptrace.ScopeSpans
			hasSS := false
			spans := ss.Spans()
			for k := 0; k < spans.Len(); k++ {
				span := spans.At(k)
				evs := span.Events()
				var ospan ptrace.Span
				hasSpan := false
				for l := 0; l < evs.Len(); l++ {
					if keep[src] {
						if !hasRS {
							ors = out.ResourceSpans().AppendEmpty()
							rs.Resource().CopyTo(ors.Resource())
							ors.SetSchemaUrl(rs.SchemaUrl())
							hasRS = true
						}
						if !hasSS {
							oss = ors.ScopeSpans().AppendEmpty()
							ss.Scope().CopyTo(oss.Scope())
							oss.SetSchemaUrl(ss.SchemaUrl())
							hasSS = true
						}
						if !hasSpan {
							ospan = oss.Spans().AppendEmpty()
							span.CopyTo(ospan)
							ospan.Events().RemoveIf(func(ptrace.SpanEvent) bool { return true })
							hasSpan = true
						}
						evs.At(l).CopyTo(ospan.Events().AppendEmpty())
					}
					src++
				}
			}
		}
	}
	return out
}
