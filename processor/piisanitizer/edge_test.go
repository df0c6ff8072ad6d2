package piisanitizer

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/processortest"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/otelcol-payments/otelcol-payments/internal/contract"
	"github.com/otelcol-payments/otelcol-payments/processor/piisanitizer/internal/metadata"
)

func edgeConfig() *Config {
	cfg := testConfig()
	cfg.EdgeLimits.DropForbiddenMetricAttributes = true
	cfg.EdgeLimits.NormalizeSpanNames = true
	return cfg
}

// edgeLimited is the edge_limited counter's value for reason.
func edgeLimited(t *testing.T, h *harness, reason string) int64 {
	t.Helper()
	m, err := h.tel.GetMetric(metadata.EdgeLimitedMetric)
	if err != nil {
		return 0
	}
	var n int64
	for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
		if v, _ := dp.Attributes.Value(attribute.Key("reason")); v.AsString() == reason {
			n += dp.Value
		}
	}
	return n
}

// nest puts a map nested depth levels deep under key.
func nest(m pcommon.Map, key string, depth int) {
	for range depth {
		m = m.PutEmptyMap(key)
	}
	m.PutStr("leaf", "x")
}

// A record nested 100 levels deep in a batch of purchases: OTLP/JSON takes
// it, protobuf (the hop to the gateway) refuses it, and the whole batch
// would be lost. After the edge the batch marshals and unmarshals as
// protobuf, every purchase is intact, and the truncation is counted.
func TestEdgeBoundsNestingSoTheNextTierAccepts(t *testing.T) {
	h := newHarness(t, edgeConfig())
	ld := plog.NewLogs()
	lrs := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
	for i := range 50 {
		lr := lrs.AppendEmpty()
		lr.SetEventName(contract.EventPurchase)
		lr.Attributes().PutStr(contract.OrderID, "ord-"+string(rune('A'+i%26)))
		lr.Attributes().PutInt(contract.PaymentAmountMinor, int64(100+i))
	}
	poison := lrs.AppendEmpty()
	nest(poison.Attributes(), "deep", 100)
	nest(poison.Body().SetEmptyMap(), "deep", 100)
	slice := poison.Attributes().PutEmptySlice("deep_slice")
	for range 100 {
		slice = slice.AppendEmpty().SetEmptySlice()
	}

	var before plog.ProtoMarshaler
	raw, err := before.MarshalLogs(ld)
	require.NoError(t, err)
	_, err = (&plog.ProtoUnmarshaler{}).UnmarshalLogs(raw)
	require.Error(t, err, "the poison record must be what protobuf refuses, or the test proves nothing")

	out := h.processLogs(t, ld)
	raw, err = (&plog.ProtoMarshaler{}).MarshalLogs(out)
	require.NoError(t, err)
	back, err := (&plog.ProtoUnmarshaler{}).UnmarshalLogs(raw)
	require.NoError(t, err, "the next tier accepts what the edge let through")
	require.Equal(t, 51, back.LogRecordCount())
	got := back.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords()
	for i := range 50 {
		v, ok := got.At(i).Attributes().Get(contract.PaymentAmountMinor)
		require.True(t, ok)
		assert.Equal(t, int64(100+i), v.Int())
	}
	assert.Equal(t, int64(3), edgeLimited(t, h, edgeDepth), "attribute, body and slice each truncated once")

	// The truncated value keeps the first levels and says what happened.
	v, _ := got.At(50).Attributes().Get("deep")
	for range 15 {
		v, _ = v.Map().Get("deep")
	}
	assert.Equal(t, "[TRUNCATED: nested deeper than 16 levels]", v.Str())
}

