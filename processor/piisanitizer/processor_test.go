package piisanitizer

import (
	"context"
	"fmt"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
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
	"github.com/otelcol-payments/otelcol-payments/processor/piisanitizer/internal/detect"
	"github.com/otelcol-payments/otelcol-payments/processor/piisanitizer/internal/metadata"
)

const testKey = "0123456789abcdef0123456789abcdef"

func testConfig() *Config {
	cfg := NewFactory().CreateDefaultConfig().(*Config)
	cfg.HashKey = testKey
	return cfg
}

// pseudonym is the expected pseudonym of an identifier under testKey.
func pseudonym(v string) string { return detect.NewHasher([]byte(testKey)).Identifier(v) }

type harness struct {
	traces  processor.Traces
	logs    processor.Logs
	metrics processor.Metrics
	tsink   *consumertest.TracesSink
	lsink   *consumertest.LogsSink
	msink   *consumertest.MetricsSink
	tel     *componenttest.Telemetry
}

func newHarness(t testing.TB, cfg *Config) *harness {
	t.Helper()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	h := &harness{
		tsink: new(consumertest.TracesSink), lsink: new(consumertest.LogsSink), msink: new(consumertest.MetricsSink),
		tel: componenttest.NewTelemetry(),
	}
	set := processortest.NewNopSettings(metadata.Type)
	set.TelemetrySettings = h.tel.NewTelemetrySettings()
	f := NewFactory()
	var err error
	ctx := context.Background()
	if h.traces, err = f.CreateTraces(ctx, set, cfg, h.tsink); err != nil {
		t.Fatal(err)
	}
	if h.logs, err = f.CreateLogs(ctx, set, cfg, h.lsink); err != nil {
		t.Fatal(err)
	}
	if h.metrics, err = f.CreateMetrics(ctx, set, cfg, h.msink); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = h.tel.Shutdown(ctx) })
	return h
}

func (h *harness) processTraces(t testing.TB, td ptrace.Traces) ptrace.Traces {
	t.Helper()
	h.tsink.Reset()
	if err := h.traces.ConsumeTraces(context.Background(), td); err != nil {
		t.Fatal(err)
	}
	return h.tsink.AllTraces()[0]
}

func (h *harness) processLogs(t testing.TB, ld plog.Logs) plog.Logs {
	t.Helper()
	h.lsink.Reset()
	if err := h.logs.ConsumeLogs(context.Background(), ld); err != nil {
		t.Fatal(err)
	}
	return h.lsink.AllLogs()[0]
}

func (h *harness) processMetrics(t testing.TB, md pmetric.Metrics) pmetric.Metrics {
	t.Helper()
	h.msink.Reset()
	if err := h.metrics.ConsumeMetrics(context.Background(), md); err != nil {
		t.Fatal(err)
	}
	return h.msink.AllMetrics()[0]
}

func str(t *testing.T, m pcommon.Map, k string) string {
	t.Helper()
	v, ok := m.Get(k)
	if !ok {
		t.Fatalf("attribute %q missing", k)
	}
	return v.AsString()
}

func TestTracesEveryStringField(t *testing.T) {
	h := newHarness(t, testConfig())
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("host.note", "owner alice@example.com")
	ss := rs.ScopeSpans().AppendEmpty()
	ss.Scope().Attributes().PutStr("scope.note", "ip 203.0.113.9")
	span := ss.Spans().AppendEmpty()
	span.SetName("charge 4111111111111111")
	span.Attributes().PutStr(contract.ClientAddress, "198.51.100.77")
	span.Status().SetMessage("declined for card 5555 5555 5555 4444")
	ev := span.Events().AppendEmpty()
	ev.SetName("mail to alice@example.com")
	ev.Attributes().PutStr(contract.ExceptionMessage, "Bearer abcdefghijklmnop1234 rejected")
	span.Links().AppendEmpty().Attributes().PutStr("link.note", "iban DE89370400440532013000")

	out := h.processTraces(t, td)
	rs = out.ResourceSpans().At(0)
	span = rs.ScopeSpans().At(0).Spans().At(0)
	alice := pseudonym("alice@example.com")
	checks := []struct{ field, got, want string }{
		{"resource", str(t, rs.Resource().Attributes(), "host.note"), "owner " + alice},
		{"scope", str(t, rs.ScopeSpans().At(0).Scope().Attributes(), "scope.note"), "ip 203.0.113.0"},
		{"name", span.Name(), "charge ************1111"},
		{"client.address", str(t, span.Attributes(), contract.ClientAddress), "198.51.100.0"},
		{"status", span.Status().Message(), "declined for card **** **** **** 4444"},
		{"event name", span.Events().At(0).Name(), "mail to " + alice},
		{"event attr", str(t, span.Events().At(0).Attributes(), contract.ExceptionMessage), "Bearer [REDACTED:credential] rejected"},
		{"link attr", str(t, span.Links().At(0).Attributes(), "link.note"), "iban DE****************3000"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %q, want %q", c.field, c.got, c.want)
		}
	}
}

