package sentryexporter

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/ptrace"
	pdatareq "go.opentelemetry.io/collector/pdata/xpdata/request"

	"github.com/otelcol-payments/otelcol-payments/internal/queueitem"
)

// healthySpans adds n successful spans of unsampled traces (trace ids whose
// random part is all ones, beyond any sample rate below 1).
func healthySpans(td ptrace.Traces, n int) {
	ss := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty()
	for i := range n {
		s := ss.Spans().AppendEmpty()
		s.SetName("GET /api/products/{id}")
		s.SetTraceID(pcommon.TraceID{1, byte(i), 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
		s.SetSpanID(pcommon.SpanID{2, byte(i)})
		s.Attributes().PutStr("http.route", "/api/products/{id}")
		s.Attributes().PutStr("http.request.method", "GET")
		s.Attributes().PutInt("http.response.status_code", 200)
	}
}

// The queue holds the envelopes of a batch, not the batch: one failed
// charge among a hundred healthy spans is one queued envelope.
func TestQueueItemHoldsOnlyEnvelopes(t *testing.T) {
	f := newFakeSentry(t)
	cfg := testConfig(f.dsn())
	cfg.Performance.Enabled = true
	e := newTestExporter(t, cfg, nil)
	td := ptrace.NewTraces()
	healthySpans(td, 100)
	chargeSpan(td, "go", true, "")
	req, err := e.convertTraces(context.Background(), td)
	require.NoError(t, err)
	require.Equal(t, 1, req.ItemsCount())
	assert.True(t, req.(*sentryRequest).Items[0].isError)

	item, err := e.queueEncoding(true).Marshal(context.Background(), req)
	require.NoError(t, err)
	batch, err := pdatareq.MarshalTraces(context.Background(), td)
	require.NoError(t, err)
	assert.Less(t, len(item)*2, len(batch), "queue item %d bytes, batch %d bytes", len(item), len(batch))
	_, back, err := e.queueEncoding(true).Unmarshal(item)
	require.NoError(t, err)
	assert.Equal(t, req, back)
	assert.Empty(t, f.received(), "nothing is sent before the queue")
}

// sent_at is the time the envelope leaves, not the time it was queued.
func TestEnvelopeSentAtIsSendTime(t *testing.T) {
	f := newFakeSentry(t)
	clock := &fakeClock{now: testTime}
	e := newTestExporter(t, testConfig(f.dsn()), clock)
	ld := plog.NewLogs()
	errorLog(ld, "go", plog.SeverityNumberError)
	req, err := e.convertLogs(context.Background(), ld)
	require.NoError(t, err)
	clock.Advance(10 * time.Minute) // queued for a while
	require.NoError(t, e.push(context.Background(), req))
	bodies := f.allBodies()
	require.Len(t, bodies, 1)
	var head struct {
		EventID string    `json:"event_id"`
		SentAt  time.Time `json:"sent_at"`
	}
	require.NoError(t, json.Unmarshal(bodies[0][:bytes.IndexByte(bodies[0], '\n')], &head))
	assert.Equal(t, testTime.Add(10*time.Minute).UTC(), head.SentAt.UTC())
	assert.Equal(t, string(req.(*sentryRequest).Items[0].eventID), head.EventID)
	assert.Len(t, f.received(), 1)
}

// An upgrade keeps what the previous version queued: whole OTLP batches are
// converted when read.
func TestQueueItemFromEarlierVersionIsConverted(t *testing.T) {
	f := newFakeSentry(t)
	e := newTestExporter(t, testConfig(f.dsn()), nil)
	ctx := context.Background()
	td := ptrace.NewTraces()
	healthySpans(td, 3)
	chargeSpan(td, "go", true, "")
	tItem, err := pdatareq.MarshalTraces(ctx, td)
	require.NoError(t, err)
	_, req, err := e.queueEncoding(true).Unmarshal(tItem)
	require.NoError(t, err)
	assert.Equal(t, 1, req.ItemsCount())

	ld := plog.NewLogs()
	errorLog(ld, "go", plog.SeverityNumberError)
	bare, err := (&plog.ProtoMarshaler{}).MarshalLogs(ld)
	require.NoError(t, err)
	_, req, err = e.queueEncoding(false).Unmarshal(bare)
	require.NoError(t, err)
	assert.Equal(t, 1, req.ItemsCount())
}

// A truncated item is an error, not a panic or a short request.
func TestCorruptQueueItemIsAnError(t *testing.T) {
	f := newFakeSentry(t)
	e := newTestExporter(t, testConfig(f.dsn()), nil)
	ld := plog.NewLogs()
	errorLog(ld, "go", plog.SeverityNumberError)
	req, err := e.convertLogs(context.Background(), ld)
	require.NoError(t, err)
	item, err := e.queueEncoding(false).Marshal(context.Background(), req)
	require.NoError(t, err)
	for _, cut := range []int{len(queueMagic) + 1, len(item) / 2, len(item) - 1} {
		_, _, err := e.queueEncoding(false).Unmarshal(item[:cut])
		assert.Error(t, err, "cut at %d of %d", cut, len(item))
	}
}

// A damaged queue item (a bit flip on disk, a partial write) must be an
// error exporterhelper can drop, not a panic in the queue consumer, which
// would crash the collector again on every start.
func TestDamagedQueueItemIsAnErrorNotACrash(t *testing.T) {
	f := newFakeSentry(t)
	e := newTestExporter(t, testConfig(f.dsn()), nil)
	enc := e.queueEncoding(true)
	for name, env := range map[string]envelope{
		"empty header": {eventID: "0123456789abcdef0123456789abcdef", isError: true, item: []byte("{}\n{}\n")},
		"empty item":   {eventID: "0123456789abcdef0123456789abcdef", isError: true, head: []byte(`{"event_id":"0123456789abcdef0123456789abcdef"}`)},
	} {
		item, err := enc.Marshal(context.Background(), envelopeKind.New([]envelope{env}))
		require.NoError(t, err)
		_, req, err := enc.Unmarshal(item)
		if err == nil {
			assert.NotPanics(t, func() { _ = e.push(context.Background(), req) }, name)
		}
		require.ErrorIs(t, err, queueitem.ErrCorrupt, name)
	}
	assert.Empty(t, f.received())
}
