package sentryjson

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/getsentry/sentry-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var samples = []string{
	"", "x", "plain ascii", `quote " inside`, `back\slash`, "<b>&amp;</b>", "a<script>alert(1)</script>",
	"tab\tnew\nline\rcr\bbs\fff", "\x00\x01\x1f\x7f", "née ünïcode 日本語 💳", "\u2028\u2029", "mid\u2028dle",
	"\xff\xfe", "bad\xc3(", "trunc\xe6\x97", "\xed\xa0\x80 surrogate", "payment.charge", "*stripe.CardError",
}

type gen struct{ rng *rand.Rand }

func (g gen) str() string {
	if g.rng.IntN(3) > 0 {
		return samples[g.rng.IntN(len(samples))]
	}
	// Random bytes: any mix of ASCII, control characters, valid and
	// invalid UTF-8.
	b := make([]byte, g.rng.IntN(24))
	for i := range b {
		switch g.rng.IntN(4) {
		case 0:
			b[i] = byte(g.rng.IntN(0x20))
		case 1:
			b[i] = byte(0x80 + g.rng.IntN(0x80))
		default:
			b[i] = byte(0x20 + g.rng.IntN(0x60))
		}
	}
	if g.rng.IntN(4) == 0 {
		b = append(b, string([]rune{rune(g.rng.IntN(0x10FFFF))})...)
	}
	return string(b)
}

func (g gen) strs(maxLen int) []string {
	n := g.rng.IntN(maxLen+2) - 1
	if n < 0 {
		return nil
	}
	s := make([]string, n)
	for i := range s {
		s[i] = g.str()
	}
	return s
}

func (g gen) stringMap(maxLen int) map[string]string {
	n := g.rng.IntN(maxLen+2) - 1
	if n < 0 {
		return nil
	}
	m := make(map[string]string, n)
	for range n {
		m[g.str()] = g.str()
	}
	return m
}

func (g gen) float() float64 {
	switch g.rng.IntN(8) {
	case 0:
		return 0
	case 1:
		return math.Copysign(0, -1)
	case 2:
		return []float64{1e21, 1e20, 1e-6, 1e-7, 123456789e-15, math.MaxFloat64, math.SmallestNonzeroFloat64, 0.1, 49.99}[g.rng.IntN(9)]
	default:
		return g.rng.NormFloat64() * math.Pow(10, float64(g.rng.IntN(60)-30))
	}
}

type odd struct {
	A int    `json:"a"`
	B string `json:"b,omitempty"`
}

func (g gen) value(depth int) any {
	switch g.rng.IntN(18) {
	case 0:
		return nil
	case 1, 2, 3:
		return g.str()
	case 4:
		return g.rng.IntN(2) == 0
	case 5:
		return g.rng.IntN(1<<20) - 1<<19
	case 6:
		return g.rng.Int64() - math.MaxInt64/2
	case 7:
		return int32(g.rng.Int32())
	case 8:
		return g.rng.Uint64()
	case 9:
		return g.float()
	case 10:
		return float32(g.float())
	case 11:
		if depth > 2 {
			return g.str()
		}
		return g.anyMap(depth+1, 4)
	case 12:
		if depth > 2 {
			return nil
		}
		n := g.rng.IntN(5) - 1
		if n < 0 {
			return []any(nil)
		}
		s := make([]any, n)
		for i := range s {
			s[i] = g.value(depth + 1)
		}
		return s
	case 13:
		return g.stringMap(3)
	case 14:
		return g.strs(3)
	case 15:
		// Types written by json.Marshal.
		return []any{json.Number("12.50"), time.Unix(g.rng.Int64N(4e9), g.rng.Int64N(1e9)).UTC(), odd{A: g.rng.IntN(9), B: g.str()}, []int{1, 2}, uint8(7), &odd{A: 1}, map[string]int{"b": 1, "a": 2}}[g.rng.IntN(7)]
	case 16:
		if g.rng.IntN(40) == 0 {
			return math.NaN() // json.Marshal fails: so must the encoding
		}
		return g.str()
	}
	return int64(g.rng.IntN(100000))
}

func (g gen) anyMap(depth, maxLen int) map[string]any {
	n := g.rng.IntN(maxLen+2) - 1
	if n < 0 {
		return nil
	}
	m := make(map[string]any, n)
	for range n {
		m[g.str()] = g.value(depth)
	}
	return m
}