// Exemplars and metric metadata travel in OTLP like point attributes: one
// value nested too deep there made the next tier refuse the whole batch.
func TestEdgeBoundsExemplarsAndMetricMetadata(t *testing.T) {
	h := newHarness(t, edgeConfig())
	md := pmetric.NewMetrics()
	ms := md.ResourceMetrics().AppendEmpty().ScopeMetrics().AppendEmpty().Metrics()
	for i := range 10 {
		m := ms.AppendEmpty()
		m.SetName("payment.attempts")
		m.SetEmptySum().DataPoints().AppendEmpty().SetIntValue(int64(i))
	}
	nest(ms.At(7).Metadata(), "deep", 100)
	nest(ms.At(8).Sum().DataPoints().At(0).Exemplars().AppendEmpty().FilteredAttributes(), "deep", 100)
	hist := ms.AppendEmpty()
	hist.SetName("payment.duration")
	nest(hist.SetEmptyHistogram().DataPoints().AppendEmpty().Exemplars().AppendEmpty().FilteredAttributes(), "deep", 100)

	out := h.processMetrics(t, md)
	raw, err := (&pmetric.ProtoMarshaler{}).MarshalMetrics(out)
	require.NoError(t, err)
	back, err := (&pmetric.ProtoUnmarshaler{}).UnmarshalMetrics(raw)
	require.NoError(t, err, "the next tier accepts what the edge let through")
	got := back.ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics()
	require.Equal(t, 11, got.Len())
	for i := range 10 {
		assert.Equal(t, int64(i), got.At(i).Sum().DataPoints().At(0).IntValue())
	}
	assert.Equal(t, int64(3), edgeLimited(t, h, edgeDepth))
}

// Names and messages are strings like values: a 1 MiB span name becomes
// the span.name label of every span metric series, and none bounded it.
func TestEdgeBoundsNamesAndMessages(t *testing.T) {
	cfg := edgeConfig()
	cfg.EdgeLimits.MaxValueBytes = 100
	h := newHarness(t, cfg)
	long := strings.Repeat("n", 1<<20)

	td := ptrace.NewTraces()
	span := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans().AppendEmpty()
	span.SetName(long)
	span.Status().SetMessage(long)
	span.Events().AppendEmpty().SetName(long)
	gotSpan := h.processTraces(t, td).ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(0)
	assert.Len(t, gotSpan.Name(), 100)
	assert.Len(t, gotSpan.Status().Message(), 100)
	assert.Len(t, gotSpan.Events().At(0).Name(), 100)

	ld := plog.NewLogs()
	ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords().AppendEmpty().SetEventName(long)
	assert.Len(t, h.processLogs(t, ld).ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0).EventName(), 100)

	md := pmetric.NewMetrics()
	m := md.ResourceMetrics().AppendEmpty().ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
	m.SetName(long)
	m.SetDescription(long)
	m.SetEmptyGauge().DataPoints().AppendEmpty().SetIntValue(1)
	gotMetric := h.processMetrics(t, md).ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics().At(0)
	assert.Len(t, gotMetric.Name(), 100)
	assert.Len(t, gotMetric.Description(), 100)
	assert.Equal(t, int64(6), edgeLimited(t, h, edgeValueSize))
}

// Keys were not bounded at all: an attribute whose key is longer than
// max_value_bytes is removed and counted, the ones next to it kept.
func TestEdgeRemovesAttributesWithOversizedKeys(t *testing.T) {
	cfg := edgeConfig()
	cfg.EdgeLimits.MaxValueBytes = 100
	h := newHarness(t, cfg)
	ld := plog.NewLogs()
	lr := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords().AppendEmpty()
	lr.Attributes().PutStr(strings.Repeat("k", 1<<20), "v")
	lr.Attributes().PutStr(contract.PaymentMethod, "card")
	lr.Attributes().PutEmptyMap("nested").PutStr(strings.Repeat("n", 101), "v")
	got := h.processLogs(t, ld).ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0).Attributes()
	assert.Equal(t, map[string]any{contract.PaymentMethod: "card", "nested": map[string]any{}}, got.AsRaw())
	assert.Equal(t, int64(2), edgeLimited(t, h, edgeAttributes))
}

