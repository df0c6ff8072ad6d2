package sentryexporter

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getsentry/sentry-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/otelcol-payments/otelcol-payments/exporter/sentryexporter/internal/metadata"
	"github.com/otelcol-payments/otelcol-payments/internal/contract"
)

var (
	testTraceID  = pcommon.TraceID([16]byte{0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36})
	testSpanID   = pcommon.SpanID([8]byte{0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7})
	testParentID = pcommon.SpanID([8]byte{0x53, 0x99, 0x5c, 0x3f, 0x42, 0xcd, 0x8a, 0xd8})
	testTime     = time.Date(2026, 11, 28, 14, 3, 7, 250_000_000, time.UTC)
)

type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func sample(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("internal", "stack", "testdata", name))
	require.NoError(t, err)
	return string(b)
}

func testConfig(dsn string) *Config {
	cfg := createDefaultConfig().(*Config)
	cfg.DSN = configopaque.String(dsn)
	return cfg
}

// newTestExporter builds the exporter core (no exporterhelper) with a fake
// clock, started and shut down with the test.
func newTestExporter(t *testing.T, cfg *Config, clock *fakeClock) *sentryExporter {
	t.Helper()
	if clock == nil {
		clock = &fakeClock{now: testTime}
	}
	e, err := newSentryExporter(cfg, exportertest.NewNopSettings(metadata.Type), clock.Now)
	require.NoError(t, err)
	require.NoError(t, e.start(context.Background(), componenttest.NewNopHost()))
	t.Cleanup(func() { require.NoError(t, e.shutdown(context.Background())) })
	return e
}

// newTestExporterWithTelemetry is newTestExporter recording the exporter's
// own metrics.
func newTestExporterWithTelemetry(t *testing.T, cfg *Config) (*sentryExporter, *componenttest.Telemetry) {
	t.Helper()
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	set := exportertest.NewNopSettings(metadata.Type)
	set.TelemetrySettings = tel.NewTelemetrySettings()
	e, err := newSentryExporter(cfg, set, (&fakeClock{now: testTime}).Now)
	require.NoError(t, err)
	require.NoError(t, e.start(context.Background(), componenttest.NewNopHost()))
	t.Cleanup(func() { require.NoError(t, e.shutdown(context.Background())) })
	return e, tel
}

func putResource(res pcommon.Resource, lang string) {
	a := res.Attributes()
	a.PutStr(contract.ServiceName, "checkout")
	a.PutStr(contract.ServiceVersion, "1.4.2")
	a.PutStr(contract.DeploymentEnv, "production")
	a.PutStr("telemetry.sdk.language", lang)
	a.PutStr("host.name", "checkout-7d9f")
}

func putPayment(a pcommon.Map) {
	a.PutStr(contract.PaymentMethod, "card")
	a.PutStr(contract.PaymentProvider, "stripe")
	a.PutStr(contract.PaymentErrorType, contract.ErrCardDeclined)
	a.PutInt(contract.PaymentAmountMinor, 4999)
	a.PutStr(contract.PaymentCurrency, "USD")
	a.PutStr(contract.OrderID, "ord_8812")
	a.PutStr(contract.CustomerID, "pii_5f2c9a0d1e7b4c33")
	a.PutStr(contract.HTTPRoute, "/api/checkout")
	a.PutInt(contract.HTTPResponseStatus, 402)
	// Must never reach Sentry even when present.
	a.PutStr(contract.CustomerEmail, "jane.doe@example.com")
	a.PutStr(contract.ClientAddress, "203.0.113.77")
}

// chargeSpan is a failed payment.charge span; withException adds the
// exception span event the SDKs record.
func chargeSpan(td ptrace.Traces, lang string, withException bool, stacktrace string) ptrace.Span {
	rs := td.ResourceSpans().AppendEmpty()
	putResource(rs.Resource(), lang)
	ss := rs.ScopeSpans().AppendEmpty()
	ss.Scope().SetName("checkout/payments")
	span := ss.Spans().AppendEmpty()
	span.SetName(contract.SpanPaymentCharge)
	span.SetKind(ptrace.SpanKindClient)
	span.SetTraceID(testTraceID)
	span.SetSpanID(testSpanID)
	span.SetParentSpanID(testParentID)
	span.SetStartTimestamp(pcommon.NewTimestampFromTime(testTime.Add(-300 * time.Millisecond)))
	span.SetEndTimestamp(pcommon.NewTimestampFromTime(testTime))
	span.Status().SetCode(ptrace.StatusCodeError)
	span.Status().SetMessage("Your card was declined.")
	putPayment(span.Attributes())
	if withException {
		ev := span.Events().AppendEmpty()
		ev.SetName(contract.ExceptionEventName)
		ev.SetTimestamp(pcommon.NewTimestampFromTime(testTime.Add(-10 * time.Millisecond)))
		ev.Attributes().PutStr(contract.ExceptionType, "*stripe.CardError")
		ev.Attributes().PutStr(contract.ExceptionMessage, "Your card was declined.")
		if stacktrace != "" {
			ev.Attributes().PutStr(contract.ExceptionStacktrace, stacktrace)
		}
	}
	return span
}

