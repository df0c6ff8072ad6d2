package sentryexporter

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/otelcol-payments/otelcol-payments/exporter/sentryexporter/internal/metadata"
	"github.com/otelcol-payments/otelcol-payments/internal/contract"
)

// bothPipelines creates the traces and the logs exporter of one component
// through the factory, as the collector does (one *Config for both).
func bothPipelines(t *testing.T, f *fakeSentry) (exporter.Traces, exporter.Logs) {
	t.Helper()
	cfg := syncConfig(f)
	set := exportertest.NewNopSettings(metadata.Type)
	tr, err := NewFactory().CreateTraces(context.Background(), set, cfg)
	require.NoError(t, err)
	lg, err := NewFactory().CreateLogs(context.Background(), set, cfg)
	require.NoError(t, err)
	startWithCleanup(t, tr)
	startWithCleanup(t, lg)
	return tr, lg
}

// exceptionLog is the ERROR log record of the exception chargeSpan records
// as a span event: same trace, span and exception.
func exceptionLog() plog.Logs {
	ld := plog.NewLogs()
	lr := errorLog(ld, "go", plog.SeverityNumberError)
	lr.Attributes().Remove(contract.EventName)
	lr.Attributes().PutStr(contract.ExceptionType, "*stripe.CardError")
	lr.Attributes().PutStr(contract.ExceptionMessage, "Your card was declined.")
	lr.SetTimestamp(pcommon.NewTimestampFromTime(testTime.Add(-9 * time.Millisecond)))
	return ld
}

// failedRequest is the trace of one failed request: the payment.charge span
// with its exception event under a 5xx HTTP server span (status error, no
// exception of its own), server span first.
func failedRequest() ptrace.Traces {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	putResource(rs.Resource(), "go")
	server := rs.ScopeSpans().AppendEmpty().Spans().AppendEmpty()
	server.SetName("POST /api/checkout")
	server.SetKind(ptrace.SpanKindServer)
	server.SetTraceID(testTraceID)
	server.SetSpanID(testParentID)
	server.Status().SetCode(ptrace.StatusCodeError)
	server.Attributes().PutInt(contract.HTTPResponseStatus, 502)
	server.Attributes().PutStr(contract.ErrorType, "502")
	chargeSpan(td, "go", true, "")
	return td
}

// One failure sent as a span event, an ERROR log with exception.* and a 5xx
// server span, through the traces and the logs pipeline of one exporter,
// in either order, is one Sentry event.
func TestOneFailureInEveryFormIsOneEvent(t *testing.T) {
	for _, logsFirst := range []bool{true, false} {
		t.Run(fmt.Sprintf("logs first %v", logsFirst), func(t *testing.T) {
			f := newFakeSentry(t)
			tr, lg := bothPipelines(t, f)
			if logsFirst {
				require.NoError(t, lg.ConsumeLogs(context.Background(), exceptionLog()))
			}
			require.NoError(t, tr.ConsumeTraces(context.Background(), failedRequest()))
			if !logsFirst {
				require.NoError(t, lg.ConsumeLogs(context.Background(), exceptionLog()))
			}
			ev := onlyEvent(t, f)
			require.Len(t, ev.Exception, 1)
			assert.Equal(t, "*stripe.CardError", ev.Exception[0].Type)
		})
	}
}

// The span event and the log of one exception build the same event id and
// fingerprint, so even two collectors (or a dedup window too short) give
// Sentry one event and one issue.
func TestBothFormsShareEventIDAndFingerprint(t *testing.T) {
	f1, f2 := newFakeSentry(t), newFakeSentry(t)
	e1 := newTestExporter(t, testConfig(f1.dsn()), nil)
	e2 := newTestExporter(t, testConfig(f2.dsn()), nil)
	td := ptrace.NewTraces()
	chargeSpan(td, "go", true, "")
	require.NoError(t, e1.pushTraces(context.Background(), td))
	require.NoError(t, e2.pushLogs(context.Background(), exceptionLog()))
	a, b := onlyEvent(t, f1), onlyEvent(t, f2)
	assert.Equal(t, a.EventID, b.EventID)
	assert.Equal(t, a.Fingerprint, b.Fingerprint)
	assert.Equal(t, []string{"checkout", contract.ErrCardDeclined, "*stripe.CardError"}, a.Fingerprint)
}

