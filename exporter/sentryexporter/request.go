package sentryexporter // import "github.com/otelcol-payments/otelcol-payments/exporter/sentryexporter"

import (
	"github.com/getsentry/sentry-go"
	"go.opentelemetry.io/collector/exporter/exporterhelper/xexporterhelper"

	"github.com/otelcol-payments/otelcol-payments/internal/queueitem"
)

// sentryRequest is what the sending queue holds: the Sentry envelopes built
// from one batch (error events first, then sampled transactions), instead of
// the whole batch of telemetry (most spans and log records make no event).
type sentryRequest = queueitem.Request[envelope]

// envelope is one event, encoded by the SDK's event processing. head is the
// envelope header without sent_at (added when it is posted); item is the
// item header and payload lines.
type envelope struct {
	eventID sentry.EventID
	isError bool
	head    []byte
	item    []byte
}

func (e *envelope) category() string {
	if e.isError {
		return categoryError
	}
	return categoryTransaction
}

func (e *envelope) size() int { return len(e.eventID) + len(e.head) + len(e.item) + 1 }

// errorsFirst keeps the request's order invariant (error events before
// transactions) when requests are merged.
func errorsFirst(envs []envelope) []envelope {
	out := make([]envelope, 0, len(envs))
	for _, e := range envs {
		if e.isError {
			out = append(out, e)
		}
	}
	for _, e := range envs {
		if !e.isError {
			out = append(out, e)
		}
	}
	return out
}

// queueMagic starts every queued Sentry request (format version 1). Anything
// else in the queue was written by a version that queued whole batches.
const queueMagic = "sntq\x01"

// envelopeKind is the queue item kind of Sentry requests.
var envelopeKind = &queueitem.Kind[envelope]{
	Name:  "sentry",
	Size:  (*envelope).size,
	Order: errorsFirst,
	Magic: queueMagic,
	Append: func(b []byte, env *envelope) []byte {
		kind := byte(0)
		if env.isError {
			kind = 1
		}
		b = append(b, kind)
		b = queueitem.AppendString(b, string(env.eventID))
		b = queueitem.AppendBytes(b, env.head)
		return queueitem.AppendBytes(b, env.item)
	},
	Read: func(d *queueitem.Reader) envelope {
		var env envelope
		env.isError = d.Byte() == 1
		env.eventID = sentry.EventID(d.String())
		env.head = d.Bytes()
		env.item = d.Bytes()
		// What encode writes: a header object and an item (its header and
		// payload lines). Anything else is a damaged item, which posting
		// would turn into a malformed envelope or a panic.
		if len(env.head) < 2 || env.head[0] != '{' || env.head[len(env.head)-1] != '}' || len(env.item) == 0 {
			d.Corrupt()
		}
		return env
	},
}

// queueEncoding stores Sentry requests in the persistent queue; batches an
// earlier version queued are converted when read.
func (e *sentryExporter) queueEncoding(traces bool) queueitem.Encoding[envelope] {
	return queueitem.Encoding[envelope]{Kind: envelopeKind, Traces: traces, Conv: queueitem.Converters[xexporterhelper.Request]{Traces: e.convertTraces, Logs: e.convertLogs}}
}