func onlyEvent(t *testing.T, f *fakeSentry) receivedEvent {
	t.Helper()
	evs := f.received()
	require.Len(t, evs, 1)
	return evs[0]
}

func TestErrorFromExceptionSpanEvent(t *testing.T) {
	f := newFakeSentry(t)
	e := newTestExporter(t, testConfig(f.dsn()), nil)
	td := ptrace.NewTraces()
	chargeSpan(td, "go", true, sample(t, "go_panic.txt"))
	require.NoError(t, e.pushTraces(context.Background(), td))

	ev := onlyEvent(t, f)
	assert.Equal(t, sentry.LevelError, ev.Level)
	assert.Equal(t, "go", ev.Platform)
	assert.Equal(t, "1.4.2", ev.Release)
	assert.Equal(t, "production", ev.Environment)
	assert.Equal(t, "checkout-7d9f", ev.ServerName)
	assert.Equal(t, contract.SpanPaymentCharge, ev.Transaction)
	assert.True(t, ev.Timestamp.Equal(testTime.Add(-10*time.Millisecond)), "timestamp %v", ev.Timestamp)

	require.Len(t, ev.Exception, 1)
	exc := ev.Exception[0]
	assert.Equal(t, "*stripe.CardError", exc.Type)
	assert.Equal(t, "Your card was declined.", exc.Value)
	require.NotNil(t, exc.Stacktrace)
	frames := exc.Stacktrace.Frames
	require.Len(t, frames, 5)
	assert.Equal(t, "(*Charger).Charge", frames[4].Function)
	assert.Equal(t, "github.com/acme/checkout/payment", frames[4].Module)
	assert.Equal(t, 87, frames[4].Lineno)
	assert.True(t, frames[4].InApp)

	assert.Equal(t, map[string]string{
		contract.ServiceName:        "checkout",
		contract.PaymentMethod:      "card",
		contract.PaymentProvider:    "stripe",
		contract.PaymentErrorType:   "card_declined",
		contract.HTTPRoute:          "/api/checkout",
		contract.HTTPResponseStatus: "402",
	}, ev.Tags)
	assert.Equal(t, sentry.Context{
		"order_id":     "ord_8812",
		"amount":       "49.99",
		"amount_minor": float64(4999),
		"currency":     "USD",
		"method":       "card",
		"provider":     "stripe",
		"error_type":   "card_declined",
	}, ev.Contexts["payment"])
	assert.Equal(t, sentry.Context{
		"trace_id":       "4bf92f3577b34da6a3ce929d0e0e4736",
		"span_id":        "00f067aa0ba902b7",
		"parent_span_id": "53995c3f42cd8ad8",
		"op":             "client",
		"status":         "internal_error",
	}, ev.Contexts["trace"])
	assert.Equal(t, []string{"checkout", "card_declined", "*stripe.CardError"}, ev.Fingerprint, "no operation for an exception: its log form has none")
	assert.Equal(t, sentry.User{ID: "pii_5f2c9a0d1e7b4c33"}, ev.User)
	assert.Nil(t, ev.Request)
	for _, c := range []string{"device", "os", "runtime"} {
		assert.NotContains(t, ev.Contexts, c, "collector host context %q must not be attached", c)
	}
	for _, leak := range []string{"jane.doe@example.com", "203.0.113.77"} {
		assert.NotContains(t, string(ev.Raw), leak)
	}
	assertGoldenEvent(t, ev.Raw)
}

func TestErrorSpanWithoutExceptionEvent(t *testing.T) {
	f := newFakeSentry(t)
	e := newTestExporter(t, testConfig(f.dsn()), nil)
	td := ptrace.NewTraces()
	chargeSpan(td, "python", false, "")
	require.NoError(t, e.pushTraces(context.Background(), td))

	ev := onlyEvent(t, f)
	require.Len(t, ev.Exception, 1)
	// No exception: the payment error type names the problem, the status
	// message describes it.
	assert.Equal(t, "card_declined", ev.Exception[0].Type)
	assert.Equal(t, "Your card was declined.", ev.Exception[0].Value)
	assert.Nil(t, ev.Exception[0].Stacktrace)
	assert.Equal(t, "python", ev.Platform)
	assert.True(t, ev.Timestamp.Equal(testTime))
	assert.Equal(t, []string{"checkout", contract.SpanPaymentCharge, "card_declined", "card_declined"}, ev.Fingerprint)
}

