package sentryexporter

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/getsentry/sentry-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/otelcol-payments/otelcol-payments/exporter/sentryexporter/internal/metadata"
	"github.com/otelcol-payments/otelcol-payments/exporter/sentryexporter/internal/sentryjson"
	"github.com/otelcol-payments/otelcol-payments/internal/contract"
)

// sdkEnvelopeHeader is how the envelope header was encoded before
// appendEnvelopeHeader: json.Marshal of this struct.
type sdkEnvelopeHeader struct {
	EventID sentry.EventID    `json:"event_id"`
	Sdk     map[string]string `json:"sdk"`
	Trace   map[string]string `json:"trace,omitempty"`
}

func sdkHeader(ev *sentry.Event, publicKey string) []byte {
	h := sdkEnvelopeHeader{EventID: ev.EventID, Sdk: map[string]string{"name": ev.Sdk.Name, "version": ev.Sdk.Version}}
	if id, ok := ev.Contexts["trace"]["trace_id"].(string); ok {
		h.Trace = map[string]string{"trace_id": id, "public_key": publicKey}
		if ev.Release != "" {
			h.Trace["release"] = ev.Release
		}
		if ev.Environment != "" {
			h.Trace["environment"] = ev.Environment
		}
	}
	b, err := json.Marshal(h)
	if err != nil {
		panic(err)
	}
	return b
}

// TestEventsEncodedWithoutReflection: every kind of event the exporter
// builds (exceptions with parsed and raw stacks, status-only spans, log
// errors, security incidents, transactions), after the SDK's processing,
// is written by sentryjson itself (not left to the SDK), byte for byte as
// the SDK writes it, and so is its envelope header.
func TestEventsEncodedWithoutReflection(t *testing.T) {
	f := newFakeSentry(t)
	cfg := testConfig(f.dsn())
	cfg.DedupWindow = 0
	cfg.Performance = PerformanceConfig{Enabled: true, SampleRate: 1}
	e := newTestExporter(t, cfg, nil)

	td := ptrace.NewTraces()
	chargeSpan(td, "go", true, sample(t, "go_panic.txt"))
	chargeSpan(td, "node", true, sample(t, "node_typeerror.txt")).SetSpanID(pcommon.SpanID{2})
	chargeSpan(td, "python", true, sample(t, "python_carderror.txt")).SetSpanID(pcommon.SpanID{3})
	chargeSpan(td, "", true, sample(t, "unparseable.txt")).SetSpanID(pcommon.SpanID{4})
	s := chargeSpan(td, "go", false, "")
	s.SetSpanID(pcommon.SpanID{5})
	s.SetKind(ptrace.SpanKindServer)
	s.Attributes().PutStr("bad.utf8", "\xff<&>\u2028")
	s.Status().SetMessage("declined <card> & \"quoted\" \n\t\xfe")
	incident := incidentSpanEvent()
	// the incident's span is the charge spans' parent: with times Sentry
	// takes, it is a transaction holding them
	root := incident.ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(0)
	root.SetStartTimestamp(pcommon.NewTimestampFromTime(testTime.Add(-time.Second)))
	root.SetEndTimestamp(pcommon.NewTimestampFromTime(testTime.Add(time.Second)))
	incident.ResourceSpans().MoveAndAppendTo(td.ResourceSpans())

	ld := plog.NewLogs()
	errorLog(ld, "go", plog.SeverityNumberError)
	lr := errorLog(ld, "java", plog.SeverityNumberFatal)
	lr.Attributes().PutStr(contract.ExceptionType, "java.lang.IllegalStateException")
	lr.Attributes().PutStr(contract.ExceptionStacktrace, "not a stack")
	lr.SetTraceID(pcommon.TraceID{})
	lr.Attributes().PutStr(contract.PaymentCurrency, "XXX1")
	incidentLog().ResourceLogs().MoveAndAppendTo(ld.ResourceLogs())

	built := e.conv.errorsFromTraces(td, nil)
	built, _ = e.conv.transactionsFromTraces(td, 1, built)
	built = e.conv.errorsFromLogs(ld, built)
	kinds := map[string]int{}
	for _, be := range built {
		o := be.origin
		env, ok, err := e.transport.capture(e.client, be.event, &sentry.EventHint{Data: &o, Context: context.Background()})
		require.NoError(t, err)
		require.True(t, ok)
		// capture ran the SDK's processing on be.event in place.
		ev := be.event
		_, direct := sentryjson.AppendEvent(nil, ev)
		assert.True(t, direct, "left to the SDK: %+v", ev)
		want, err := ev.ToEnvelopeItem()
		require.NoError(t, err)
		wantHead, err := json.Marshal(want.Header)
		require.NoError(t, err)
		assert.Equal(t, string(wantHead)+"\n"+string(want.Payload)+"\n", string(env.item))
		assert.Equal(t, string(sdkHeader(ev, testKey)), string(env.head))
		switch {
		case len(ev.Spans) > 0:
			kinds["transaction with spans"]++
		case ev.Type == "transaction":
			kinds["transaction"]++
		case ev.Contexts["raw_stacktrace"] != nil:
			kinds["raw stack"]++
		case ev.Contexts["security"] != nil:
			kinds["incident"]++
		case len(ev.Exception) > 0 && ev.Exception[0].Stacktrace != nil:
			kinds["parsed stack"]++
		case ev.Message != "":
			kinds["message"]++
		}
	}
	for _, k := range []string{"transaction with spans", "transaction", "raw stack", "incident", "parsed stack", "message"} {
		assert.Positive(t, kinds[k], k)
	}
}