// Different failures are not merged: another span, or another exception
// on the same span, is its own event; and so is the same failure again
// after the window.
func TestDedupKeepsDistinctFailures(t *testing.T) {
	f := newFakeSentry(t)
	clock := &fakeClock{now: testTime}
	e := newTestExporter(t, testConfig(f.dsn()), clock)
	require.NoError(t, e.pushLogs(context.Background(), exceptionLog()))
	other := exceptionLog()
	other.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0).SetSpanID(pcommon.SpanID{9})
	require.NoError(t, e.pushLogs(context.Background(), other))
	timeout := exceptionLog()
	timeout.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0).Attributes().PutStr(contract.ExceptionMessage, "timeout")
	require.NoError(t, e.pushLogs(context.Background(), timeout))
	require.Len(t, f.received(), 3)

	// A redelivered batch (same form) goes again and Sentry drops it by id.
	require.NoError(t, e.pushLogs(context.Background(), exceptionLog()))
	require.Len(t, f.received(), 4)
	assert.Equal(t, f.received()[0].EventID, f.received()[3].EventID)

	// The other form within the window is dropped; after it, it is sent.
	td := ptrace.NewTraces()
	chargeSpan(td, "go", true, "")
	require.NoError(t, e.pushTraces(context.Background(), td))
	require.Len(t, f.received(), 4)
	clock.Advance(DefaultDedupWindow + time.Second)
	require.NoError(t, e.pushTraces(context.Background(), td))
	require.Len(t, f.received(), 5)
}

func TestDedupWindowZeroSendsEveryForm(t *testing.T) {
	f := newFakeSentry(t)
	cfg := testConfig(f.dsn())
	cfg.DedupWindow = 0
	e := newTestExporter(t, cfg, nil)
	require.NoError(t, e.pushLogs(context.Background(), exceptionLog()))
	require.NoError(t, e.pushTraces(context.Background(), failedRequest()))
	assert.Len(t, f.received(), 3)
}

func incidentLog() plog.Logs {
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	putResource(rl.Resource(), "node")
	lr := rl.ScopeLogs().AppendEmpty().LogRecords().AppendEmpty()
	lr.SetEventName(contract.EventSecurity)
	lr.SetSeverityNumber(plog.SeverityNumberError)
	lr.SetTimestamp(pcommon.NewTimestampFromTime(testTime))
	lr.SetTraceID(testTraceID)
	lr.SetSpanID(testParentID)
	lr.Body().SetStr("card testing suspected: 14 failed card payments")
	lr.Attributes().PutStr(contract.SecurityIncidentType, "card_testing")
	lr.Attributes().PutStr(contract.SecuritySeverity, contract.SeverityHigh)
	lr.Attributes().PutInt(contract.PaymentAttempt, 14)
	return ld
}

func incidentSpanEvent() ptrace.Traces {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	putResource(rs.Resource(), "node")
	span := rs.ScopeSpans().AppendEmpty().Spans().AppendEmpty()
	span.SetName("POST /internal/risk/evaluate")
	span.SetKind(ptrace.SpanKindServer)
	span.SetTraceID(testTraceID)
	span.SetSpanID(testParentID)
	ev := span.Events().AppendEmpty()
	ev.SetName(contract.EventSecurity)
	ev.SetTimestamp(pcommon.NewTimestampFromTime(testTime))
	ev.Attributes().PutStr(contract.SecurityIncidentType, "card_testing")
	ev.Attributes().PutStr(contract.SecuritySeverity, contract.SeverityHigh)
	ev.Attributes().PutInt(contract.PaymentAttempt, 14)
	return td
}

