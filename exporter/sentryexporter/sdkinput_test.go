package sentryexporter

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/getsentry/sentry-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/otelcol-payments/otelcol-payments/exporter/sentryexporter/internal/stack"
	"github.com/otelcol-payments/otelcol-payments/internal/contract"
)

// Log bridges and shippers that only know a level name send the severity
// text without a number (OTLP makes the number optional). Such an ERROR or
// CRITICAL record was not recognised as an error and never reached Sentry.
func TestSeverityTextWithoutNumber(t *testing.T) {
	f := newFakeSentry(t)
	e := newTestExporter(t, testConfig(f.dsn()), nil)
	ld := plog.NewLogs()
	for _, text := range []string{"ERROR", "Critical", "fatal", "Warning", "Information", "severe", ""} {
		lr := errorLog(ld, "dotnet", plog.SeverityNumberUnspecified)
		lr.SetSeverityText(text)
		lr.Body().SetStr("severity " + text)
	}
	require.NoError(t, e.pushLogs(context.Background(), ld))

	levels := map[string]sentry.Level{}
	for _, ev := range f.received() {
		levels[ev.Message] = ev.Level
	}
	assert.Equal(t, map[string]sentry.Level{
		"severity ERROR":    sentry.LevelError,
		"severity Critical": sentry.LevelFatal,
		"severity fatal":    sentry.LevelFatal,
		"severity severe":   sentry.LevelError,
	}, levels, "errors by their text; warnings, info and no severity at all are not errors")
}

// nodeHTTPTrace is what OpenTelemetry JS's http, express and pg
// instrumentations send by default: the older semantic conventions
// (http.method, http.status_code, db.system). The server span failed with
// a 500 and recorded no exception.
func nodeHTTPTrace() ptrace.Traces {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	putResource(rs.Resource(), "nodejs")
	add := spanAdder(rs.ScopeSpans().AppendEmpty().Spans())
	server := add("POST /api/checkout", pcommon.SpanID{1}, pcommon.SpanID{}, ptrace.SpanKindServer)
	server.Attributes().PutStr("http.method", "POST")
	server.Attributes().PutInt("http.status_code", 500)
	server.Attributes().PutStr("http.target", "/api/checkout?cart=42")
	server.Attributes().PutStr(contract.HTTPRoute, "/api/checkout")
	server.Status().SetCode(ptrace.StatusCodeError)
	db := add("pg.query:INSERT payments", pcommon.SpanID{2}, pcommon.SpanID{1}, ptrace.SpanKindClient)
	db.Attributes().PutStr("db.system", "postgresql")
	return td
}

// The error of a Node service's failed request, and its transaction, were
// sent without the HTTP method and status tags and with op "server"
// instead of "http.server" (a database span "client" instead of "db"):
// only the current attribute names were read.
func TestOlderHTTPSemanticConventions(t *testing.T) {
	f := newFakeSentry(t)
	cfg := testConfig(f.dsn())
	cfg.Performance = PerformanceConfig{Enabled: true, SampleRate: 1}
	e := newTestExporter(t, cfg, nil)
	require.NoError(t, e.pushTraces(context.Background(), nodeHTTPTrace()))

	evs := f.received()
	require.Len(t, evs, 2)
	errEv, tx := evs[0], evs[1]
	require.Equal(t, "transaction", tx.Type)
	for _, ev := range []receivedEvent{errEv, tx} {
		assert.Equal(t, "POST", ev.Tags[contract.HTTPRequestMethod], ev.Type)
		assert.Equal(t, "500", ev.Tags[contract.HTTPResponseStatus], ev.Type)
		assert.NotContains(t, ev.Tags, "http.method", "tags keep the current names")
		assert.Equal(t, "http.server", ev.Contexts["trace"]["op"], ev.Type)
	}
	require.Len(t, tx.Spans, 1)
	assert.Equal(t, "db", tx.Spans[0].Op)

	// When both are present (OTEL_SEMCONV_STABILITY_OPT_IN=http/dup) the
	// current name wins.
	f2 := newFakeSentry(t)
	e2 := newTestExporter(t, testConfig(f2.dsn()), nil)
	td := nodeHTTPTrace()
	td.ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(0).Attributes().PutInt(contract.HTTPResponseStatus, 503)
	require.NoError(t, e2.pushTraces(context.Background(), td))
	assert.Equal(t, "503", onlyEvent(t, f2).Tags[contract.HTTPResponseStatus])
}

// The .NET SDK records exception.stacktrace as Exception.ToString(); it
// reached Sentry as raw text only, without frames to group and link by.
func TestDotNetExceptionHasFrames(t *testing.T) {
	f := newFakeSentry(t)
	e := newTestExporter(t, testConfig(f.dsn()), nil)
	td := ptrace.NewTraces()
	span := chargeSpan(td, "dotnet", true, sample(t, "dotnet_invalidoperation.txt"))
	exc := span.Events().At(0).Attributes()
	exc.PutStr(contract.ExceptionType, "System.InvalidOperationException")
	exc.PutStr(contract.ExceptionMessage, "Charge failed for order ord_8812")
	require.NoError(t, e.pushTraces(context.Background(), td))

	ev := onlyEvent(t, f)
	assert.Equal(t, "csharp", ev.Platform)
	assert.NotContains(t, ev.Contexts, "raw_stacktrace")
	require.Len(t, ev.Exception, 1)
	assert.Equal(t, "System.InvalidOperationException", ev.Exception[0].Type)
	require.NotNil(t, ev.Exception[0].Stacktrace)
	frames := ev.Exception[0].Stacktrace.Frames
	require.Len(t, frames, 5)
	last := frames[len(frames)-1]
	assert.Equal(t, "Acme.Payments.Charger", last.Module, "crashing frame last")
	assert.Equal(t, "ChargeAsync", last.Function)
	assert.Equal(t, 42, last.Lineno)
	assert.True(t, last.InApp)
	assert.False(t, frames[0].InApp)
}

