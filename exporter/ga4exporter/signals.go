package ga4exporter

import (
	"context"
	"time"

	"go.opentelemetry.io/collector/exporter/exporterhelper/xexporterhelper"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.uber.org/zap"

	"github.com/otelcol-payments/otelcol-payments/exporter/ga4exporter/internal/mapping"
	"github.com/otelcol-payments/otelcol-payments/exporter/ga4exporter/internal/metadata"
	"github.com/otelcol-payments/otelcol-payments/exporter/ga4exporter/internal/mp"
	"github.com/otelcol-payments/otelcol-payments/internal/contract"
)

// convertLogs maps the business events carried as log records (event.name
// in the attributes, or the record's EventName field) to GA4 events before
// the sending queue.
func (e *ga4Exporter) convertLogs(ctx context.Context, ld plog.Logs) (xexporterhelper.Request, error) {
	now := e.now()
	req := eventKind.New(nil)
	rls := ld.ResourceLogs()
	for i := 0; i < rls.Len(); i++ {
		sls := rls.At(i).ScopeLogs()
		for j := 0; j < sls.Len(); j++ {
			lrs := sls.At(j).LogRecords()
			for k := 0; k < lrs.Len(); k++ {
				lr := lrs.At(k)
				name := contract.LogEventName(lr)
				if _, ok := e.mapper.GAName(name); !ok {
					continue // not a GA4 event: the common case
				}
				in := mapping.Input{Name: name, Attrs: mapping.Attrs{lr.Attributes()}, Time: logTime(lr)}
				e.appendEvent(ctx, req, in, now)
			}
		}
	}
	return req, nil
}

// convertTraces maps the business events carried as span events; attributes
// the event lacks are looked up on its span.
func (e *ga4Exporter) convertTraces(ctx context.Context, td ptrace.Traces) (xexporterhelper.Request, error) {
	now := e.now()
	req := eventKind.New(nil)
	forEachSpanEvent(td, func(span ptrace.Span, ev ptrace.SpanEvent) {
		if _, ok := e.mapper.GAName(ev.Name()); !ok {
			return
		}
		in := mapping.Input{
			Name:  ev.Name(),
			Attrs: mapping.Attrs{ev.Attributes(), span.Attributes()},
		}
		// Unset or beyond 2262 (AsTime would wrap it to 1969): unknown,
		// which the mapping takes as now.
		in.Time, _ = contract.TimestampTime(ev.Timestamp())
		e.appendEvent(ctx, req, in, now)
	})
	return req, nil
}

// appendEvent maps and encodes one event into req; events the mapping
// drops are counted there.
func (e *ga4Exporter) appendEvent(ctx context.Context, req *ga4Request, in mapping.Input, now time.Time) {
	res, ok := e.mapEvent(ctx, in, now)
	if !ok {
		return
	}
	enc, err := mp.Encode(&res.Event)
	if err != nil {
		e.tb.EventsDropped.Add(ctx, 1, metadata.Reason(dropRejected))
		e.logger.Warn("GA4 event could not be encoded; dropped", zap.Error(err))
		return
	}
	req.Items = append(req.Items, queuedEvent{header: res.Header, transactionID: res.TransactionID, event: enc})
}

// push sends a queued request; on a retryable failure the error carries the
// events still to send (ga4Request.OnError).
func (e *ga4Exporter) push(ctx context.Context, r xexporterhelper.Request) error {
	req := r.(*ga4Request)
	if len(req.Items) == 0 {
		return nil
	}
	return e.send(ctx, req.Items)
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