func TestExceptionEventOnSuccessfulSpanAndCleanSpans(t *testing.T) {
	f := newFakeSentry(t)
	e := newTestExporter(t, testConfig(f.dsn()), nil)
	td := ptrace.NewTraces()
	span := chargeSpan(td, "nodejs", true, sample(t, "node_typeerror.txt"))
	span.Status().SetCode(ptrace.StatusCodeOk) // handled exception
	span.Events().At(0).Attributes().Remove(contract.ExceptionType)
	ok := td.ResourceSpans().At(0).ScopeSpans().At(0).Spans().AppendEmpty()
	ok.SetName("inventory.check")
	ok.Events().AppendEmpty().SetName("cache.miss")
	require.NoError(t, e.pushTraces(context.Background(), td))

	ev := onlyEvent(t, f)
	require.Len(t, ev.Exception, 1)
	// Without exception.type the type comes from the stack text.
	assert.Equal(t, "TypeError", ev.Exception[0].Type)
	assert.Equal(t, "Your card was declined.", ev.Exception[0].Value)
	require.NotNil(t, ev.Exception[0].Stacktrace)
	frames := ev.Exception[0].Stacktrace.Frames
	assert.Equal(t, "PaymentService.charge", frames[len(frames)-1].Function)
	assert.Equal(t, 15, frames[len(frames)-1].Colno)
	assert.Equal(t, "node", ev.Platform)
	assert.Equal(t, "ok", ev.Contexts["trace"]["status"])
}

func TestUnparseableStackKeptRaw(t *testing.T) {
	f := newFakeSentry(t)
	e := newTestExporter(t, testConfig(f.dsn()), nil)
	td := ptrace.NewTraces()
	raw := sample(t, "unparseable.txt")
	chargeSpan(td, "go", true, raw)
	require.NoError(t, e.pushTraces(context.Background(), td))

	ev := onlyEvent(t, f)
	assert.Nil(t, ev.Exception[0].Stacktrace)
	assert.Equal(t, sentry.Context{"text": raw}, ev.Contexts["raw_stacktrace"])
}

func errorLog(ld plog.Logs, lang string, sev plog.SeverityNumber) plog.LogRecord {
	rl := ld.ResourceLogs().AppendEmpty()
	putResource(rl.Resource(), lang)
	sl := rl.ScopeLogs().AppendEmpty()
	sl.Scope().SetName("payments.worker")
	lr := sl.LogRecords().AppendEmpty()
	lr.SetSeverityNumber(sev)
	lr.SetTimestamp(pcommon.NewTimestampFromTime(testTime))
	lr.SetTraceID(testTraceID)
	lr.SetSpanID(testSpanID)
	lr.Body().SetStr("capture failed for order ord_8812")
	putPayment(lr.Attributes())
	lr.Attributes().PutStr(contract.EventName, contract.EventPaymentFailed)
	return lr
}

func TestErrorsFromLogs(t *testing.T) {
	f := newFakeSentry(t)
	e := newTestExporter(t, testConfig(f.dsn()), nil)
	ld := plog.NewLogs()
	errorLog(ld, "go", plog.SeverityNumberError) // message event
	py := errorLog(ld, "python", plog.SeverityNumberWarn)
	py.Attributes().PutStr(contract.ExceptionStacktrace, sample(t, "python_carderror.txt"))
	errorLog(ld, "go", plog.SeverityNumberFatal)
	errorLog(ld, "go", plog.SeverityNumberInfo) // not an error: skipped
	contract.Alert{
		Name: "payment_failure_rate", Status: contract.AlertFiring, Severity: contract.SeverityHigh,
		Summary: "failure rate 12%", StartsAt: testTime,
	}.WriteTo(errorLog(ld, "go", plog.SeverityNumberError)) // alert: skipped
	require.NoError(t, e.pushLogs(context.Background(), ld))

	evs := f.received()
	require.Len(t, evs, 3)

	msg := evs[0]
	assert.Equal(t, sentry.LevelError, msg.Level)
	assert.Empty(t, msg.Exception)
	assert.Equal(t, "capture failed for order ord_8812", msg.Message)
	assert.Equal(t, contract.EventPaymentFailed, msg.Transaction)
	assert.Equal(t, "payments.worker", msg.Logger)
	assert.Equal(t, "4bf92f3577b34da6a3ce929d0e0e4736", msg.Contexts["trace"]["trace_id"])
	assert.Equal(t, "00f067aa0ba902b7", msg.Contexts["trace"]["span_id"])
	assert.Equal(t, "49.99", msg.Contexts["payment"]["amount"])
	assert.Equal(t, []string{"checkout", contract.EventPaymentFailed, "card_declined", ""}, msg.Fingerprint)
	assert.True(t, msg.Timestamp.Equal(testTime))

	exc := evs[1]
	assert.Equal(t, sentry.LevelWarning, exc.Level, "level follows severity")
	assert.Equal(t, "python", exc.Platform)
	require.Len(t, exc.Exception, 1)
	assert.Equal(t, "stripe._error.CardError", exc.Exception[0].Type)
	assert.Equal(t, "Your card was declined.", exc.Exception[0].Value)
	require.NotNil(t, exc.Exception[0].Stacktrace)
	frames := exc.Exception[0].Stacktrace.Frames
	require.Len(t, frames, 3)
	assert.Equal(t, "checkout", frames[0].Function)
	assert.Equal(t, "confirm", frames[2].Function)

	assert.Equal(t, sentry.LevelFatal, evs[2].Level)
	for _, ev := range evs {
		assert.NotContains(t, string(ev.Raw), "jane.doe@example.com")
		assert.NotContains(t, string(ev.Raw), "203.0.113.77")
	}
}

