package ga4exporter

import (
	"encoding/binary"

	"go.opentelemetry.io/collector/exporter/exporterhelper/xexporterhelper"

	"github.com/otelcol-payments/otelcol-payments/exporter/ga4exporter/internal/mp"
	"github.com/otelcol-payments/otelcol-payments/internal/queueitem"
)

// ga4Request is what the sending queue holds: the GA4 events of one batch,
// already mapped and encoded, instead of the whole batch of telemetry they
// came from (most spans and log records are no GA4 event at all).
type ga4Request = queueitem.Request[queuedEvent]

// queuedEvent is one mapped GA4 event.
type queuedEvent struct {
	header mp.Header
	// transactionID is set for purchases (dedup at send time).
	transactionID string
	event         mp.Encoded
}

func (e *queuedEvent) size() int {
	h := &e.header
	return len(h.ClientID) + len(h.UserID) + len(h.Consent.AdUserData) + len(h.Consent.AdPersonalization) +
		len(e.transactionID) + len(e.event.JSON) + 8
}

// queueMagic starts every queued GA4 request (format version 1). Anything
// else in the queue was written by a version that queued whole batches.
const queueMagic = "ga4q\x01"

// eventKind is the queue item kind of GA4 requests.
var eventKind = &queueitem.Kind[queuedEvent]{
	Name:  "GA4",
	Size:  (*queuedEvent).size,
	Magic: queueMagic,
	Append: func(b []byte, ev *queuedEvent) []byte {
		for _, s := range [...]string{ev.header.ClientID, ev.header.UserID, ev.header.Consent.AdUserData, ev.header.Consent.AdPersonalization, ev.transactionID} {
			b = queueitem.AppendString(b, s)
		}
		b = binary.AppendVarint(b, ev.event.TimestampMicros)
		return queueitem.AppendBytes(b, ev.event.JSON)
	},
	Read: func(d *queueitem.Reader) queuedEvent {
		var ev queuedEvent
		ev.header.ClientID = d.String()
		ev.header.UserID = d.String()
		ev.header.Consent.AdUserData = d.String()
		ev.header.Consent.AdPersonalization = d.String()
		ev.transactionID = d.String()
		ev.event.TimestampMicros = d.Varint()
		ev.event.JSON = d.Bytes()
		// What the mapping always writes: a client id and an event object.
		// Anything else is a damaged item, whose body GA4 would take (2xx)
		// and drop with the other events of the request.
		if js := ev.event.JSON; ev.header.ClientID == "" || len(js) < 2 || js[0] != '{' || js[len(js)-1] != '}' {
			d.Corrupt()
		}
		return ev
	},
}

// queueEncoding stores GA4 requests in the persistent queue; batches an
// earlier version queued are mapped when read.
func (e *ga4Exporter) queueEncoding(traces bool) queueitem.Encoding[queuedEvent] {
	return queueitem.Encoding[queuedEvent]{Kind: eventKind, Traces: traces, Conv: queueitem.Converters[xexporterhelper.Request]{Traces: e.convertTraces, Logs: e.convertLogs}}
}