func (g gen) time() time.Time {
	switch g.rng.IntN(10) {
	case 0:
		return time.Time{}
	case 1:
		return time.Date(2026, 11, 28, 14, 3, 7, 240000000, time.FixedZone("", 2*3600+30*60))
	case 2:
		if g.rng.IntN(10) == 0 {
			return time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) // MarshalJSON fails
		}
	}
	return time.Unix(1_700_000_000+g.rng.Int64N(1e8), g.rng.Int64N(1e9)*int64(g.rng.IntN(2))).UTC()
}

func (g gen) frame() sentry.Frame {
	f := sentry.Frame{Function: g.str(), Module: g.str(), Filename: g.str(), AbsPath: g.str(), InApp: g.rng.IntN(2) == 0}
	if g.rng.IntN(2) == 0 {
		f.Lineno = g.rng.IntN(5000)
	}
	if g.rng.IntN(4) == 0 {
		f.Symbol, f.Colno, f.ContextLine, f.Platform = g.str(), g.rng.IntN(200), g.str(), "go"
		f.PreContext, f.PostContext = g.strs(3), g.strs(3)
		f.Vars = g.anyMap(1, 3)
		f.Package, f.InstructionAddr, f.AddrMode, f.SymbolAddr, f.ImageAddr = g.str(), g.str(), g.str(), g.str(), g.str()
		f.StackStart = g.rng.IntN(2) == 0
	}
	return f
}

func (g gen) exception() sentry.Exception {
	e := sentry.Exception{Type: g.str(), Value: g.str()}
	if g.rng.IntN(4) == 0 {
		e.Module, e.ThreadID = g.str(), g.rng.Uint64N(3)
	}
	if g.rng.IntN(3) > 0 {
		st := &sentry.Stacktrace{}
		if n := g.rng.IntN(8) - 1; n >= 0 {
			st.Frames = make([]sentry.Frame, n)
			for i := range st.Frames {
				st.Frames[i] = g.frame()
			}
		}
		if g.rng.IntN(5) == 0 {
			st.FramesOmitted = []uint{uint(g.rng.IntN(9)), uint(g.rng.IntN(99))}
		}
		e.Stacktrace = st
	}
	if g.rng.IntN(3) > 0 {
		m := &sentry.Mechanism{Type: g.str(), ExceptionID: g.rng.IntN(3)}
		if g.rng.IntN(3) == 0 {
			handled, parent := g.rng.IntN(2) == 0, g.rng.IntN(3)
			m.Description, m.HelpLink, m.Source = g.str(), g.str(), g.str()
			m.Handled, m.ParentID, m.IsExceptionGroup = &handled, &parent, g.rng.IntN(2) == 0
			m.Data = g.anyMap(1, 3)
		}
		e.Mechanism = m
	}
	return e
}

func (g gen) span() *sentry.Span {
	if g.rng.IntN(20) == 0 {
		return nil
	}
	s := &sentry.Span{Op: g.str(), Description: g.str(), Status: sentry.SpanStatus(g.rng.IntN(20)), StartTime: g.time(), EndTime: g.time()}
	for i := range s.TraceID {
		s.TraceID[i] = byte(g.rng.IntN(256))
	}
	for i := range s.SpanID {
		s.SpanID[i] = byte(g.rng.IntN(256))
	}
	if g.rng.IntN(3) > 0 {
		s.ParentSpanID = sentry.SpanID{1, 2, 3, byte(g.rng.IntN(256))}
	}
	if g.rng.IntN(3) == 0 {
		s.Name, s.Origin = g.str(), sentry.SpanOrigin(g.str())
		s.Tags = g.stringMap(3)
		s.Data = g.anyMap(1, 3)
	}
	return s
}