func TestKeyRules(t *testing.T) {
	cfg := testConfig()
	cfg.AuditAttribute = "piisanitizer.findings"
	h := newHarness(t, cfg)
	ld := plog.NewLogs()
	lr := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords().AppendEmpty()
	a := lr.Attributes()
	a.PutStr(contract.CustomerEmail, " Alice@Example.com")
	a.PutStr(contract.CustomerID, "cus_8812")
	a.PutStr(contract.GAClientID, "1234567890.1700000000")
	a.PutStr("card.cvv", "737")
	a.PutInt("payment.card.exp_month", 12)
	a.PutStr("http.request.header.authorization", "Basic Ym9iOnNlY3JldA==")
	a.PutStr("Set-Cookie", "sid=abc")
	a.PutStr("password", "")
	a.PutInt("card.pan_int", 4111111111111111)
	a.PutStr(contract.OrderID, "ord_1234567890123452") // Luhn-valid digits, unknown IIN: untouched
	body := lr.Body().SetEmptyMap()
	card := body.PutEmptyMap("card")
	card.PutStr("CVC", "123")
	card.PutStr("last4", "4242")
	body.PutEmptySlice("notes").AppendEmpty().SetStr("reach me at alice@example.com")
	body.PutStr("json", `{"email":"alice@example.com","card":{"number":"4242424242424242"}}`)

	out := h.processLogs(t, ld)
	lr = out.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0)
	a = lr.Attributes()
	alice := pseudonym("alice@example.com")
	if got := str(t, a, contract.CustomerEmail); got != alice {
		t.Errorf("customer.email = %q, want the free-text pseudonym %q", got, alice)
	}
	if got := str(t, a, contract.CustomerID); got != pseudonym("cus_8812") {
		t.Errorf("customer.id = %q", got)
	}
	if got := str(t, a, contract.GAClientID); got != "1234567890.1700000000" {
		t.Errorf("ga.client_id changed to %q", got)
	}
	for _, k := range []string{"card.cvv", "payment.card.exp_month"} {
		if _, ok := a.Get(k); ok {
			t.Errorf("%s not removed", k)
		}
	}
	for _, k := range []string{"http.request.header.authorization", "Set-Cookie"} {
		if got := str(t, a, k); got != "[REDACTED:sensitive_key]" {
			t.Errorf("%s = %q", k, got)
		}
	}
	if got := str(t, a, "password"); got != "" {
		t.Errorf("empty password became %q", got)
	}
	if v, _ := a.Get("card.pan_int"); v.Type() != pcommon.ValueTypeStr || v.Str() != "************1111" {
		t.Errorf("int card number = %v", v.AsRaw())
	}
	if got := str(t, a, contract.OrderID); got != "ord_1234567890123452" {
		t.Errorf("order id changed to %q", got)
	}
	b := lr.Body().Map()
	cardOut, _ := b.Get("card")
	if _, ok := cardOut.Map().Get("CVC"); ok {
		t.Error("nested CVC not removed")
	}
	if got := str(t, cardOut.Map(), "last4"); got != "4242" {
		t.Errorf("last4 changed to %q", got)
	}
	notes, _ := b.Get("notes")
	if got := notes.Slice().At(0).Str(); got != "reach me at "+alice {
		t.Errorf("slice element = %q", got)
	}
	if got, want := str(t, b, "json"), `{"email":"`+alice+`","card":{"number":"************4242"}}`; got != want {
		t.Errorf("json body = %q, want %q", got, want)
	}
	// customer.email, customer.id, cvv, exp_month, authorization, cookie,
	// int pan, CVC, notes email, json email, json card.
	if got := str(t, a, "piisanitizer.findings"); got != "11" {
		t.Errorf("audit attribute = %s, want 11", got)
	}
}

