package sim

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/otelcol-payments/otelcol-payments/internal/contract"
)

func testConfig(endpoint string, count int) Config {
	return Config{
		Endpoint:        endpoint,
		Insecure:        true,
		Seed:            42,
		Count:           count,
		DuplicateRate:   0.05,
		SpanEventShare:  0.2,
		RefundRate:      0.08,
		CardTestingRate: 0.01,
		Outage:          &Outage{FromSession: count / 3, Sessions: count / 10, FailureRate: 0.7, SlowPayments: 3 * time.Second},
		// Only the shutdown export, so the metric sink holds one cumulative snapshot.
		MetricInterval: time.Hour,
	}
}

// TestRunMatchesContractAndLedger sends a run through the collector's OTLP
// receiver, checks every record against the contract, recomputes the ledger
// from what arrived and compares it with what Run reported.
func TestRunMatchesContractAndLedger(t *testing.T) {
	endpoint, got := startReceiver(t)
	ledger, err := Run(context.Background(), testConfig(endpoint, 3000))
	require.NoError(t, err)

	rc := newRecomputer(t)
	rc.spans(got.traces.AllTraces())
	rc.logs(got.logs.AllLogs())
	recomputed := rc.ledgerFor(ledger)
	assert.Greater(t, len(rc.initialStock), 20, "items checked")
	assert.Equal(t, ledger, recomputed, "ledger must equal what the receiver got")

	rc.checkCoverage()
	rc.checkDocumented()
	checkMetrics(t, got.metrics.AllMetrics(), rc.serverSpans, rc.dbSpans)

	path := filepath.Join(t.TempDir(), "ledger.json")
	require.NoError(t, ledger.WriteFile(path))
	back, err := ReadLedger(path)
	require.NoError(t, err)
	assert.Equal(t, ledger, back)
}

func TestRunIsDeterministicForASeed(t *testing.T) {
	run := func(seed int64) (*Ledger, []string) {
		endpoint, got := startReceiver(t)
		cfg := testConfig(endpoint, 400)
		cfg.Seed = seed
		l, err := Run(context.Background(), cfg)
		require.NoError(t, err)
		for i := range l.Purchases { // wall-clock times: the one difference
			l.Purchases[i].At = time.Time{}
		}
		return l, canonicalTelemetry(got)
	}
	l1, tel1 := run(7)
	l2, tel2 := run(7)
	assert.Equal(t, l1, l2)
	require.Len(t, tel2, len(tel1))
	for i := range tel1 {
		require.Equal(t, tel1[i], tel2[i], "record %d differs between two runs with one seed", i)
	}
	l3, _ := run(8)
	assert.NotEqual(t, l1.RevenueMinor, l3.RevenueMinor, "another seed gives other traffic")
}

func TestOutageFailsPayments(t *testing.T) {
	endpoint, _ := startReceiver(t)
	cfg := Config{
		Endpoint: endpoint, Insecure: true, Seed: 3, Count: 300, MetricInterval: time.Hour,
		Outage: &Outage{Sessions: 300, FailureRate: 1},
	}
	l, err := Run(context.Background(), cfg)
	require.NoError(t, err)
	assert.Zero(t, l.Attempts[contract.StatusSucceeded])
	assert.Positive(t, l.Attempts[contract.StatusFailed])
	assert.Equal(t, l.Attempts[contract.StatusFailed], l.FailuresByErrorType[contract.ErrProcessingError])
	assert.Empty(t, l.RevenueMinor)
}

func TestRunFailsWhenNothingIsDelivered(t *testing.T) {
	// A port nobody listens on: the exporters fail, and Run must say so
	// instead of reporting a ledger for data that went nowhere.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	endpoint := l.Addr().String()
	require.NoError(t, l.Close())
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err = Run(ctx, Config{Endpoint: endpoint, Insecure: true, Count: 5, ShutdownTimeout: 2 * time.Second})
	require.Error(t, err)
}

func TestConfigValidation(t *testing.T) {
	_, err := Run(context.Background(), Config{
		Endpoint: "", Count: 0, Rate: -1, DuplicateRate: 2, Currencies: []string{"XXQ"},
		Outage: &Outage{FailureRate: 1.5}, Countries: []string{"BR", "uk"}, Abandonment: &Abandonment{Step: contract.EventPurchase, Drop: 0.5},
	})
	require.Error(t, err)
	for _, field := range []string{"endpoint", "count or duration", "rate", "duplicate_rate", "currencies", "outage.failure_rate", `countries: "uk"`, "abandonment"} {
		assert.Contains(t, err.Error(), field)
	}
}