// event is a random event of the shapes the exporter builds (error and
// transaction events through the SDK's processing), with every field of
// those shapes random, and now and then a field only the SDK writes.
func (g gen) event() *sentry.Event {
	ev := &sentry.Event{
		EventID:     sentry.EventID(g.str()),
		Level:       sentry.Level([]string{"", "error", "fatal", "warning", "info", "debug"}[g.rng.IntN(6)]),
		Environment: g.str(), Release: g.str(), Platform: g.str(), ServerName: g.str(),
		Transaction: g.str(), Logger: g.str(), Message: g.str(), Dist: g.str(),
		Timestamp: g.time(),
		Sdk:       sentry.SdkInfo{Name: g.str(), Version: g.str(), Integrations: g.strs(2)},
	}
	if g.rng.IntN(2) == 0 {
		ev.Sdk.Packages = []sentry.SdkPackage{{Name: "sentry-go", Version: sentry.SDKVersion}, {Name: g.str()}}
	}
	ev.Tags = g.stringMap(8)
	ev.Fingerprint = g.strs(4)
	if n := g.rng.IntN(5) - 1; n >= 0 {
		ev.Contexts = make(map[string]sentry.Context, n)
		for range n {
			ev.Contexts[[]string{"trace", "payment", "security", "raw_stacktrace", g.str()}[g.rng.IntN(5)]] = g.anyMap(0, 8)
		}
	}
	switch g.rng.IntN(4) {
	case 0:
		ev.User = sentry.User{ID: g.str()}
	case 1:
		ev.User = sentry.User{ID: g.str(), Email: g.str(), IPAddress: g.str(), Username: g.str(), Name: g.str(), Data: g.stringMap(3)}
	}
	if g.rng.IntN(5) == 0 {
		ev.Modules = g.stringMap(3)
	}
	if n := g.rng.IntN(4) - 1; n >= 0 {
		ev.Exception = make([]sentry.Exception, n)
		for i := range ev.Exception {
			ev.Exception[i] = g.exception()
		}
	}
	// Transaction fields are set on error events too: the SDK leaves them
	// out there.
	if g.rng.IntN(2) == 0 {
		ev.StartTime = g.time()
		if n := g.rng.IntN(6) - 1; n >= 0 {
			ev.Spans = make([]*sentry.Span, n)
			for i := range ev.Spans {
				ev.Spans[i] = g.span()
			}
		}
		if g.rng.IntN(3) > 0 {
			ev.TransactionInfo = &sentry.TransactionInfo{Source: sentry.TransactionSource([]string{"", "custom", "route", g.str()}[g.rng.IntN(4)])}
		}
	}
	if g.rng.IntN(2) == 0 {
		ev.Type = "transaction"
	}
	// Fields the exporter never sets: the SDK writes these events.
	switch g.rng.IntN(30) {
	case 0:
		ev.Breadcrumbs = []*sentry.Breadcrumb{{Message: g.str(), Timestamp: g.time()}}
	case 1:
		ev.Request = &sentry.Request{URL: g.str(), Headers: g.stringMap(2)}
	case 2:
		ev.Threads = []sentry.Thread{{ID: g.str()}}
	case 3:
		ev.DebugMeta = &sentry.DebugMeta{Images: []sentry.DebugMetaImage{{Type: g.str()}}}
	case 4:
		ev.Type = g.str()
	case 5:
		ev.Attachments = []*sentry.Attachment{{Filename: g.str()}} // not in the item
	}
	return ev
}

// TestEncodeItemMatchesSDK: for random events, EncodeItem is byte for byte
// the SDK's event item (and fails where the SDK fails), and AppendEvent
// writes the large majority itself.
func TestEncodeItemMatchesSDK(t *testing.T) {
	g := gen{rng: rand.New(rand.NewPCG(18, 7))}
	var direct, fallback, failed, transactions int
	for i := range 20000 {
		ev := g.event()
		want, wantErr := sdkItem(ev)
		got, err := EncodeItem(ev)
		if wantErr != nil {
			require.Error(t, err, "event %d: %#v", i, ev)
			failed++
			continue
		}
		require.NoError(t, err, "event %d: %#v", i, ev)
		require.Equal(t, string(want), string(got), "event %d: %#v", i, ev)
		if _, ok := AppendEvent(nil, ev); ok {
			direct++
			if ev.Type == "transaction" {
				transactions++
			}
		} else {
			fallback++
		}
	}
	t.Logf("direct %d (transactions %d), left to the SDK %d, failing in both %d", direct, transactions, fallback, failed)
	assert.Greater(t, direct, 15000)
	assert.Greater(t, transactions, 5000)
	assert.Greater(t, fallback, 500)
	assert.Greater(t, failed, 100)
}