func TestMetricsDataPointsAndExemplars(t *testing.T) {
	h := newHarness(t, testConfig())
	md := pmetric.NewMetrics()
	ms := md.ResourceMetrics().AppendEmpty().ScopeMetrics().AppendEmpty().Metrics()
	g := ms.AppendEmpty().SetEmptyGauge().DataPoints().AppendEmpty()
	g.Attributes().PutStr(contract.ClientAddress, "2001:db8:aaaa:bbbb::7")
	g.Exemplars().AppendEmpty().FilteredAttributes().PutStr("user", "bob@example.org")
	s := ms.AppendEmpty().SetEmptySum().DataPoints().AppendEmpty()
	s.Attributes().PutStr("note", "ssn 123-45-6789")
	hp := ms.AppendEmpty().SetEmptyHistogram().DataPoints().AppendEmpty()
	hp.Attributes().PutStr("k", "sk_live_abcdefghijklmnop")
	hp.Exemplars().AppendEmpty().FilteredAttributes().PutStr("ip", "203.0.113.200")
	ep := ms.AppendEmpty().SetEmptyExponentialHistogram().DataPoints().AppendEmpty()
	ep.Attributes().PutStr("phone", "+1 415 555 2671")
	ms.AppendEmpty().SetEmptySummary().DataPoints().AppendEmpty().Attributes().PutStr("u", "https://bob:pw@api.example.com/")

	out := h.processMetrics(t, md).ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics()
	checks := []struct{ got, want string }{
		{str(t, out.At(0).Gauge().DataPoints().At(0).Attributes(), contract.ClientAddress), "2001:db8:aaaa::"},
		{str(t, out.At(0).Gauge().DataPoints().At(0).Exemplars().At(0).FilteredAttributes(), "user"), pseudonym("bob@example.org")},
		{str(t, out.At(1).Sum().DataPoints().At(0).Attributes(), "note"), "ssn ***-**-6789"},
		{str(t, out.At(2).Histogram().DataPoints().At(0).Attributes(), "k"), "sk_live_****"},
		{str(t, out.At(2).Histogram().DataPoints().At(0).Exemplars().At(0).FilteredAttributes(), "ip"), "203.0.113.0"},
		{str(t, out.At(3).ExponentialHistogram().DataPoints().At(0).Attributes(), "phone"), "+* *** *** **71"},
		{str(t, out.At(4).Summary().DataPoints().At(0).Attributes(), "u"), "https://[REDACTED:url_userinfo]@api.example.com/"},
	}
	for i, c := range checks {
		if c.got != c.want {
			t.Errorf("check %d: got %q, want %q", i, c.got, c.want)
		}
	}
}

func TestSanitizingTwiceEqualsOnce(t *testing.T) {
	h := newHarness(t, testConfig())
	ld := plog.NewLogs()
	lr := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords().AppendEmpty()
	lr.Body().SetStr("card 4111 1111 1111 1111 ip 203.0.113.5 email a.b@example.com token=xyz Bearer 0123456789abcdef")
	lr.Attributes().PutStr(contract.CustomerEmail, "a.b@example.com")
	lr.Attributes().PutStr("cookie", "sid=1")
	var m plog.JSONMarshaler
	once := h.processLogs(t, ld)
	onceJSON, _ := m.MarshalLogs(once)
	twice := h.processLogs(t, once)
	twiceJSON, _ := m.MarshalLogs(twice)
	if string(onceJSON) != string(twiceJSON) {
		t.Fatalf("second pass changed output:\n%s\n%s", onceJSON, twiceJSON)
	}
	// card, ip, email, token, bearer in the body; customer.email and cookie.
	if v, _ := h.tel.GetMetric(metadata.FindingsMetric); sumFindings(v, "", "logs") != 7 {
		t.Errorf("second pass counted findings: total %d, want 7", sumFindings(v, "", "logs"))
	}
}