func TestOutageWindow(t *testing.T) {
	byTime := &Outage{Start: time.Minute, Length: time.Minute}
	assert.False(t, byTime.inWindow(0, 59*time.Second))
	assert.True(t, byTime.inWindow(0, time.Minute))
	assert.False(t, byTime.inWindow(0, 2*time.Minute))
	bySession := &Outage{FromSession: 10, Sessions: 5, Start: 0, Length: time.Hour}
	assert.False(t, bySession.inWindow(9, time.Second))
	assert.True(t, bySession.inWindow(14, time.Second))
	assert.False(t, bySession.inWindow(15, time.Second))
	assert.False(t, (*Outage)(nil).inWindow(0, 0))
}

func TestPricesAndPANs(t *testing.T) {
	assert.Equal(t, int64(4999), priceIn(4999, "USD"))
	assert.Equal(t, int64(7500), priceIn(4999, "JPY"), "JPY is whole yen, rounded to tens")
	assert.Equal(t, int64(15347), priceIn(4999, "KWD"), "KWD keeps 3 decimals")
	for _, pan := range testPANs {
		assert.True(t, luhnValid(pan), pan)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 100 {
		pan := luhnPAN(rng)
		assert.Len(t, pan, 16)
		assert.True(t, luhnValid(pan), pan)
	}
}

func luhnValid(pan string) bool {
	return len(pan) > 1 && luhnCheckDigit(pan[:len(pan)-1]) == pan[len(pan)-1]-'0'
}

// recomputer rebuilds a ledger from received telemetry, checking the
// contract on the way.
type recomputer struct {
	t                     *testing.T
	l                     *Ledger
	orders                map[string]bool
	buyers                map[string]bool
	serverSpans, dbSpans  int64
	exceptionLogs         int64
	partialRefunds        int64
	amountForms           map[string]int
	keys                  map[string]bool
	currencies            map[string]bool
	ipv6, panInMsg, email bool
	initialStock          map[string]int64
}

func newRecomputer(t *testing.T) *recomputer {
	return &recomputer{
		t: t, l: newLedger(0), orders: map[string]bool{}, buyers: map[string]bool{},
		amountForms: map[string]int{}, currencies: map[string]bool{}, keys: map[string]bool{}, initialStock: map[string]int64{},
	}
}

var paymentSpanNames = map[string]bool{
	contract.SpanCheckoutSessionCreate: true, contract.SpanPaymentIntentCreate: true, contract.SpanPaymentCharge: true,
	contract.SpanPaymentRefund: true, contract.SpanInventoryCheck: true, contract.SpanEmailSend: true,
}

func (r *recomputer) spans(all []ptrace.Traces) {
	t := r.t
	for _, td := range all {
		for i := 0; i < td.ResourceSpans().Len(); i++ {
			rs := td.ResourceSpans().At(i)
			svc, _ := rs.Resource().Attributes().Get(contract.ServiceName)
			require.Equal(t, "payment-service", svc.Str())
			for j := 0; j < rs.ScopeSpans().Len(); j++ {
				ss := rs.ScopeSpans().At(j).Spans()
				for k := 0; k < ss.Len(); k++ {
					r.span(ss.At(k))
				}
			}
		}
	}
}

func (r *recomputer) span(sp ptrace.Span) {
	t := r.t
	r.l.Spans++
	attrs := sp.Attributes()
	if sp.Name() == contract.SpanInventoryCheck {
		if item := str(attrs, contract.InventoryItemID); !hasKeyInt(r.initialStock, item) {
			r.initialStock[item] = intAttr(t, attrs, contract.InventoryAvailable)
		}
	}
	r.noteKeys(attrs)
	switch {
	case sp.Kind() == ptrace.SpanKindServer:
		r.serverSpans++
		method, route := str(attrs, contract.HTTPRequestMethod), str(attrs, contract.HTTPRoute)
		require.Equal(t, method+" "+route, sp.Name(), "HTTP server span name per semantic conventions")
		status, ok := attrs.Get(contract.HTTPResponseStatus)
		require.True(t, ok)
		require.NotEmpty(t, str(attrs, contract.ClientAddress))
		if sp.Name() == "GET /products/{id}" {
			r.l.Sessions++
		}
		if sp.Name() == "POST /cart/items" && status.Int() == 409 {
			r.l.OutOfStock++
		}
		r.ipv6 = r.ipv6 || strings.Contains(str(attrs, contract.ClientAddress), ":")
	case hasKey(attrs, contract.DBSystemName):
		r.dbSpans++
		require.Equal(t, str(attrs, contract.DBOperationName)+" "+str(attrs, contract.DBCollectionName), sp.Name())
		if sp.EndTimestamp().AsTime().Sub(sp.StartTimestamp().AsTime()) >= 800*time.Millisecond {
			r.l.SlowQueries++
		}
	default:
		require.True(t, paymentSpanNames[sp.Name()], "span name %q is not in the contract", sp.Name())
	}
	if hasKey(attrs, contract.PaymentCurrency) {
		_, err := contract.AmountFrom(attrs)
		require.NoError(t, err, "span %s", sp.Name())
	}
	if sp.Name() == contract.SpanPaymentRefund {
		r.checkRefundItems(attrs)
	}
	if sp.Name() == contract.SpanPaymentCharge {
		status := str(attrs, contract.PaymentStatus)
		r.l.Attempts[status]++
		if status == contract.StatusFailed {
			r.l.FailuresByErrorType[str(attrs, contract.PaymentErrorType)]++
			require.Equal(t, ptrace.StatusCodeError, sp.Status().Code())
		}
	}
	for i := 0; i < sp.Events().Len(); i++ {
		ev := sp.Events().At(i)
		r.noteKeys(ev.Attributes())
		if ev.Name() == contract.ExceptionEventName {
			r.l.Exceptions++
			r.checkException(ev.Attributes())
			continue
		}
		r.l.EventsAsSpanEvents++
		r.event(ev.Name(), ev.Attributes(), true, ev.Timestamp())
	}
}

func (r *recomputer) logs(all []plog.Logs) {
	t := r.t
	for _, ld := range all {
		for i := 0; i < ld.ResourceLogs().Len(); i++ {
			sl := ld.ResourceLogs().At(i).ScopeLogs()
			for j := 0; j < sl.Len(); j++ {
				lrs := sl.At(j).LogRecords()
				for k := 0; k < lrs.Len(); k++ {
					lr := lrs.At(k)
					r.l.LogRecords++
					r.noteKeys(lr.Attributes())
					name := str(lr.Attributes(), contract.EventName)
					if name == "" {
						r.exceptionLogs++
						require.Equal(t, plog.SeverityNumberError, lr.SeverityNumber())
						require.Equal(t, str(lr.Attributes(), contract.ExceptionMessage), lr.Body().Str())
						require.False(t, lr.TraceID().IsEmpty(), "exception logs are correlated with the span")
						r.checkException(lr.Attributes())
						continue
					}
					require.Equal(t, name, lr.EventName(), "OTLP event_name mirrors the event.name attribute")
					r.email = r.email || regexp.MustCompile(`[a-z0-9._+]+@[a-z.]+\.(com|net|org|example)`).MatchString(lr.Body().Str())
					r.event(name, lr.Attributes(), false, lr.Timestamp())
				}
			}
		}
	}
}

var panRE = regexp.MustCompile(`\b\d{4}[ -]?\d{4}[ -]?\d{4}[ -]?\d{3,4}\b|\b\d{15}\b`)

func (r *recomputer) checkException(attrs pcommon.Map) {
	for _, k := range []string{contract.ExceptionType, contract.ExceptionMessage, contract.ExceptionStacktrace} {
		require.NotEmpty(r.t, str(attrs, k), k)
	}
	if m := panRE.FindString(str(attrs, contract.ExceptionMessage)); m != "" {
		digits := strings.NewReplacer(" ", "", "-", "").Replace(m)
		require.True(r.t, luhnValid(digits), "PAN %s in an exception message passes Luhn", m)
		r.panInMsg = true
	}
}

func (r *recomputer) event(name string, attrs pcommon.Map, fromSpan bool, at pcommon.Timestamp) {
	t := r.t
	require.True(t, contract.IsBusinessEvent(name), "unknown event name %q", name)
	r.l.Events++
	switch name {
	case contract.EventInventory:
		avail, threshold := intAttr(t, attrs, contract.InventoryAvailable), intAttr(t, attrs, contract.InventoryLowStockThreshold)
		require.GreaterOrEqual(t, avail, int64(0))
		if avail <= threshold {
			r.l.LowStockUpdates++
		}
		// the first time an item sold out (span events come before logs here)
		if item, when := str(attrs, contract.InventoryItemID), at.AsTime(); avail == 0 &&
			(r.l.SoldOut[item].IsZero() || when.Before(r.l.SoldOut[item])) {
			r.l.SoldOut[item] = when
		}
		r.l.Funnel[name]++
		return
	case contract.EventSecurity:
		r.l.SecurityIncidents[str(attrs, contract.SecurityIncidentType)]++
		r.l.Funnel[name]++
		return
	}
	for _, k := range []string{contract.CustomerID, contract.CustomerEmail, contract.ClientAddress} {
		require.NotEmpty(t, str(attrs, k), "%s on %s", k, name)
	}
	money, err := contract.AmountFrom(attrs)
	require.NoError(t, err, "amount of %s", name)
	r.currencies[money.Currency] = true
	r.noteAmountForm(attrs)
	if v, ok := attrs.Get(contract.OrderItems); ok {
		if fromSpan {
			require.Equal(t, pcommon.ValueTypeStr, v.Type(), "order.items is a JSON string on span events")
		} else {
			require.Equal(t, pcommon.ValueTypeSlice, v.Type(), "order.items is a list on log records")
		}
		items, err := contract.ParseItems(v, money.Currency)
		require.NoError(t, err)
		require.NotEmpty(t, items)
		if name == contract.EventPurchase {
			var sum int64
			for _, it := range items {
				sum += it.PriceMinor * it.Quantity
			}
			tax, err := contract.ParseMajorValue(mustGet(t, attrs, contract.OrderTax), money.Currency)
			require.NoError(t, err)
			ship, err := contract.ParseMajorValue(mustGet(t, attrs, contract.OrderShipping), money.Currency)
			require.NoError(t, err)
			require.Equal(t, money.Minor, sum+tax+ship, "purchase amount = items + tax + shipping")
		}
	}
	switch name {
	case contract.EventPurchase:
		id := str(attrs, contract.OrderID)
		require.NotEmpty(t, id)
		if r.orders[id] {
			r.l.DuplicatesSent++
			return
		}
		r.orders[id] = true
		r.l.addRevenue(money.Currency, str(attrs, contract.PaymentMethod), money.Minor)
		cust := str(attrs, contract.CustomerID)
		if r.buyers[cust] {
			r.l.PurchasesBySegment[contract.SegmentReturning]++
		} else {
			r.l.PurchasesBySegment[contract.SegmentNew]++
		}
		r.buyers[cust] = true
	case contract.EventRefund:
		full, ok := attrs.Get(contract.PaymentRefundFull)
		require.True(t, ok)
		r.checkRefundItems(attrs)
		r.l.addRefund(money.Currency, money.Minor, full.Bool())
	case contract.EventPaymentFailed:
		require.NotEmpty(t, str(attrs, contract.PaymentErrorType))
	}
	r.l.Funnel[name]++
}

// checkRefundItems: a partial refund (event or span) lists the refunded
// items, and they add up to the refund amount; a full refund lists none.
func (r *recomputer) checkRefundItems(attrs pcommon.Map) {
	t := r.t
	money, err := contract.AmountFrom(attrs)
	require.NoError(t, err)
	v, hasItems := attrs.Get(contract.OrderItems)
	if full, _ := attrs.Get(contract.PaymentRefundFull); full.Bool() {
		require.False(t, hasItems, "a full refund lists no items")
		return
	}
	r.partialRefunds++
	require.True(t, hasItems, "a partial refund lists the refunded items")
	items, err := contract.ParseItems(v, money.Currency)
	require.NoError(t, err)
	sum, err := contract.ItemsTotal(items)
	require.NoError(t, err)
	require.Equal(t, money.Minor, sum, "partial refund amount = refunded items")
}

func (r *recomputer) noteKeys(m pcommon.Map) {
	for k := range m.All() {
		r.keys[k] = true
	}
}

// checkDocumented asserts every attribute key the simulator sent is in
// docs/conventions.md, so the simulator emits only what is documented.
func (r *recomputer) checkDocumented() {
	doc, err := os.ReadFile("../../docs/conventions.md")
	require.NoError(r.t, err)
	require.Greater(r.t, len(r.keys), 30)
	for k := range r.keys {
		assert.Contains(r.t, string(doc), "`"+k+"`", "attribute %s is sent but not documented", k)
	}
}

func (r *recomputer) noteAmountForm(attrs pcommon.Map) {
	major, hasMajor := attrs.Get(contract.PaymentAmount)
	_, hasMinor := attrs.Get(contract.PaymentAmountMinor)
	switch {
	case hasMajor && hasMinor:
		r.amountForms["both"]++
	case hasMinor:
		r.amountForms["minor"]++
	default:
		r.amountForms["major_"+major.Type().String()]++
	}
}

// ledgerFor is the recomputed ledger to compare with the one Run reported
// (sent): its seed, and its initial stock once every item's first
// inventory.check agrees (an item never put in a cart has none).
func (r *recomputer) ledgerFor(sent *Ledger) *Ledger {
	require.Equal(r.t, r.l.Exceptions, r.exceptionLogs, "each exception is a span event and a log record")
	for item, stock := range r.initialStock {
		assert.Equal(r.t, sent.InitialStock[item], stock, "initial stock of %s", item)
	}
	r.l.Seed, r.l.InitialStock = sent.Seed, sent.InitialStock
	// Segments and purchases need the order in which the shop saw its
	// events (a view's customer is returning after an earlier purchase),
	// which traces and logs arriving apart do not keep: paymentbi's
	// ledger tests check them through the pipeline instead.
	r.l.Segments, r.l.Purchases = sent.Segments, sent.Purchases
	return r.l
}

// checkCoverage asserts the run exercised what the simulator promises.
func (r *recomputer) checkCoverage() {
	t, l := r.t, r.l
	for _, form := range []string{"both", "minor", "major_Double", "major_Int", "major_Str"} {
		assert.Positive(t, r.amountForms[form], "amount form %s", form)
	}
	for _, cur := range DefaultCurrencies {
		assert.True(t, r.currencies[cur], cur)
	}
	for _, step := range contract.FunnelSteps {
		assert.Positive(t, l.Funnel[step], step)
	}
	for i := 1; i < len(contract.FunnelSteps); i++ {
		assert.Less(t, l.Funnel[contract.FunnelSteps[i]], l.Funnel[contract.FunnelSteps[i-1]], "funnel drops off")
	}
	assert.Positive(t, l.PurchasesBySegment[contract.SegmentReturning])
	assert.Positive(t, l.DuplicatesSent)
	assert.Positive(t, l.EventsAsSpanEvents)
	assert.Positive(t, l.SecurityIncidents["card_testing"])
	assert.Positive(t, l.LowStockUpdates)
	assert.Positive(t, l.SlowQueries)
	assert.Positive(t, l.OutOfStock, "inventory runs out")
	assert.Positive(t, l.Funnel[contract.EventRefund])
	assert.Positive(t, r.partialRefunds, "partial refunds with items")
	for _, rt := range l.Refunds {
		assert.Equal(t, rt.Count, rt.Full+rt.Partial)
	}
	assert.Greater(t, len(l.FailuresByErrorType), 5, "several error types")
	assert.True(t, r.ipv6, "IPv6 client addresses")
	assert.True(t, r.panInMsg, "card numbers inside exception messages")
	assert.True(t, r.email, "e-mails in event bodies")
}

// checkMetrics compares the cumulative histogram counts with the spans and
// checks that metric attributes stay low-cardinality.
func checkMetrics(t *testing.T, all []pmetric.Metrics, serverSpans, dbSpans int64) {
	allowed := map[string]map[string]bool{
		"http.server.request.duration": {contract.HTTPRequestMethod: true, contract.HTTPRoute: true, contract.HTTPResponseStatus: true, contract.ErrorType: true},
		"db.client.operation.duration": {contract.DBSystemName: true, contract.DBOperationName: true, contract.DBCollectionName: true},
	}
	counts := map[string]int64{}
	for _, md := range all {
		for i := 0; i < md.ResourceMetrics().Len(); i++ {
			sms := md.ResourceMetrics().At(i).ScopeMetrics()
			for j := 0; j < sms.Len(); j++ {
				ms := sms.At(j).Metrics()
				for k := 0; k < ms.Len(); k++ {
					m := ms.At(k)
					keys, ok := allowed[m.Name()]
					require.True(t, ok, "unexpected metric %s", m.Name())
					dps := m.Histogram().DataPoints()
					for d := 0; d < dps.Len(); d++ {
						dps.At(d).Attributes().Range(func(k string, _ pcommon.Value) bool {
							assert.True(t, keys[k], "attribute %s on %s", k, m.Name())
							return true
						})
						counts[m.Name()] += int64(dps.At(d).Count())
					}
				}
			}
		}
	}
	assert.Equal(t, serverSpans, counts["http.server.request.duration"])
	assert.Equal(t, dbSpans, counts["db.client.operation.duration"])
}

// canonicalTelemetry renders received spans and logs without timestamps,
// sorted, for comparing runs.
func canonicalTelemetry(s *sinks) []string {
	var out []string
	for _, td := range s.traces.AllTraces() {
		for i := 0; i < td.ResourceSpans().Len(); i++ {
			sss := td.ResourceSpans().At(i).ScopeSpans()
			for j := 0; j < sss.Len(); j++ {
				spans := sss.At(j).Spans()
				for k := 0; k < spans.Len(); k++ {
					sp := spans.At(k)
					var evs []string
					for e := 0; e < sp.Events().Len(); e++ {
						evs = append(evs, fmt.Sprint(sp.Events().At(e).Name(), sp.Events().At(e).Attributes().AsRaw()))
					}
					out = append(out, fmt.Sprint("span ", sp.TraceID(), sp.SpanID(), sp.ParentSpanID(), sp.Name(), sp.Attributes().AsRaw(), evs,
						sp.EndTimestamp().AsTime().Sub(sp.StartTimestamp().AsTime())))
				}
			}
		}
	}
	for _, ld := range s.logs.AllLogs() {
		for i := 0; i < ld.ResourceLogs().Len(); i++ {
			sls := ld.ResourceLogs().At(i).ScopeLogs()
			for j := 0; j < sls.Len(); j++ {
				lrs := sls.At(j).LogRecords()
				for k := 0; k < lrs.Len(); k++ {
					lr := lrs.At(k)
					out = append(out, fmt.Sprint("log ", lr.TraceID(), lr.SpanID(), lr.SeverityNumber(), lr.Body().AsString(), lr.Attributes().AsRaw()))
				}
			}
		}
	}
	sort.Strings(out)
	return out
}

func str(m pcommon.Map, k string) string {
	if v, ok := m.Get(k); ok {
		return v.AsString()
	}
	return ""
}

func hasKeyInt(m map[string]int64, k string) bool {
	_, ok := m[k]
	return ok
}

func hasKey(m pcommon.Map, k string) bool {
	_, ok := m.Get(k)
	return ok
}

func mustGet(t *testing.T, m pcommon.Map, k string) pcommon.Value {
	v, ok := m.Get(k)
	require.True(t, ok, "missing %s", k)
	return v
}

func intAttr(t *testing.T, m pcommon.Map, k string) int64 {
	v := mustGet(t, m, k)
	require.Equal(t, pcommon.ValueTypeInt, v.Type(), k)
	return v.Int()
}

// TestCancelFlushesWhatWasSent stops an unbounded run through its context:
// Run must still flush, and its ledger must describe exactly what arrived.
func TestCancelFlushesWhatWasSent(t *testing.T) {
	endpoint, got := startReceiver(t)
	// Cancelled once the first spans arrived, not after a fixed time: on a
	// loaded machine setting up the SDK alone can take longer than any
	// short timeout. The outer timeout only bounds a broken run.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	go func() {
		select {
		case <-got.firstSpans:
			cancel()
		case <-ctx.Done():
		}
	}()
	cfg := testConfig(endpoint, 0)
	cfg.Duration = time.Hour
	cfg.Rate = 2000
	ledger, err := Run(ctx, cfg)
	require.ErrorIs(t, err, context.Canceled)
	require.NotNil(t, ledger)
	require.Positive(t, ledger.Sessions)

	rc := newRecomputer(t)
	rc.spans(got.traces.AllTraces())
	rc.logs(got.logs.AllLogs())
	recomputed := rc.ledgerFor(ledger)
	assert.Equal(t, ledger, recomputed)
}