func TestEdgeBoundsAttributeCountAndValueSize(t *testing.T) {
	cfg := edgeConfig()
	cfg.EdgeLimits.MaxAttributes = 10
	cfg.EdgeLimits.MaxValueBytes = 100
	h := newHarness(t, cfg)
	td := ptrace.NewTraces()
	span := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans().AppendEmpty()
	span.SetName("payment.charge")
	for i := range 25 {
		span.Attributes().PutInt(strings.Repeat("k", i+1), int64(i))
	}
	ev := span.Events().AppendEmpty()
	ev.Attributes().PutStr("note", strings.Repeat("é", 80)) // 160 bytes
	out := h.processTraces(t, td)
	s := out.ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(0)
	assert.Equal(t, 10, s.Attributes().Len())
	note, _ := s.Events().At(0).Attributes().Get("note")
	assert.Equal(t, strings.Repeat("é", 50), note.Str(), "cut at 100 bytes on a rune boundary")
	assert.Equal(t, int64(15), edgeLimited(t, h, edgeAttributes))
	assert.Equal(t, int64(1), edgeLimited(t, h, edgeValueSize))
}

// customer.email and client.address on an app counter made one Prometheus
// series per customer; they are dropped from data points, low-cardinality
// keys (customer.segment, payment.provider) stay.
func TestEdgeDropsForbiddenMetricAttributes(t *testing.T) {
	h := newHarness(t, edgeConfig())
	md := pmetric.NewMetrics()
	rm := md.ResourceMetrics().AppendEmpty()
	rm.Resource().Attributes().PutStr(contract.ServiceName, "checkout")
	ms := rm.ScopeMetrics().AppendEmpty().Metrics()
	sum := ms.AppendEmpty()
	sum.SetName("checkout.requests")
	dp := sum.SetEmptySum().DataPoints().AppendEmpty()
	dp.Attributes().PutStr(contract.CustomerEmail, "jane@example.com")
	dp.Attributes().PutStr(contract.ClientAddress, "203.0.113.7")
	dp.Attributes().PutStr(contract.OrderID, "ord-1")
	dp.Attributes().PutStr(contract.CustomerSegment, "new")
	dp.Attributes().PutStr(contract.PaymentProvider, "stripe")
	hist := ms.AppendEmpty()
	hist.SetName("checkout.duration")
	hist.SetEmptyHistogram().DataPoints().AppendEmpty().Attributes().PutStr(contract.CustomerID, "cus_1")

	out := h.processMetrics(t, md).ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics()
	assert.Equal(t, map[string]any{contract.CustomerSegment: "new", contract.PaymentProvider: "stripe"},
		out.At(0).Sum().DataPoints().At(0).Attributes().AsRaw())
	assert.Equal(t, 0, out.At(1).Histogram().DataPoints().At(0).Attributes().Len())
	assert.Equal(t, int64(4), edgeLimited(t, h, edgeMetricAttribute))
	svc, _ := md.ResourceMetrics().At(0).Resource().Attributes().Get(contract.ServiceName)
	assert.Equal(t, "checkout", svc.Str(), "resource attributes are not data point attributes")
}

// A span name with an email became one span_name series per pseudonym.
func TestEdgeNormalizesSpanNamesThatHeldPII(t *testing.T) {
	h := newHarness(t, edgeConfig())
	td := ptrace.NewTraces()
	spans := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans()
	for _, name := range []string{"GET /users/jane@example.com/orders", "GET /users/john@example.org/orders", "charge 4111 1111 1111 1111", "payment.charge"} {
		spans.AppendEmpty().SetName(name)
	}
	out := h.processTraces(t, td).ResourceSpans().At(0).ScopeSpans().At(0).Spans()
	assert.Equal(t, "GET /users/{pii}/orders", out.At(0).Name())
	assert.Equal(t, out.At(0).Name(), out.At(1).Name(), "two customers, one span name")
	assert.NotContains(t, out.At(2).Name(), "1111")
	assert.Equal(t, "payment.charge", out.At(3).Name())
	assert.Equal(t, int64(3), edgeLimited(t, h, edgeSpanName))
}

func TestEdgeWarnsAtMostOnceAMinute(t *testing.T) {
	set := newEdgeSettings(t)
	e, err := newEdge(defaultEdgeLimits(), set.settings, nil)
	require.NoError(t, err)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	e.now = func() time.Time { return now }
	for range 5 {
		e.report(t.Context(), counts{edgeDepth: 1})
	}
	now = now.Add(time.Minute)
	e.report(t.Context(), counts{edgeDepth: 1})
	e.report(t.Context(), counts{})
	assert.Equal(t, 2, set.logs.FilterMessageSnippet("edge limits").Len())
}