// sumFindings sums the findings counter for a detector ("" for all) and signal.
func sumFindings(m metricdata.Metrics, detector, signal string) int64 {
	sum, ok := m.Data.(metricdata.Sum[int64])
	if !ok {
		return 0
	}
	var n int64
	for _, dp := range sum.DataPoints {
		d, _ := dp.Attributes.Value(attribute.Key(metadata.AttributeDetector))
		s, _ := dp.Attributes.Value(attribute.Key(metadata.AttributeSignal))
		if (detector == "" || d.AsString() == detector) && s.AsString() == signal {
			n += dp.Value
		}
	}
	return n
}

func TestFindingsTelemetry(t *testing.T) {
	cfg := testConfig()
	cfg.CustomRules = []CustomRuleConfig{{Name: "order_token", Pattern: `otk_[A-Za-z0-9]{16}`, Action: ActionRedact}}
	h := newHarness(t, cfg)
	td := ptrace.NewTraces()
	span := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans().AppendEmpty()
	span.Attributes().PutStr("a", "4111111111111111 and 4242424242424242")
	span.Attributes().PutStr("b", "x@example.com otk_ABCDEFGHIJKLMNOP")
	span.Attributes().PutStr("clean", "nothing here 12:30")
	h.processTraces(t, td)
	ld := plog.NewLogs()
	ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords().AppendEmpty().Body().SetStr("4111111111111111")
	h.processLogs(t, ld)

	m, err := h.tel.GetMetric(metadata.FindingsMetric)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		detector, signal string
		want             int64
	}{
		{"pan", "traces", 2},
		{"email", "traces", 1},
		{"custom:order_token", "traces", 1},
		{"ip", "traces", 0},
		{"pan", "logs", 1},
		{"", "metrics", 0},
	} {
		if got := sumFindings(m, c.detector, c.signal); got != c.want {
			t.Errorf("%s/%s = %d, want %d", c.detector, c.signal, got, c.want)
		}
	}
	if got := str(t, h.tsink.AllTraces()[0].ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(0).Attributes(), "b"); !strings.HasSuffix(got, " [REDACTED:custom:order_token]") {
		t.Errorf("custom rule output %q", got)
	}
}

func TestRemoveActionDropsAttribute(t *testing.T) {
	cfg := testConfig()
	cfg.Detectors.PAN = ActionRemove
	h := newHarness(t, cfg)
	td := ptrace.NewTraces()
	span := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans().AppendEmpty()
	span.SetName("pay 4111111111111111")
	span.Attributes().PutStr("note", "card 4111111111111111")
	span.Attributes().PutStr("keep", "ok")
	out := h.processTraces(t, td).ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(0)
	if _, ok := out.Attributes().Get("note"); ok {
		t.Error("attribute with a card kept")
	}
	if out.Attributes().Len() != 1 || out.Name() != "pay [REDACTED:pan]" {
		t.Errorf("name %q, attrs %v", out.Name(), out.Attributes().AsRaw())
	}
}

func TestDevelopmentKeyWarnsWithoutLeaking(t *testing.T) {
	core, logs := observer.New(zap.WarnLevel)
	set := processortest.NewNopSettings(metadata.Type)
	set.Logger = zap.New(core)
	cfg := testConfig()
	cfg.HashKey = DevelopmentHashKey
	if _, err := NewFactory().CreateLogs(context.Background(), set, cfg, consumertest.NewNop()); err != nil {
		t.Fatal(err)
	}
	all := logs.All()
	if len(all) != 1 || !strings.Contains(all[0].Message, "DEVELOPMENT") {
		t.Fatalf("want one development-key warning, got %v", all)
	}
	if strings.Contains(all[0].Message, DevelopmentHashKey) {
		t.Error("warning prints the key")
	}
	// The same processor in the traces and metrics pipelines: still once.
	if _, err := NewFactory().CreateTraces(context.Background(), set, cfg, consumertest.NewNop()); err != nil {
		t.Fatal(err)
	}
	if _, err := NewFactory().CreateMetrics(context.Background(), set, cfg, consumertest.NewNop()); err != nil {
		t.Fatal(err)
	}
	if logs.Len() != 1 {
		t.Fatalf("want the warning once per configured processor, got %d", logs.Len())
	}
	logs.TakeAll()
	cfg = testConfig()
	cfg.HashKey = testKey
	if _, err := NewFactory().CreateLogs(context.Background(), set, cfg, consumertest.NewNop()); err != nil || logs.Len() != 0 {
		t.Fatalf("warning with a real key: %v %v", err, logs.All())
	}
}