// TestBodyAddsSentAt: the posted body is the header with sent_at added,
// then the item unchanged.
func TestBodyAddsSentAt(t *testing.T) {
	clock := &fakeClock{now: time.Date(2026, 12, 2, 1, 2, 3, 456000000, time.FixedZone("", 3600))}
	dsn, err := parseDSN("https://" + testKey + "@sentry.example.com/" + testProject)
	require.NoError(t, err)
	tr := newEnvelopeTransport(dsn, clock.Now)
	item := "{\"type\":\"event\",\"length\":2}\n{}\n"
	for head, want := range map[string]string{
		`{"event_id":"e1","sdk":{"name":"n","version":"v"}}`: `{"sent_at":"2026-12-02T00:02:03.456Z","event_id":"e1","sdk":{"name":"n","version":"v"}}`,
		`{}`: `{"sent_at":"2026-12-02T00:02:03.456Z"}`,
	} {
		body := string(tr.body(&envelope{head: []byte(head), item: []byte(item)}))
		gotHead, gotItem, ok := strings.Cut(body, "\n")
		require.True(t, ok, body)
		assert.JSONEq(t, want, gotHead)
		assert.True(t, strings.HasPrefix(gotHead, `{"sent_at":`), gotHead)
		assert.Equal(t, item, gotItem)
	}
}

// BenchmarkEncodeEvent is the exporter's encoding of one error event (Go
// stack, payment and trace contexts) after the SDK's processing: "sdk" is
// how it was encoded before (Event.ToEnvelopeItem, json.Marshal of both
// headers), "sentryjson" how it is now. "capture" is the whole of the
// SDK client's CaptureEvent (processEvent, BeforeSend) and the encoding.
func BenchmarkEncodeEvent(b *testing.B) {
	f := newFakeSentry(b)
	e, err := newSentryExporter(testConfig(f.dsn()), exportertest.NewNopSettings(metadata.Type), (&fakeClock{now: testTime}).Now)
	require.NoError(b, err)
	require.NoError(b, e.start(context.Background(), componenttest.NewNopHost()))
	defer func() { _ = e.shutdown(context.Background()) }()
	td := benchTraces(b, 1, 1)
	be := e.conv.errorsFromTraces(td, nil)[0]
	o := be.origin
	_, ok, err := e.transport.capture(e.client, be.event, &sentry.EventHint{Data: &o})
	require.True(b, ok)
	require.NoError(b, err)
	ev := be.event
	pub := e.transport.dsn.GetPublicKey()
	b.Run("sdk", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			item, err := ev.ToEnvelopeItem()
			if err != nil {
				b.Fatal(err)
			}
			if _, err := json.Marshal(item.Header); err != nil {
				b.Fatal(err)
			}
			_ = sdkHeader(ev, pub)
		}
	})
	b.Run("sentryjson", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := e.transport.encode(ev); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("capture", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, ok, err := e.transport.capture(e.client, ev, &sentry.EventHint{Data: &o}); !ok || err != nil {
				b.Fatal(ok, err)
			}
		}
	})
}