// TestAppendStringMatchesJSON covers every byte value and the runes
// encoding/json escapes.
func TestAppendStringMatchesJSON(t *testing.T) {
	var all []string
	for c := range 256 {
		all = append(all, string([]byte{byte(c)}), "a"+string([]byte{byte(c)})+"z")
	}
	all = append(all, "\u2028", "\u2029", "\u2027\u202a", "\U0010FFFF", "\xf4\x90\x80\x80", "\xc0\xaf", "\xe2\x80", "é\xe2\x80\xa8é")
	all = append(all, samples...)
	for _, s := range all {
		want, err := json.Marshal(s)
		require.NoError(t, err)
		assert.Equal(t, string(want), string(AppendString(nil, s)), "%q", s)
	}
}

// TestAppendFloatMatchesJSON checks the number format at its cut-offs.
func TestAppendFloatMatchesJSON(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 20000 {
		f := math.Float64frombits(rng.Uint64())
		if i%2 == 0 {
			f = rng.NormFloat64() * math.Pow(10, float64(rng.IntN(50)-25))
		}
		for _, v := range []any{f, float32(f)} {
			want, wantErr := json.Marshal(v)
			got, ok := appendValue(nil, v)
			if wantErr != nil {
				assert.False(t, ok, "%v", v)
				continue
			}
			require.True(t, ok, "%v", v)
			require.Equal(t, string(want), string(got), "%v (%T)", v, v)
		}
	}
	for _, f := range []float64{1e21, 1e21 - 65536, 1e-6, 1e-7, 9.999999e-7, 5e-324, 1.7976931348623157e308} {
		want, _ := json.Marshal(f)
		got, _ := appendValue(nil, f)
		assert.Equal(t, string(want), string(got), strconv.FormatFloat(f, 'g', -1, 64))
	}
}