// TestCleanBatchAllocatesNothingPerAttribute checks the zero-allocation goal:
// a clean batch of 20,000 attributes costs a constant handful of allocations
// (the per-batch state), none per span or attribute: on first sight, and
// once the scanner's cache holds the strings that repeat (it copies a clean
// string on its second sighting, once).
func TestCleanBatchAllocatesNothingPerAttribute(t *testing.T) {
	s, err := newSanitizer(testConfig(), processortest.NewNopSettings(metadata.Type))
	if err != nil {
		t.Fatal(err)
	}
	batch := benchBatch(false)
	ctx := context.Background()
	// Strings the cache copies: those seen twice in the batch.
	seen := map[string]int{}
	spans := batch.ResourceSpans().At(0).ScopeSpans().At(0).Spans()
	for i := 0; i < spans.Len(); i++ {
		spans.At(i).Attributes().Range(func(_ string, v pcommon.Value) bool {
			seen[v.Str()]++
			return true
		})
	}
	repeated := 0
	for _, n := range seen {
		if n > 1 {
			repeated++
		}
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, _ = s.processTraces(ctx, batch)
	runtime.ReadMemStats(&after)
	if n := after.Mallocs - before.Mallocs; n > 5+2*uint64(repeated) {
		t.Fatalf("%v allocations for a clean batch of %d attributes seen for the first time (%d repeated strings)", n, benchSpans*benchAttrs, repeated)
	}
	if n := testing.AllocsPerRun(5, func() { _, _ = s.processTraces(ctx, batch) }); n > 5 {
		t.Fatalf("%v allocations for a clean batch of %d attributes", n, benchSpans*benchAttrs)
	}
}

// Card numbers below 2^53 fit a double exactly, and exporters print a
// negative int's digits: both are card data as much as a positive int.
func TestNumericCardNumbers(t *testing.T) {
	h := newHarness(t, testConfig())
	ld := plog.NewLogs()
	lr := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords().AppendEmpty()
	a := lr.Attributes()
	a.PutDouble("card.as_double", 4111111111111111)
	a.PutInt("card.negative", -5555555555554444)
	a.PutDouble("latency", 1700000000000) // epoch ms: not a card, stays a double
	a.PutDouble("ratio", 0.25)
	lr.Body().SetDouble(4242424242424242)

	out := h.processLogs(t, ld)
	lr = out.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0)
	a = lr.Attributes()
	for k, want := range map[string]string{"card.as_double": "************1111", "card.negative": "-************4444"} {
		if v, _ := a.Get(k); v.Type() != pcommon.ValueTypeStr || v.Str() != want {
			t.Errorf("%s = %v, want %q", k, v.AsRaw(), want)
		}
	}
	if v, _ := a.Get("latency"); v.Type() != pcommon.ValueTypeDouble || v.Double() != 1700000000000 {
		t.Errorf("latency = %v, want the double untouched", v.AsRaw())
	}
	if v, _ := a.Get("ratio"); v.Double() != 0.25 {
		t.Errorf("ratio = %v", v.AsRaw())
	}
	if got := lr.Body().AsString(); got != "************4242" {
		t.Errorf("double body = %q", got)
	}
}

// Only our exact placeholders count as already sanitized: a secret behind
// something that merely starts like one is still redacted.
func TestKeyRuleValueStartingLikePlaceholder(t *testing.T) {
	h := newHarness(t, testConfig())
	ld := plog.NewLogs()
	a := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords().AppendEmpty().Attributes()
	a.PutStr("password", "[REDACTED] hunter2")
	a.PutStr("authorization", "[REDACTED:sensitive_key]")
	out := h.processLogs(t, ld)
	a = out.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0).Attributes()
	for _, k := range []string{"password", "authorization"} {
		if got := str(t, a, k); got != "[REDACTED:sensitive_key]" {
			t.Errorf("%s = %q", k, got)
		}
	}
}