func TestEnvironmentOverrideAndCustomFingerprint(t *testing.T) {
	f := newFakeSentry(t)
	cfg := testConfig(f.dsn())
	cfg.Environment = "eu-prod"
	cfg.Fingerprint = []string{FingerprintDefault, contract.PaymentProvider, "missing.key"}
	e := newTestExporter(t, cfg, nil)
	td := ptrace.NewTraces()
	chargeSpan(td, "go", true, "")
	require.NoError(t, e.pushTraces(context.Background(), td))

	ev := onlyEvent(t, f)
	assert.Equal(t, "eu-prod", ev.Environment)
	assert.Equal(t, []string{"{{ default }}", "stripe", ""}, ev.Fingerprint)
}

func TestNoReleaseOrEnvironmentFromTheCollector(t *testing.T) {
	t.Setenv("SENTRY_RELEASE", "collector-build-1")
	t.Setenv("SENTRY_ENVIRONMENT", "collector-env")
	f := newFakeSentry(t)
	e := newTestExporter(t, testConfig(f.dsn()), nil)
	td := ptrace.NewTraces()
	chargeSpan(td, "go", false, "")
	res := td.ResourceSpans().At(0).Resource().Attributes()
	res.Remove(contract.ServiceVersion)
	res.Remove(contract.DeploymentEnv)
	res.Remove("host.name")
	require.NoError(t, e.pushTraces(context.Background(), td))

	ev := onlyEvent(t, f)
	assert.Empty(t, ev.Release)
	assert.Empty(t, ev.Environment)
	assert.Empty(t, ev.ServerName)
}

func TestEventIDsAreStableAcrossRetries(t *testing.T) {
	conv := converter{fingerprint: DefaultFingerprint}
	td := ptrace.NewTraces()
	chargeSpan(td, "go", true, "")
	a := conv.errorsFromTraces(td, nil)
	b := conv.errorsFromTraces(td, nil)
	require.Len(t, a, 1)
	assert.Equal(t, a[0].event.EventID, b[0].event.EventID)
	assert.Len(t, string(a[0].event.EventID), 32)

	other := ptrace.NewTraces()
	chargeSpan(other, "go", true, "")
	other.ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(0).SetSpanID(pcommon.SpanID{1, 2, 3, 4, 5, 6, 7, 8})
	c := conv.errorsFromTraces(other, nil)
	assert.NotEqual(t, a[0].event.EventID, c[0].event.EventID)
}

func TestMaxEventsPerBatch(t *testing.T) {
	f := newFakeSentry(t)
	cfg := testConfig(f.dsn())
	cfg.MaxEventsPerBatch = 2
	e := newTestExporter(t, cfg, nil)
	td := ptrace.NewTraces()
	for i := 0; i < 5; i++ {
		chargeSpan(td, "go", false, "").SetSpanID(pcommon.SpanID{byte(i + 1)})
	}
	require.NoError(t, e.pushTraces(context.Background(), td))
	assert.Len(t, f.received(), 2)
}

func rateLimitResponder(header, value string) func(int, http.ResponseWriter) bool {
	return func(n int, w http.ResponseWriter) bool {
		if n > 1 {
			return false
		}
		w.Header().Set(header, value)
		w.WriteHeader(http.StatusTooManyRequests)
		return true
	}
}