func TestEdgeLimitsValidate(t *testing.T) {
	for _, tc := range []struct {
		mutate func(*EdgeLimitsConfig)
		want   string
	}{
		{func(c *EdgeLimitsConfig) { c.MaxDepth = 0 }, "edge_limits.max_depth"},
		{func(c *EdgeLimitsConfig) { c.MaxDepth = 31 }, "edge_limits.max_depth: must be within 1 and 30"},
		{func(c *EdgeLimitsConfig) { c.MaxAttributes = 0 }, "edge_limits.max_attributes"},
		{func(c *EdgeLimitsConfig) { c.MaxValueBytes = 10 }, "edge_limits.max_value_bytes"},
	} {
		c := defaultEdgeLimits()
		tc.mutate(&c)
		require.ErrorContains(t, c.Validate(), tc.want)
	}
	c := defaultEdgeLimits()
	assert.NoError(t, c.Validate())
}

type edgeSettings struct {
	settings processor.Settings
	logs     *observer.ObservedLogs
}

func newEdgeSettings(t *testing.T) edgeSettings {
	t.Helper()
	core, logs := observer.New(zap.WarnLevel)
	set := processortest.NewNopSettings(metadata.Type)
	set.Logger = zap.New(core)
	return edgeSettings{settings: set, logs: logs}
}

// 10,000 service.name values made 10,000 series sets on the Prometheus
// endpoint. Beyond max_services new names become "overflow"; known
// services keep theirs, and idle ones make room again.
func TestEdgeBoundsDistinctServices(t *testing.T) {
	set := newEdgeSettings(t)
	cfg := defaultEdgeLimits()
	cfg.MaxServices = 3
	e, err := newEdge(cfg, set.settings, nil)
	require.NoError(t, err)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	e.now = func() time.Time { return now }
	send := func(names ...string) []string {
		ld := plog.NewLogs()
		for _, n := range names {
			ld.ResourceLogs().AppendEmpty().Resource().Attributes().PutStr(contract.ServiceName, n)
		}
		out, err := e.wrapLogs(func(_ context.Context, ld plog.Logs) (plog.Logs, error) { return ld, nil })(t.Context(), ld)
		require.NoError(t, err)
		var got []string
		for i := 0; i < out.ResourceLogs().Len(); i++ {
			v, _ := out.ResourceLogs().At(i).Resource().Attributes().Get(contract.ServiceName)
			got = append(got, v.Str())
		}
		return got
	}
	assert.Equal(t, []string{"checkout", "payments", "inventory", "overflow", "overflow"}, send("checkout", "payments", "inventory", "flood-1", "flood-2"))
	now = now.Add(5 * time.Minute)
	assert.Equal(t, []string{"checkout", "overflow"}, send("checkout", "flood-3"))
	// payments and inventory idle for 10 minutes: their places free up.
	now = now.Add(6 * time.Minute)
	assert.Equal(t, []string{"flood-4", "checkout"}, send("flood-4", "checkout"))
}

// The literal pre-check of normalizeSpanName finds every name the regexp
// would rewrite.
func TestNormalizeSpanNameMatchesTheRegexp(t *testing.T) {
	for _, name := range []string{
		"GET /api/products/{id}", "payment.charge", "", "*", "a*b", "GET /users/pii_0123456789abcdef/orders",
		"pii_0123", "lookup [REDACTED:email] done", "[REDACTED", "card ****-****-****-4242", "x**", "**",
		"GET /orders?email=jane**@example.com", "pii_ZZZZZZZZZZ", "PII_0123456789abcdef",
	} {
		want := piiInName.MatchString(name)
		got, changed := normalizeSpanName(name)
		assert.Equal(t, want, changed, name)
		if want {
			assert.Equal(t, piiInName.ReplaceAllString(name, "{pii}"), got, name)
		} else {
			assert.Equal(t, name, got, name)
		}
	}
}

// Span names as the simulator's services make them: routes and operations,
// no personal data.
func BenchmarkNormalizeSpanName(b *testing.B) {
	names := []string{"GET /api/products/{id}", "POST /checkout/sessions/{id}/confirm", "payment.charge", "inventory.check", "SELECT orders", "email.send"}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, changed := normalizeSpanName(names[i%len(names)]); changed {
			b.Fatal("clean name changed")
		}
	}
}