// security.incident as a log record or as a span event is the same Sentry
// event; both forms together are one.
func TestSecurityIncidentSameEventInEitherForm(t *testing.T) {
	fromLog, fromSpan := newFakeSentry(t), newFakeSentry(t)
	require.NoError(t, newTestExporter(t, testConfig(fromLog.dsn()), nil).pushLogs(context.Background(), incidentLog()))
	require.NoError(t, newTestExporter(t, testConfig(fromSpan.dsn()), nil).pushTraces(context.Background(), incidentSpanEvent()))
	a, b := onlyEvent(t, fromLog), onlyEvent(t, fromSpan)
	for _, ev := range []receivedEvent{a, b} {
		assert.Equal(t, "Security incident: card_testing (high)", ev.Message)
		assert.Equal(t, []string{"checkout", contract.EventSecurity, "card_testing"}, ev.Fingerprint)
		assert.Equal(t, "card_testing", ev.Tags[contract.SecurityIncidentType])
		assert.Equal(t, "14", ev.Contexts["security"]["attempts"])
	}
	assert.Equal(t, a.EventID, b.EventID)
	assert.Equal(t, a.Level, b.Level)
	assert.Equal(t, a.Transaction, b.Transaction)

	f := newFakeSentry(t)
	tr, lg := bothPipelines(t, f)
	require.NoError(t, tr.ConsumeTraces(context.Background(), incidentSpanEvent()))
	require.NoError(t, lg.ConsumeLogs(context.Background(), incidentLog()))
	assert.Len(t, f.received(), 1)
}

// The book never holds more than its bound, and forgets after the window.
func TestFailureBookIsBounded(t *testing.T) {
	clock := &fakeClock{now: testTime}
	b := newFailureBook(clock.Now, time.Minute, 100)
	for i := range 1000 {
		assert.True(t, b.claim(fmt.Sprint("k", i), "log|0"))
		assert.LessOrEqual(t, b.len(), 100)
	}
	assert.False(t, b.claim("k999", "span_event|0"), "recent key kept")
	assert.True(t, b.claim("k0", "span_event|0"), "oldest key evicted by the bound")
	clock.Advance(time.Minute + time.Second)
	assert.True(t, b.claim("k999", "span_event|0"), "expired after the window")
	assert.Equal(t, 1, b.len())
	assert.LessOrEqual(t, len(b.queue)-b.head, 2)
}

// The book's size bound (maxBookEntries, "about 8 MiB") holds only if an
// entry is small whatever the telemetry: an application putting a whole
// message or payload into exception.type or security.incident.type must not
// make each of the 50,000 entries as large.
func TestFailureKeyIsBoundedForHugeTypes(t *testing.T) {
	huge := strings.Repeat("X", 1<<20)
	for name, r := range map[string]record{
		"exception": {kind: "span_event", traceID: testTraceID, spanID: testSpanID, exception: &exceptionInfo{typ: huge, value: "v"}},
		"incident":  {kind: "log", traceID: testTraceID, spanID: testSpanID, incident: huge},
	} {
		d := dedupFor(&r)
		assert.LessOrEqual(t, len(d.key), 128, name)
		// Types that differ only past any prefix stay distinct failures.
		other := r
		if other.exception != nil {
			other.exception = &exceptionInfo{typ: huge + "Y", value: "v"}
		} else {
			other.incident = huge + "Y"
		}
		assert.NotEqual(t, d.key, dedupFor(&other).key, name)
	}
	// Ordinary types keep their key, and with it their event id.
	r := record{kind: "span_event", traceID: testTraceID, spanID: testSpanID, exception: &exceptionInfo{typ: "*stripe.CardError", value: "v"}}
	assert.Contains(t, dedupFor(&r).key, "|*stripe.CardError|")
}