// Deployments configured before semantic conventions 1.27 set
// deployment.environment (OTEL_RESOURCE_ATTRIBUTES=deployment.environment=
// production); their events reached Sentry without an environment.
func TestOlderDeploymentEnvironmentName(t *testing.T) {
	f := newFakeSentry(t)
	e := newTestExporter(t, testConfig(f.dsn()), nil)
	ld := plog.NewLogs()
	for _, names := range []string{"both names", "older name only"} {
		lr := errorLog(ld, "nodejs", plog.SeverityNumberError)
		lr.Body().SetStr(names)
		res := ld.ResourceLogs().At(ld.ResourceLogs().Len() - 1).Resource().Attributes()
		res.PutStr("deployment.environment", "staging")
		if names == "older name only" {
			res.Remove(contract.DeploymentEnv)
		}
	}
	require.NoError(t, e.pushLogs(context.Background(), ld))
	envs := map[string]string{}
	for _, ev := range f.received() {
		envs[ev.Message] = ev.Environment
	}
	assert.Equal(t, map[string]string{"both names": "production", "older name only": "staging"}, envs,
		"the current name wins; the older one when it is the only one")
}

// Sentry removes a release or environment it refuses ('/', line breaks,
// over 200 / 64 bytes, "latest", "none"); the event then belongs to no
// release or environment. Branch-style versions and long environment
// names are made names Sentry keeps.
func TestReleaseAndEnvironmentNamesSentryKeeps(t *testing.T) {
	f := newFakeSentry(t)
	e := newTestExporter(t, testConfig(f.dsn()), nil)
	long := strings.Repeat("e", 100)
	cases := []struct{ version, env, wantRelease, wantEnv string }{
		{"release/2026.11", "eu/prod", "release-2026.11", "eu-prod"},
		{"latest", "None", "", ""},
		{" 1.4.2\n", long, "1.4.2", long[:64]},
		{strings.Repeat("v", 199) + " 2", strings.Repeat("e", 63) + " x", strings.Repeat("v", 199), strings.Repeat("e", 63)},
	}
	ld := plog.NewLogs()
	for i, c := range cases {
		lr := errorLog(ld, "nodejs", plog.SeverityNumberError)
		lr.Body().SetStr(strconv.Itoa(i))
		res := ld.ResourceLogs().At(i).Resource().Attributes()
		res.PutStr(contract.ServiceVersion, c.version)
		res.PutStr(contract.DeploymentEnv, c.env)
	}
	require.NoError(t, e.pushLogs(context.Background(), ld))
	got := map[string][2]string{}
	for _, ev := range f.received() {
		got[ev.Message] = [2]string{ev.Release, ev.Environment}
	}
	for i, c := range cases {
		assert.Equal(t, [2]string{c.wantRelease, c.wantEnv}, got[strconv.Itoa(i)], "version %q, environment %q", c.version, c.env)
	}
}

// Invalid UTF-8 (binary data in a panic, a mangled file path) is written as
// a six-byte \ufffd escape per byte: parsed frames cut at 256 bytes per
// field still made a 1.2 MB event, which Sentry refuses (413) and the
// exporter drops. Fields are now bounded as sent.
func TestInvalidUTF8StaysUnderTheSizeLimit(t *testing.T) {
	f := newFakeSentry(t)
	e := newTestExporter(t, testConfig(f.dsn()), nil)
	garbage := strings.Repeat("\xff", 300)
	var text strings.Builder
	text.WriteString("panic: boom\n\ngoroutine 1 [running]:\n")
	for range 250 {
		text.WriteString("github.com/acme/" + garbage + "/p." + garbage + "(0x1)\n\t/src/" + garbage + "/" + garbage + ".go:87 +0x1d4\n")
	}
	td := ptrace.NewTraces()
	span := chargeSpan(td, "go", true, text.String())
	span.Events().At(0).Attributes().PutStr(contract.ExceptionMessage, "\x80\x80"+strings.Repeat("\xfe", 20000))
	span.Attributes().PutStr(contract.PaymentErrorType, "\x80card_declined")
	require.NoError(t, e.pushTraces(context.Background(), td))

	ev := onlyEvent(t, f)
	assert.Less(t, len(ev.Raw), 512<<10)
	require.NotNil(t, ev.Exception[0].Stacktrace)
	assert.Len(t, ev.Exception[0].Stacktrace.Frames, stack.MaxFrames)
	assert.Equal(t, "\uFFFDcard_declined", ev.Tags[contract.PaymentErrorType], "a leading stray byte no longer empties the value")
	assert.Equal(t, "\uFFFD", ev.Exception[0].Value)
}