// A value cut at max_value_bytes was sanitized after the cut: a card,
// an address or a token the cut went through no longer read as one
// ("4111 1111 1111 111" fails Luhn, "alice.smith@exampl" has no TLD) and
// left as it was. The cut now goes before what it would split.
func TestEdgeCutSplitsNoFinding(t *testing.T) {
	cfg := testConfig()
	const limit = 128
	cfg.EdgeLimits.MaxValueBytes = limit
	h := newHarness(t, cfg)
	for _, tail := range []string{
		"4111 1111 1111 1111 declined",
		"alice.smith@example.com wrote",
		"DE89 3704 0044 0532 0130 00 refund",
		"+44 20 7946 0958 called",
		"eyJhbGciOiJIUzI1NiJ9.eyJlbWFpbCI6ImFsaWNlQGV4YW1wbGUuY29tIn0.c2lnbmF0dXJlc2lnbmF0dXJl",
		"sk_live_51HxYzAbCdEfGhIjKlMnOpQr sent",
	} {
		for cut := 1; cut < len(tail); cut++ {
			pad := strings.Repeat("x", limit-cut-1) + " "
			for _, bytesValue := range []bool{false, true} {
				got := sanitizeValue(t, h, pad+tail, bytesValue)
				kept := strings.TrimPrefix(got, pad)
				if len(kept) > 2 && strings.HasPrefix(tail, kept) {
					t.Errorf("cut %d of %q (bytes %v) left %q", cut, tail, bytesValue, got)
				}
			}
		}
	}
}

// Sanitizing can lengthen a value (an address becomes a 36-byte
// pseudonym), and a second tier with the same max_value_bytes then cut
// what the first had output: sanitizing was not idempotent for values
// near the limit. The sanitized value now fits the limit, cut before a
// pseudonym or placeholder rather than through it.
func TestSanitizedValueFitsTheLimit(t *testing.T) {
	cfg := testConfig()
	const limit = 64
	cfg.EdgeLimits.MaxValueBytes = limit
	h := newHarness(t, cfg)
	for _, in := range []string{
		"mail a@b.co " + strings.Repeat("x", 52),
		"to a@b.co and c@d.io ok " + strings.Repeat("y", 40),
		strings.Repeat("z", 40) + " password=hunter2 and more",
		strings.Repeat("z", 50) + " c@d.io",
	} {
		for _, bytesValue := range []bool{false, true} {
			once := sanitizeValue(t, h, in, bytesValue)
			twice := sanitizeValue(t, h, once, bytesValue)
			if len(once) > limit || twice != once {
				t.Errorf("%q (bytes %v):\n once  %d %q\n twice %d %q", in, bytesValue, len(once), once, len(twice), twice)
			}
			if strings.Contains(once, "pii_") && !strings.Contains(once, pseudonym("a@b.co")) && !strings.Contains(once, pseudonym("c@d.io")) {
				t.Errorf("%q: pseudonym cut: %q", in, once)
			}
		}
	}

	// The cut is counted as a value_size limit, as the cut on the way in
	// is; the output, which fits, is not cut or counted again.
	h = newHarness(t, cfg)
	in := "mail a@b.co " + strings.Repeat("x", 52) // at the limit: the way in keeps it
	once := sanitizeValue(t, h, in, false)
	assert.Equal(t, int64(1), edgeLimited(t, h, edgeValueSize), "the cut of %q", once)
	sanitizeValue(t, h, once, false)
	assert.Equal(t, int64(1), edgeLimited(t, h, edgeValueSize))
}

func sanitizeValue(t *testing.T, h *harness, in string, bytesValue bool) string {
	t.Helper()
	ld := plog.NewLogs()
	attrs := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords().AppendEmpty().Attributes()
	if bytesValue {
		attrs.PutEmptyBytes("v").FromRaw([]byte(in))
	} else {
		attrs.PutStr("v", in)
	}
	v, _ := h.processLogs(t, ld).ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0).Attributes().Get("v")
	if bytesValue {
		return string(v.Bytes().AsRaw())
	}
	return v.Str()
}
