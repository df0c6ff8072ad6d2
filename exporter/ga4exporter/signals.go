package ga4exporter

import (
	"context"
	"sync"
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

// logMatch and spanEventMatch are the business events of a batch, found
// in a first pass so that the request's items are allocated once, at their
// final size; the scratch slices are pooled.
type logMatch struct {
	lr   plog.LogRecord
	name string
}

type spanEventMatch struct {
	span ptrace.Span
	ev   ptrace.SpanEvent
}

var (
	logMatches       = sync.Pool{New: func() any { return new([]logMatch) }}
	spanEventMatches = sync.Pool{New: func() any { return new([]spanEventMatch) }}
)

// convertLogs maps the business events carried as log records (event.name
// in the attributes, or the record's EventName field) to GA4 events before
// the sending queue.
func (e *ga4Exporter) convertLogs(ctx context.Context, ld plog.Logs) (xexporterhelper.Request, error) {
	scratch := logMatches.Get().(*[]logMatch)
	matches := (*scratch)[:0]
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
				matches = append(matches, logMatch{lr: lr, name: name})
			}
		}
	}
	c := e.newBatch(len(matches))
	for _, m := range matches {
		c.append(ctx, mapping.Input{Name: m.name, Attrs: mapping.Attrs{m.lr.Attributes()}, Time: logTime(m.lr)})
	}
	clear(matches) // no pdata kept alive by the pool
	*scratch = matches[:0]
	logMatches.Put(scratch)
	return c.req, nil
}

// convertTraces maps the business events carried as span events; attributes
// the event lacks are looked up on its span.
func (e *ga4Exporter) convertTraces(ctx context.Context, td ptrace.Traces) (xexporterhelper.Request, error) {
	scratch := spanEventMatches.Get().(*[]spanEventMatch)
	matches := (*scratch)[:0]
	forEachSpanEvent(td, func(span ptrace.Span, ev ptrace.SpanEvent) {
		if _, ok := e.mapper.GAName(ev.Name()); ok {
			matches = append(matches, spanEventMatch{span: span, ev: ev})
		}
	})
	c := e.newBatch(len(matches))
	for _, m := range matches {
		in := mapping.Input{
			Name:  m.ev.Name(),
			Attrs: mapping.Attrs{m.ev.Attributes(), m.span.Attributes()},
		}
		// Unset or beyond 2262 (AsTime would wrap it to 1969): unknown,
		// which the mapping takes as now.
		in.Time, _ = contract.TimestampTime(m.ev.Timestamp())
		c.append(ctx, in)
	}
	clear(matches)
	*scratch = matches[:0]
	spanEventMatches.Put(scratch)
	return c.req, nil
}

// batch maps and encodes the events of one batch: one Result reused from
// event to event and one arena for the encoded events.
type batch struct {
	e     *ga4Exporter
	now   time.Time
	req   *ga4Request
	res   mapping.Result
	arena mp.Arena
}

func (e *ga4Exporter) newBatch(events int) *batch {
	var items []queuedEvent
	if events > 0 {
		items = make([]queuedEvent, 0, events)
	}
	c := &batch{e: e, now: e.now(), req: eventKind.New(items)}
	// ~500 bytes an event (purchases with items are more, views less).
	c.arena.Reserve(events * 512)
	return c
}

// append maps and encodes one event into the request; events the mapping
// drops are counted there.
func (c *batch) append(ctx context.Context, in mapping.Input) {
	e := c.e
	if !e.mapEvent(ctx, &c.res, in, c.now) {
		return
	}
	enc, err := c.arena.Encode(&c.res.Event)
	if err != nil {
		e.tb.EventsDropped.Add(ctx, 1, metadata.Reason(dropRejected))
		e.logger.Warn("GA4 event could not be encoded; dropped", zap.Error(err))
		return
	}
	c.req.Items = append(c.req.Items, queuedEvent{header: c.res.Header, transactionID: c.res.TransactionID, event: enc})
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