// Key names as applications spell them: case, '-' or '_', camel case,
// prefixes. Card-security names match whole or as a dotted suffix only, so
// an everyday key ending in one of their words keeps its value.
func TestKeyRuleNameSpellings(t *testing.T) {
	s, err := newSanitizer(testConfig(), processortest.NewNopSettings(metadata.Type))
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]keyClass{
		"cardNumber":                        keySensitive,
		"card-number":                       keySensitive,
		"CARD_NUMBER":                       keySensitive,
		"x-card-number":                     keySensitive,
		"credit_card_number":                keySensitive,
		"creditCardNumber":                  keySensitive,
		"db_password":                       keySensitive,
		"userPassword":                      keySensitive,
		"http.request.header.x-api-key":     keySensitive,
		"X_API_KEY":                         keySensitive,
		"accessToken":                       keySensitive,
		"payment.card.cvv":                  keyCardSecurity,
		"CVV":                               keyCardSecurity,
		"token_expiry":                      keyNone,
		"http.response.status_code":         keyNone,
		"app.attr_00":                       keyNone,
		"expansion":                         keyNone,
		contract.GAClientID:                 keyAllow,
		"messaging.kafka.message.key":       keyNone,
		"http.request.header.authorization": keySensitive,
		"Customer.Email":                    keyPseudonymize,
		"customerEmail":                     keyPseudonymize,
		"CUSTOMER-EMAIL":                    keyPseudonymize,
		"app.customer_id":                   keyPseudonymize,
		"cardExpMonth":                      keyCardSecurity,
		"x_cvv":                             keyCardSecurity,
		"sms_security_code":                 keyNone,
		"user_pin_hint":                     keyNone,
		"next_page_token":                   keyNone,
		"NextToken":                         keyNone,
		"applicantSSN":                      keySSN,
		"billingPhoneNumber":                keyPhone,
		"customer.mobile":                   keyPhone,
		"phone.verified":                    keyNone,
		"customer":                          keyNone,
		"email":                             keyNone,
		// Whitespace separates words too: a key written for people or
		// with a stray space kept a raw id or secret before.
		"customer.id ":    keyPseudonymize,
		" customer.id":    keyPseudonymize,
		"Customer ID":     keyPseudonymize,
		"Card Number":     keySensitive,
		"card\tnumber":    keySensitive,
		"Authorization\r": keySensitive,
		"API Key":         keySensitive,
		"Token Expiry":    keyNone,
		"http route":      keyNone,
	} {
		if got := s.classify(k); got != want {
			t.Errorf("classify(%q) = %d, want %d", k, got, want)
		}
	}
}

// Above 2^53 a double rounds a 16–19 digit card number, but an exporter
// still prints its first 15–17 digits: such doubles with a card scheme's
// prefix are redacted; other large doubles stay numbers.
func TestRoundedCardDoubles(t *testing.T) {
	h := newHarness(t, testConfig())
	ld := plog.NewLogs()
	lr := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords().AppendEmpty()
	a := lr.Attributes()
	a.PutDouble("visa19", 4000000000000000006)    // prints 4e+18 digits
	a.PutDouble("troy", 9792000000000000+0.0)     // 16 digits above 2^53
	a.PutDouble("negative", -6212345678901234567) // UnionPay 19
	a.PutDouble("epoch_ns", 1.7e18)               // no card starts with 1
	a.PutDouble("huge", 4.5e20)                   // too many digits
	out := h.processLogs(t, ld)
	a = out.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0).Attributes()
	for _, k := range []string{"visa19", "troy", "negative"} {
		if got := str(t, a, k); got != "[REDACTED:pan]" {
			t.Errorf("%s = %q", k, got)
		}
	}
	for k, want := range map[string]float64{"epoch_ns": 1.7e18, "huge": 4.5e20} {
		if v, _ := a.Get(k); v.Type() != pcommon.ValueTypeDouble || v.Double() != want {
			t.Errorf("%s = %v, want the double untouched", k, v.AsRaw())
		}
	}
}