func TestRateLimitBacksOffAndLaterDelivers(t *testing.T) {
	f := newFakeSentry(t)
	f.setRespond(rateLimitResponder("X-Sentry-Rate-Limits", "60:error;default:organization:quota_exceeded, 10:transaction:project"))
	clock := &fakeClock{now: testTime}
	e := newTestExporter(t, testConfig(f.dsn()), clock)
	td := ptrace.NewTraces()
	chargeSpan(td, "go", true, "")

	err := e.pushTraces(context.Background(), td)
	require.Error(t, err)
	assert.False(t, consumererror.IsPermanent(err))
	rl, ok := isRateLimited(err)
	require.True(t, ok, "%v", err)
	assert.Equal(t, 60*time.Second, rl.delay)
	assert.Contains(t, err.Error(), "Throttle (1m0s)", "exporterhelper waits as long as Sentry asked")
	assert.Len(t, retried(t, err), 1, "the undelivered event is retried")

	// Within the window nothing is sent: the exporter does not hammer Sentry.
	clock.Advance(45 * time.Second)
	err = e.pushTraces(context.Background(), td)
	rl, ok = isRateLimited(err)
	require.True(t, ok, "%v", err)
	assert.Equal(t, 15*time.Second, rl.delay)
	assert.Equal(t, 1, f.requestCount())

	clock.Advance(16 * time.Second)
	require.NoError(t, e.pushTraces(context.Background(), td))
	assert.Equal(t, 2, f.requestCount())
	assert.Len(t, f.received(), 1)
}

func TestRetryAfterWithoutSentryHeader(t *testing.T) {
	f := newFakeSentry(t)
	f.setRespond(rateLimitResponder("Retry-After", "7"))
	e := newTestExporter(t, testConfig(f.dsn()), nil)
	ld := plog.NewLogs()
	errorLog(ld, "go", plog.SeverityNumberError)
	err := e.pushLogs(context.Background(), ld)
	rl, ok := isRateLimited(err)
	require.True(t, ok, "%v", err)
	assert.Equal(t, 7*time.Second, rl.delay)
	assert.Len(t, retried(t, err), 1)
}

func TestPartialFailureRetriesOnlyUndelivered(t *testing.T) {
	f := newFakeSentry(t)
	f.setRespond(func(n int, w http.ResponseWriter) bool {
		if n == 2 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return true
		}
		return false
	})
	e := newTestExporter(t, testConfig(f.dsn()), nil)
	td := ptrace.NewTraces()
	for i := 0; i < 3; i++ {
		chargeSpan(td, "go", false, "").SetSpanID(pcommon.SpanID{byte(i + 1)})
	}
	err := e.pushTraces(context.Background(), td)
	require.Error(t, err)
	assert.False(t, consumererror.IsPermanent(err))
	left := retried(t, err)
	require.Len(t, left, 2)
	// Only the two undelivered events go again, as they were encoded.
	f.setRespond(nil)
	req := envelopeKind.New([]envelope{{}, {}, {}}).OnError(err)
	require.NoError(t, e.push(context.Background(), req))
	got := f.received()
	require.Len(t, got, 3)
	assert.Equal(t, pcommon.SpanID{2}.String(), got[1].Contexts["trace"]["span_id"])
	assert.Equal(t, pcommon.SpanID{3}.String(), got[2].Contexts["trace"]["span_id"])
}

func TestRejectedEventIsPermanentAndOthersDelivered(t *testing.T) {
	f := newFakeSentry(t)
	f.setRespond(func(n int, w http.ResponseWriter) bool {
		if n == 1 {
			http.Error(w, `{"detail":"invalid event"}`, http.StatusBadRequest)
			return true
		}
		return false
	})
	e := newTestExporter(t, testConfig(f.dsn()), nil)
	td := ptrace.NewTraces()
	for i := 0; i < 2; i++ {
		chargeSpan(td, "go", false, "").SetSpanID(pcommon.SpanID{byte(i + 1)})
	}
	err := e.pushTraces(context.Background(), td)
	require.Error(t, err)
	assert.True(t, consumererror.IsPermanent(err))
	assert.Contains(t, err.Error(), "HTTP 400")
	assert.Len(t, f.received(), 1)
}

func TestWrongKeyIsRejectedPermanently(t *testing.T) {
	f := newFakeSentry(t)
	f.expectBadAuth = true
	dsn := strings.Replace(f.dsn(), testKey, "ffffffffffffffffffffffffffffffff", 1)
	e := newTestExporter(t, testConfig(dsn), nil)
	td := ptrace.NewTraces()
	chargeSpan(td, "go", false, "")
	err := e.pushTraces(context.Background(), td)
	require.Error(t, err)
	assert.True(t, consumererror.IsPermanent(err))
	assert.Contains(t, err.Error(), "HTTP 401")
	assert.NotContains(t, err.Error(), "ffffffffffffffffffffffffffffffff")
}

