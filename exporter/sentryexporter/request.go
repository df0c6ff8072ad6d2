package sentryexporter // import "github.com/otelcol-payments/otelcol-payments/exporter/sentryexporter"

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/getsentry/sentry-go"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
	"go.opentelemetry.io/collector/exporter/exporterhelper/xexporterhelper"

	"github.com/otelcol-payments/otelcol-payments/internal/queueitem"
)

// sentryRequest is what the sending queue holds: the Sentry envelopes built
// from one batch (error events first, then sampled transactions), instead of
// the whole batch of telemetry (most spans and log records make no event).
type sentryRequest struct {
	envelopes []envelope
}

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

var (
	_ xexporterhelper.Request             = (*sentryRequest)(nil)
	_ xexporterhelper.RequestErrorHandler = (*sentryRequest)(nil)
)

func (r *sentryRequest) ItemsCount() int { return len(r.envelopes) }

func (r *sentryRequest) BytesSize() int {
	n := 0
	for i := range r.envelopes {
		n += r.envelopes[i].size()
	}
	return n
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

// MergeSplit appends other's envelopes and cuts the result into requests of
// at most maxSize items or bytes (only used when sending_queue::batch is set).
func (r *sentryRequest) MergeSplit(_ context.Context, maxSize int, sizer exporterhelper.RequestSizerType, other xexporterhelper.Request) ([]xexporterhelper.Request, error) {
	envs := r.envelopes
	if other != nil {
		o, ok := other.(*sentryRequest)
		if !ok {
			return nil, fmt.Errorf("cannot merge a %T into a Sentry request", other)
		}
		envs = errorsFirst(append(envs[:len(envs):len(envs)], o.envelopes...))
	}
	size := func(*envelope) int { return 1 }
	if sizer == exporterhelper.RequestSizerTypeBytes {
		size = (*envelope).size
	}
	runs := queueitem.Split(envs, maxSize, size)
	out := make([]xexporterhelper.Request, len(runs))
	for i, run := range runs {
		out[i] = &sentryRequest{envelopes: run}
	}
	return out, nil
}

// OnError keeps for the retry only the error events a retryable failure
// left undelivered (transactions are best effort).
func (r *sentryRequest) OnError(err error) xexporterhelper.Request {
	if rest, ok := errors.AsType[*undelivered](err); ok {
		return &sentryRequest{envelopes: rest.envelopes}
	}
	return r
}

// undelivered wraps a retryable send error with the envelopes still to send.
type undelivered struct {
	err       error
	envelopes []envelope
}

func (u *undelivered) Error() string { return u.err.Error() }
func (u *undelivered) Unwrap() error { return u.err }

// queueMagic starts every queued Sentry request (format version 1). Anything
// else in the queue was written by a version that queued whole batches.
const queueMagic = "sntq\x01"

// queueEncoding stores Sentry requests in the persistent queue. Items
// written by earlier versions (whole OTLP batches) are converted when read,
// so an upgrade loses nothing that was queued.
type queueEncoding struct {
	e      *sentryExporter
	traces bool
}

func (q queueEncoding) Marshal(_ context.Context, req xexporterhelper.Request) ([]byte, error) {
	r := req.(*sentryRequest)
	b := make([]byte, 0, len(queueMagic)+r.BytesSize()+8*len(r.envelopes))
	b = append(b, queueMagic...)
	b = binary.AppendUvarint(b, uint64(len(r.envelopes)))
	for i := range r.envelopes {
		env := &r.envelopes[i]
		kind := byte(0)
		if env.isError {
			kind = 1
		}
		b = append(b, kind)
		b = queueitem.AppendString(b, string(env.eventID))
		b = queueitem.AppendBytes(b, env.head)
		b = queueitem.AppendBytes(b, env.item)
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
	r := &sentryRequest{envelopes: make([]envelope, 0, n)}
	for range n {
		var env envelope
		env.isError = d.Byte() == 1
		env.eventID = sentry.EventID(d.String())
		env.head = d.Bytes()
		env.item = d.Bytes()
		r.envelopes = append(r.envelopes, env)
	}
	if err := d.Err(); err != nil {
		return ctx, nil, fmt.Errorf("sentry queue item: %w", err)
	}
	return ctx, r, nil
}

// legacy reads a whole OTLP batch queued by an earlier version and converts it.
func (q queueEncoding) legacy(b []byte) (context.Context, xexporterhelper.Request, error) {
	return queueitem.ConvertLegacy(b, q.traces, queueitem.Converters[xexporterhelper.Request]{Traces: q.e.convertTraces, Logs: q.e.convertLogs})
}