// Keys of maps inside values are data as often as names: an email or IP
// used as a key is sanitized like a value, and so is what it holds.
func TestNestedMapKeys(t *testing.T) {
	h := newHarness(t, testConfig())
	ld := plog.NewLogs()
	lr := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords().AppendEmpty()
	body := lr.Body().SetEmptyMap()
	visits := body.PutEmptyMap("visits")
	visits.PutInt("alice@example.com", 3)
	visits.PutStr("203.0.113.7", "card 4111111111111111")
	visits.PutEmptyMap("bob@example.org").PutStr("cvv", "123")
	visits.PutStr("ok", "fine")
	lr.Attributes().PutEmptyMap("blocked").PutBool("198.51.100.23", true)

	out := h.processLogs(t, ld)
	lr = out.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0)
	v, _ := lr.Body().Map().Get("visits")
	got := v.Map().AsRaw()
	want := map[string]any{
		pseudonym("alice@example.com"): int64(3),
		"203.0.113.0":                  "card ************1111",
		pseudonym("bob@example.org"):   map[string]any{},
		"ok":                           "fine",
	}
	if len(got) != len(want) {
		t.Fatalf("visits = %v, want %v", got, want)
	}
	for k, w := range want {
		if g, ok := got[k]; !ok || fmt.Sprint(g) != fmt.Sprint(w) {
			t.Errorf("visits[%q] = %v, want %v", k, g, w)
		}
	}
	blocked, _ := lr.Attributes().Get("blocked")
	if raw := blocked.Map().AsRaw(); len(raw) != 1 || raw["198.51.100.0"] != true {
		t.Errorf("blocked = %v", raw)
	}
}

// A phone or SSN key may hold a list (a customer's numbers, an int array
// from a typed SDK attribute): each element is read as its key says, as a
// single value would be. Free text scans only find a national number
// next to such a name, so the elements were left as sent.
func TestNamedNumbersInArrays(t *testing.T) {
	h := newHarness(t, testConfig())
	ld := plog.NewLogs()
	a := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords().AppendEmpty().Attributes()
	phones := a.PutEmptySlice("customer.phone_number")
	phones.AppendEmpty().SetStr("4155552671")
	phones.AppendEmpty().SetInt(4155552672)
	phones.AppendEmpty().SetStr("07700 900123")
	ssns := a.PutEmptySlice("ssn")
	ssns.AppendEmpty().SetStr("078051120")
	ssns.AppendEmpty().SetInt(78051121)
	nested := a.PutEmptySlice("mobile")
	nested.AppendEmpty().SetEmptySlice().AppendEmpty().SetStr("4155552673")

	out := h.processLogs(t, ld)
	a = out.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0).Attributes()
	once := a.AsRaw()
	again := h.processLogs(t, out).ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0).Attributes().AsRaw()
	if !reflect.DeepEqual(again, once) {
		t.Errorf("sanitizing again changed %v to %v", once, again)
	}
	for key, want := range map[string][]any{
		"customer.phone_number": {"********71", "********72", "***** ****23"},
		"ssn":                   {"*****1120", "*****1121"},
		"mobile":                {[]any{"********73"}},
	} {
		v, _ := a.Get(key)
		if got := v.AsRaw(); !reflect.DeepEqual(got, want) {
			t.Errorf("%s = %#v, want %#v", key, got, want)
		}
	}

	// with the remove action a list holding a phone number goes, as a
	// single one does
	cfg := testConfig()
	cfg.Detectors.Phone = ActionRemove
	ld = plog.NewLogs()
	a = ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords().AppendEmpty().Attributes()
	a.PutEmptySlice("phone").AppendEmpty().SetStr("4155552671")
	a.PutStr("keep", "ok")
	out = newHarness(t, cfg).processLogs(t, ld)
	if got := out.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0).Attributes().AsRaw(); !reflect.DeepEqual(got, map[string]any{"keep": "ok"}) {
		t.Errorf("attributes with remove = %v, want the phone list gone", got)
	}
}