func TestServerDownIsRetryable(t *testing.T) {
	f := newFakeSentry(t)
	dsn := f.dsn()
	f.srv.Close()
	e := newTestExporter(t, testConfig(dsn), nil)
	td := ptrace.NewTraces()
	chargeSpan(td, "go", false, "")
	err := e.pushTraces(context.Background(), td)
	require.Error(t, err)
	assert.False(t, consumererror.IsPermanent(err))
	assert.NotContains(t, err.Error(), testKey)
}

// spanAdder appends one-second spans of testTraceID to spans.
func spanAdder(spans ptrace.SpanSlice) func(name string, id, parent pcommon.SpanID, kind ptrace.SpanKind) ptrace.Span {
	return func(name string, id, parent pcommon.SpanID, kind ptrace.SpanKind) ptrace.Span {
		s := spans.AppendEmpty()
		s.SetName(name)
		s.SetTraceID(testTraceID)
		s.SetSpanID(id)
		s.SetParentSpanID(parent)
		s.SetKind(kind)
		s.SetStartTimestamp(pcommon.NewTimestampFromTime(testTime))
		s.SetEndTimestamp(pcommon.NewTimestampFromTime(testTime.Add(time.Second)))
		return s
	}
}

func TestTransactions(t *testing.T) {
	traces := func() ptrace.Traces {
		td := ptrace.NewTraces()
		rs := td.ResourceSpans().AppendEmpty()
		putResource(rs.Resource(), "go")
		add := spanAdder(rs.ScopeSpans().AppendEmpty().Spans())
		root := add("POST /api/checkout", pcommon.SpanID{1}, pcommon.SpanID{}, ptrace.SpanKindServer)
		root.Attributes().PutStr(contract.HTTPRequestMethod, "POST")
		root.Attributes().PutStr(contract.HTTPRoute, "/api/checkout")
		add(contract.SpanPaymentIntentCreate, pcommon.SpanID{2}, pcommon.SpanID{1}, ptrace.SpanKindInternal)
		charge := add(contract.SpanPaymentCharge, pcommon.SpanID{3}, pcommon.SpanID{2}, ptrace.SpanKindClient)
		charge.Status().SetCode(ptrace.StatusCodeError)
		return td
	}
	t.Run("off by default", func(t *testing.T) {
		f := newFakeSentry(t)
		e := newTestExporter(t, testConfig(f.dsn()), nil)
		require.NoError(t, e.pushTraces(context.Background(), traces()))
		require.Len(t, f.received(), 1, "only the error event")
		assert.NotEqual(t, "transaction", f.received()[0].Type)
	})
	t.Run("enabled", func(t *testing.T) {
		f := newFakeSentry(t)
		cfg := testConfig(f.dsn())
		cfg.Performance = PerformanceConfig{Enabled: true, SampleRate: 1}
		e := newTestExporter(t, cfg, nil)
		require.NoError(t, e.pushTraces(context.Background(), traces()))
		evs := f.received()
		require.Len(t, evs, 2)
		tx := evs[1]
		assert.Equal(t, "transaction", tx.Type)
		assert.Equal(t, "POST /api/checkout", tx.Transaction)
		assert.Equal(t, sentry.SourceRoute, tx.TransactionInfo.Source)
		assert.Equal(t, "http.server", tx.Contexts["trace"]["op"])
		assert.Equal(t, "1.4.2", tx.Release)
		assert.True(t, tx.StartTime.Equal(testTime))
		require.Len(t, tx.Spans, 2)
		assert.Equal(t, receivedSpan{
			TraceID: "4bf92f3577b34da6a3ce929d0e0e4736", SpanID: "0300000000000000", ParentSpanID: "0200000000000000",
			Op: "client", Description: contract.SpanPaymentCharge, Status: "internal_error",
		}, tx.Spans[1])
	})
	t.Run("sampled out", func(t *testing.T) {
		f := newFakeSentry(t)
		cfg := testConfig(f.dsn())
		cfg.Performance = PerformanceConfig{Enabled: true, SampleRate: 0}
		e := newTestExporter(t, cfg, nil)
		require.NoError(t, e.pushTraces(context.Background(), traces()))
		assert.Len(t, f.received(), 1)
	})
	t.Run("rate limited transactions are dropped, errors delivered", func(t *testing.T) {
		f := newFakeSentry(t)
		f.setRespond(func(n int, w http.ResponseWriter) bool {
			if n == 2 {
				w.Header().Set("X-Sentry-Rate-Limits", "60:transaction:project")
				w.WriteHeader(http.StatusTooManyRequests)
				return true
			}
			return false
		})
		cfg := testConfig(f.dsn())
		cfg.Performance = PerformanceConfig{Enabled: true, SampleRate: 1}
		e := newTestExporter(t, cfg, nil)
		require.NoError(t, e.pushTraces(context.Background(), traces()))
		require.Len(t, f.received(), 1)
	})
}

