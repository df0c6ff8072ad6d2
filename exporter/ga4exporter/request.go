package ga4exporter

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"

	"go.opentelemetry.io/collector/exporter/exporterhelper"
	"go.opentelemetry.io/collector/exporter/exporterhelper/xexporterhelper"

	"github.com/otelcol-payments/otelcol-payments/exporter/ga4exporter/internal/mp"
	"github.com/otelcol-payments/otelcol-payments/internal/queueitem"
)

// ga4Request is what the sending queue holds: the GA4 events of one batch,
// already mapped and encoded, instead of the whole batch of telemetry they
// came from (most spans and log records are no GA4 event at all).
type ga4Request struct {
	events []queuedEvent
}

// queuedEvent is one mapped GA4 event.
type queuedEvent struct {
	header mp.Header
	// transactionID is set for purchases (dedup at send time).
	transactionID string
	event         mp.Encoded
}

var (
	_ xexporterhelper.Request             = (*ga4Request)(nil)
	_ xexporterhelper.RequestErrorHandler = (*ga4Request)(nil)
)

func (r *ga4Request) ItemsCount() int { return len(r.events) }

func (r *ga4Request) BytesSize() int {
	n := 0
	for i := range r.events {
		n += r.events[i].size()
	}
	return n
}

func (e *queuedEvent) size() int {
	h := &e.header
	return len(h.ClientID) + len(h.UserID) + len(h.Consent.AdUserData) + len(h.Consent.AdPersonalization) +
		len(e.transactionID) + len(e.event.JSON) + 8
}

// MergeSplit appends other's events and cuts the result into requests of at
// most maxSize items or bytes (only used when sending_queue::batch is set).
func (r *ga4Request) MergeSplit(_ context.Context, maxSize int, sizer exporterhelper.RequestSizerType, other xexporterhelper.Request) ([]xexporterhelper.Request, error) {
	events := r.events
	if other != nil {
		o, ok := other.(*ga4Request)
		if !ok {
			return nil, fmt.Errorf("cannot merge a %T into a GA4 request", other)
		}
		events = append(events[:len(events):len(events)], o.events...)
	}
	size := func(*queuedEvent) int { return 1 }
	if sizer == exporterhelper.RequestSizerTypeBytes {
		size = (*queuedEvent).size
	}
	runs := queueitem.Split(events, maxSize, size)
	out := make([]xexporterhelper.Request, len(runs))
	for i, run := range runs {
		out[i] = &ga4Request{events: run}
	}
	return out, nil
}

// OnError keeps for the retry only the events that a retryable error left
// undelivered.
func (r *ga4Request) OnError(err error) xexporterhelper.Request {
	if rest, ok := errors.AsType[*undelivered](err); ok {
		return &ga4Request{events: rest.events}
	}
	return r
}

// undelivered wraps a retryable send error with the events still to send.
type undelivered struct {
	err    error
	events []queuedEvent
}

func (u *undelivered) Error() string { return u.err.Error() }
func (u *undelivered) Unwrap() error { return u.err }

// queueMagic starts every queued GA4 request (format version 1). Anything
// else in the queue was written by a version that queued whole batches.
const queueMagic = "ga4q\x01"

// queueEncoding stores GA4 requests in the persistent queue. Items written
// by earlier versions (whole OTLP batches) are converted when read, so an
// upgrade loses nothing that was queued.
type queueEncoding struct {
	e      *ga4Exporter
	traces bool
}

func (q queueEncoding) Marshal(_ context.Context, req xexporterhelper.Request) ([]byte, error) {
	r := req.(*ga4Request)
	b := make([]byte, 0, len(queueMagic)+r.BytesSize()+8*len(r.events))
	b = append(b, queueMagic...)
	b = binary.AppendUvarint(b, uint64(len(r.events)))
	for i := range r.events {
		ev := &r.events[i]
		for _, s := range [...]string{ev.header.ClientID, ev.header.UserID, ev.header.Consent.AdUserData, ev.header.Consent.AdPersonalization, ev.transactionID} {
			b = queueitem.AppendString(b, s)
		}
		b = binary.AppendVarint(b, ev.event.TimestampMicros)
		b = queueitem.AppendBytes(b, ev.event.JSON)
	}
	return b, nil
}

func (q queueEncoding) Unmarshal(b []byte) (context.Context, xexporterhelper.Request, error) {
	ctx := context.Background()
	d, ok := queueitem.NewReader(b, queueMagic)
	if !ok {
		return q.legacy(b)
	}
	n := d.Count()
	r := &ga4Request{events: make([]queuedEvent, 0, n)}
	for range n {
		var ev queuedEvent
		ev.header.ClientID = d.String()
		ev.header.UserID = d.String()
		ev.header.Consent.AdUserData = d.String()
		ev.header.Consent.AdPersonalization = d.String()
		ev.transactionID = d.String()
		ev.event.TimestampMicros = d.Varint()
		ev.event.JSON = d.Bytes()
		r.events = append(r.events, ev)
	}
	if err := d.Err(); err != nil {
		return ctx, nil, fmt.Errorf("GA4 queue item: %w", err)
	}
	return ctx, r, nil
}

// legacy reads a whole OTLP batch queued by an earlier version and converts it.
func (q queueEncoding) legacy(b []byte) (context.Context, xexporterhelper.Request, error) {
	return queueitem.ConvertLegacy(b, q.traces, queueitem.Converters[xexporterhelper.Request]{Traces: q.e.convertTraces, Logs: q.e.convertLogs})
}