// BenchmarkEncodeItem is one error event as the exporter builds it (tags,
// payment and trace contexts, an exception with a 5-frame Go stack),
// encoded by the SDK (how the exporter encoded it before) and by
// EncodeItem.
func BenchmarkEncodeItem(b *testing.B) {
	for _, tc := range []struct {
		name string
		ev   *sentry.Event
	}{{"error", benchErrorEvent()}, {"transaction", benchTransaction()}} {
		b.Run(tc.name+"/sdk", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := sdkItem(tc.ev); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(tc.name+"/sentryjson", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := EncodeItem(tc.ev); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func benchErrorEvent() *sentry.Event {
	frames := make([]sentry.Frame, 5)
	for i := range frames {
		frames[i] = sentry.Frame{
			Function: "(*Charger).Charge", Module: "github.com/acme/checkout/payment", Filename: "charge.go",
			AbsPath: "/src/checkout/payment/charge.go", Lineno: 87 + i, InApp: i > 2, Platform: "go",
		}
	}
	return &sentry.Event{
		Contexts: map[string]sentry.Context{
			"payment": {"amount": "49.99", "amount_minor": int64(4999), "currency": "USD", "error_type": "card_declined", "method": "card", "order_id": "ord_8812", "provider": "stripe"},
			"trace":   {"op": "client", "parent_span_id": "53995c3f42cd8ad8", "span_id": "00f067aa0ba902b7", "status": "internal_error", "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736"},
		},
		Environment: "production", EventID: "462cde4925967317ba208f417600f3b1",
		Fingerprint: []string{"checkout", "card_declined", "*stripe.CardError"}, Level: sentry.LevelError,
		Platform: "go", Release: "1.4.2", ServerName: "checkout-7d9f",
		Sdk: sentry.SdkInfo{
			Name: "otelcol-payments.sentryexporter", Version: sentry.SDKVersion, Integrations: []string{},
			Packages: []sentry.SdkPackage{{Name: "sentry-go", Version: sentry.SDKVersion}},
		},
		Tags: map[string]string{
			"http.response.status_code": "402", "http.route": "/api/checkout", "payment.error_type": "card_declined",
			"payment.method": "card", "payment.provider": "stripe", "service.name": "checkout",
		},
		Timestamp: time.Date(2026, 11, 28, 14, 3, 7, 240000000, time.UTC), Transaction: "payment.charge",
		User: sentry.User{ID: "pii_5f2c9a0d1e7b4c33"}, Logger: "checkout/payments",
		Exception: []sentry.Exception{{
			Type: "*stripe.CardError", Value: "Your card was declined.",
			Stacktrace: &sentry.Stacktrace{Frames: frames}, Mechanism: &sentry.Mechanism{Type: "opentelemetry"},
		}},
	}
}

func benchTransaction() *sentry.Event {
	start := time.Date(2026, 11, 28, 14, 3, 7, 0, time.UTC)
	ev := &sentry.Event{
		Type: "transaction", EventID: "562cde4925967317ba208f417600f3b1", Transaction: "POST /api/checkout",
		Contexts:    map[string]sentry.Context{"trace": {"op": "http.server", "span_id": "00f067aa0ba902b7", "status": "ok", "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736"}},
		Environment: "production", Release: "1.4.2", Platform: "go", ServerName: "checkout-7d9f", Level: sentry.LevelInfo,
		Sdk:       sentry.SdkInfo{Name: "otelcol-payments.sentryexporter", Version: sentry.SDKVersion, Packages: []sentry.SdkPackage{{Name: "sentry-go", Version: sentry.SDKVersion}}},
		Tags:      map[string]string{"service.name": "checkout", "http.route": "/api/checkout"},
		StartTime: start, Timestamp: start.Add(180 * time.Millisecond),
		TransactionInfo: &sentry.TransactionInfo{Source: sentry.SourceRoute},
	}
	for i := range 8 {
		ev.Spans = append(ev.Spans, &sentry.Span{
			TraceID: sentry.TraceID{0x4b, 0xf9}, SpanID: sentry.SpanID{byte(i + 1)}, ParentSpanID: sentry.SpanID{0, 0xf0},
			Op: "db", Description: "SELECT orders", Status: sentry.SpanStatusOK, StartTime: start.Add(time.Duration(i) * time.Millisecond), EndTime: start.Add(time.Duration(i+5) * time.Millisecond),
		})
	}
	return ev
}

// TestKnownSDKFields fails when a sentry-go upgrade adds, renames or
// re-tags a field of the types AppendEvent writes: the encoder (and
// AppendEvent's list of fields left to the SDK) must then be reviewed.
func TestKnownSDKFields(t *testing.T) {
	for typ, want := range map[reflect.Type]string{
		reflect.TypeFor[sentry.Event](): "breadcrumbs,omitempty contexts,omitempty dist,omitempty environment,omitempty event_id,omitempty " +
			"fingerprint,omitempty level,omitempty message,omitempty platform,omitempty release,omitempty sdk,omitempty " +
			"server_name,omitempty threads,omitempty tags,omitempty timestamp,omitzero transaction,omitempty user,omitempty " +
			"logger,omitempty modules,omitempty request,omitempty exception,omitempty debug_meta,omitempty - type,omitempty " +
			"start_timestamp,omitzero spans,omitempty transaction_info,omitempty check_in,omitempty monitor_config,omitempty - -",
		reflect.TypeFor[sentry.SdkInfo]():    "name,omitempty version,omitempty integrations,omitempty packages,omitempty",
		reflect.TypeFor[sentry.SdkPackage](): "name,omitempty version,omitempty",
		reflect.TypeFor[sentry.User]():       "id,omitempty email,omitempty ip_address,omitempty username,omitempty name,omitempty data,omitempty",
		reflect.TypeFor[sentry.Exception]():  "type,omitempty value,omitempty module,omitempty thread_id,omitempty stacktrace,omitempty mechanism,omitempty",
		reflect.TypeFor[sentry.Stacktrace](): "frames,omitempty frames_omitted,omitempty",
		reflect.TypeFor[sentry.Mechanism]():  "type description,omitempty help_link,omitempty source,omitempty handled,omitempty parent_id,omitempty exception_id is_exception_group,omitempty data,omitempty",
		reflect.TypeFor[sentry.Frame](): "function,omitempty symbol,omitempty module,omitempty filename,omitempty abs_path,omitempty lineno,omitempty " +
			"colno,omitempty pre_context,omitempty context_line,omitempty post_context,omitempty in_app vars,omitempty package,omitempty " +
			"instruction_addr,omitempty addr_mode,omitempty symbol_addr,omitempty image_addr,omitempty platform,omitempty stack_start,omitempty",
		reflect.TypeFor[sentry.Span](): "trace_id span_id parent_span_id,omitzero name,omitempty op,omitempty description,omitempty status,omitempty " +
			"tags,omitempty start_timestamp,omitzero timestamp,omitzero data,omitempty - - origin,omitempty",
		reflect.TypeFor[sentry.TransactionInfo](): "source,omitempty",
	} {
		var tags []string
		for f := range typ.Fields() {
			if f.IsExported() {
				tags = append(tags, f.Tag.Get("json"))
			}
		}
		assert.Equal(t, want, strings.Join(tags, " "), typ.String())
	}
}