// Relay drops a whole transaction when one of its spans ends before it
// starts (or has no end): one bad child span must not cost the transaction
// and its good spans, and a transaction whose own times are broken is
// dropped and counted here instead of silently by Sentry.
func TestTransactionWithBadSpanTimesKeepsTheRest(t *testing.T) {
	f := newFakeSentry(t)
	cfg := testConfig(f.dsn())
	cfg.Performance = PerformanceConfig{Enabled: true, SampleRate: 1}
	e, tel := newTestExporterWithTelemetry(t, cfg)

	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	putResource(rs.Resource(), "go")
	spans := rs.ScopeSpans().AppendEmpty().Spans()
	add := func(trace pcommon.TraceID, id, parent pcommon.SpanID, start, end time.Time) {
		s := spans.AppendEmpty()
		s.SetName("span " + id.String())
		s.SetTraceID(trace)
		s.SetSpanID(id)
		s.SetParentSpanID(parent)
		s.SetKind(ptrace.SpanKindInternal)
		s.SetStartTimestamp(pcommon.NewTimestampFromTime(start))
		if !end.IsZero() {
			s.SetEndTimestamp(pcommon.NewTimestampFromTime(end))
		}
	}
	add(testTraceID, pcommon.SpanID{1}, pcommon.SpanID{}, testTime, testTime.Add(time.Second))
	add(testTraceID, pcommon.SpanID{2}, pcommon.SpanID{1}, testTime, testTime.Add(time.Millisecond))
	add(testTraceID, pcommon.SpanID{3}, pcommon.SpanID{1}, testTime, testTime.Add(-time.Millisecond)) // ends before it starts
	add(testTraceID, pcommon.SpanID{4}, pcommon.SpanID{1}, testTime, time.Time{})                     // never ended
	otherTrace := pcommon.TraceID{9, 9, 9, 9, 9, 9, 9, 9, 1, 2, 3, 4, 5, 6, 7, 8}
	add(otherTrace, pcommon.SpanID{5}, pcommon.SpanID{}, testTime, testTime.Add(-time.Second)) // a root ending before it starts
	add(otherTrace, pcommon.SpanID{6}, pcommon.SpanID{5}, testTime, testTime.Add(time.Millisecond))

	require.NoError(t, e.pushTraces(context.Background(), td))
	evs := f.received()
	require.Len(t, evs, 1)
	assert.Equal(t, "span "+pcommon.SpanID{1}.String(), evs[0].Transaction)
	require.Len(t, evs[0].Spans, 1)
	assert.Equal(t, pcommon.SpanID{2}.String(), evs[0].Spans[0].SpanID)

	m, err := tel.GetMetric(metadata.MetricEventsDropped)
	require.NoError(t, err)
	want := attribute.NewSet(attribute.String("reason", dropInvalidTransaction))
	var dropped int64
	for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
		if dp.Attributes.Equals(&want) {
			dropped += dp.Value
		}
	}
	assert.EqualValues(t, 1, dropped)
}

func TestSampledTraceIsDeterministic(t *testing.T) {
	kept := 0
	for i := 0; i < 1000; i++ {
		id := pcommon.TraceID{15: byte(i), 14: byte(i >> 8), 8: byte(i * 37)}
		if sampledTrace(id, 0.25) {
			kept++
		}
		first, again := sampledTrace(id, 0.25), sampledTrace(id, 0.25)
		assert.Equal(t, first, again)
	}
	assert.InDelta(t, 250, kept, 60)
}

func TestFactoryExporterThroughHelper(t *testing.T) {
	f := newFakeSentry(t)
	cfg := testConfig(f.dsn())
	cfg.QueueConfig = configoptional.None[exporterhelper.QueueBatchConfig]()
	exp, err := NewFactory().CreateLogs(context.Background(), exportertest.NewNopSettings(metadata.Type), cfg)
	require.NoError(t, err)
	require.NoError(t, exp.Start(context.Background(), componenttest.NewNopHost()))
	ld := plog.NewLogs()
	errorLog(ld, "go", plog.SeverityNumberError)
	require.NoError(t, exp.ConsumeLogs(context.Background(), ld))
	require.NoError(t, exp.Shutdown(context.Background()))
	assert.Len(t, f.received(), 1)
}

// The Sentry client is not wrapped in otelhttp (httpdelivery.Uninstrumented):
// with the collector's providers set, a send records no otelhttp client
// metric. The wrapper cost a tenth of each POST's CPU.
func TestClientNotOtelhttpInstrumented(t *testing.T) {
	f := newFakeSentry(t)
	e, tel := newTestExporterWithTelemetry(t, testConfig(f.dsn()))

	ld := plog.NewLogs()
	errorLog(ld, "go", plog.SeverityNumberError)
	require.NoError(t, e.pushLogs(context.Background(), ld))
	require.Len(t, f.received(), 1)
	_, err := tel.GetMetric("http.client.request.duration")
	assert.Error(t, err, "otelhttp recorded the Sentry request")
}

// Sentry refuses an event item over 1 MiB (413): an attribute the converter
// copies whole (exception.type, a span or scope name, a fingerprint
// attribute, service.version, host.name) must not cost the payment failure.
func TestHugeAttributesStillMakeAnEvent(t *testing.T) {
	f := newFakeSentry(t)
	cfg := testConfig(f.dsn())
	cfg.Fingerprint = []string{contract.ServiceName, FingerprintOperation, contract.PaymentErrorType, contract.ExceptionType, "app.tenant"}
	e := newTestExporter(t, cfg, nil)
	huge := strings.Repeat("x", 300<<10)
	td := ptrace.NewTraces()
	// Stack lines of any length: 20 frames with a 300 KiB function name.
	var stack strings.Builder
	stack.WriteString("panic: boom\n\ngoroutine 1 [running]:\n")
	for range 20 {
		stack.WriteString("github.com/acme/checkout/payment." + huge + "(0x1)\n\t/src/checkout/payment/charge.go:87 +0x1d4\n")
	}
	span := chargeSpan(td, "go", true, stack.String())
	span.SetName(huge)
	span.Events().At(0).Attributes().PutStr(contract.ExceptionType, huge)
	span.Attributes().PutStr("app.tenant", huge)
	rs := td.ResourceSpans().At(0)
	rs.Resource().Attributes().PutStr(contract.ServiceVersion, huge)
	rs.Resource().Attributes().PutStr("host.name", huge)
	rs.ScopeSpans().At(0).Scope().SetName(huge)

	require.NoError(t, e.pushTraces(context.Background(), td))
	ev := onlyEvent(t, f)
	require.Len(t, ev.Exception, 1)
	assert.True(t, strings.HasPrefix(ev.Exception[0].Type, "xxx"))
	require.NotNil(t, ev.Exception[0].Stacktrace)
	assert.Len(t, ev.Exception[0].Stacktrace.Frames, 20)
	assert.Less(t, len(ev.Raw), 64<<10)
}

// A trace with thousands of spans in one batch (a batch job, a retry loop)
// made a transaction over Sentry's 1 MiB item limit, refused with 413.
// Sentry's SDKs keep at most 1000 child spans per transaction; so does the
// exporter.
func TestTransactionWithManySpansStaysUnderTheSizeLimit(t *testing.T) {
	f := newFakeSentry(t)
	cfg := testConfig(f.dsn())
	cfg.Performance = PerformanceConfig{Enabled: true, SampleRate: 1}
	e := newTestExporter(t, cfg, nil)
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	putResource(rs.Resource(), "go")
	spans := rs.ScopeSpans().AppendEmpty().Spans()
	for i := range 5000 {
		s := spans.AppendEmpty()
		s.SetName("payment.reconcile " + strings.Repeat("r", 150))
		s.SetTraceID(testTraceID)
		s.SetSpanID(pcommon.SpanID{byte(i >> 8), byte(i), 1})
		if i > 0 {
			s.SetParentSpanID(pcommon.SpanID{0, 0, 1})
		}
		s.SetStartTimestamp(pcommon.NewTimestampFromTime(testTime))
		s.SetEndTimestamp(pcommon.NewTimestampFromTime(testTime.Add(time.Second)))
	}
	require.NoError(t, e.pushTraces(context.Background(), td))
	ev := onlyEvent(t, f)
	assert.Equal(t, "transaction", ev.Type)
	assert.Len(t, ev.Spans, maxTransactionSpans)
}

// Sentry drops a tag whose value has a newline (and keeps the event): a
// multi-line attribute value is sent on one line, so the tag stays
// searchable.
func TestMultiLineTagValuesKeptOnOneLine(t *testing.T) {
	f := newFakeSentry(t)
	e := newTestExporter(t, testConfig(f.dsn()), nil)
	ld := plog.NewLogs()
	lr := errorLog(ld, "go", plog.SeverityNumberError)
	lr.Attributes().PutStr(contract.PaymentErrorType, "card_declined\r\ninsufficient_funds\n")
	require.NoError(t, e.pushLogs(context.Background(), ld))
	assert.Equal(t, "card_declined insufficient_funds", onlyEvent(t, f).Tags[contract.PaymentErrorType])
}
