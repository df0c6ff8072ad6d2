package paymentbi_test

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/otelcol-payments/otelcol-payments/internal/contract"
	"github.com/otelcol-payments/otelcol-payments/internal/e2e"
	"github.com/otelcol-payments/otelcol-payments/internal/sim"
	"github.com/otelcol-payments/otelcol-payments/processor/paymentbi"
	"github.com/otelcol-payments/otelcol-payments/processor/piisanitizer"
)

var ledgerRates = map[string]string{"EUR": "1.08", "GBP": "1.27", "JPY": "0.0067", "KWD": "3.25"}

// TestLedger runs the payment simulator through an in-process collector
// (otlp → piisanitizer → paymentbi processor → paymentbi connector →
// capture) and compares every exported business figure with the
// simulator's ground truth: money to the minor unit, counts exactly.
func TestLedger(t *testing.T) {
	if testing.Short() {
		t.Skip("ledger test sends over 100,000 events")
	}
	addr := e2e.FreeAddr(t)
	var rates []string
	for _, cur := range slices.Sorted(maps.Keys(ledgerRates)) {
		rates = append(rates, fmt.Sprintf("%s: %q", cur, ledgerRates[cur]))
	}
	bi := `
    reporting_currency: USD
    exchange_rates: {` + strings.Join(rates, ", ") + `}
    timezone: America/Denver
    customer_state:
      expected_customers: 1000000`
	factories := e2e.BaseFactories()
	factories = e2e.WithProcessors(factories, piisanitizer.NewFactory(), paymentbi.NewFactory())
	factories = e2e.WithConnectors(factories, paymentbi.NewConnectorFactory())
	col := e2e.Start(t, factories, `
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: `+addr+`
processors:
  piisanitizer:
    hash_key: ledger-test-key-0123456789abcdef0123456789
  paymentbi:`+bi+`
connectors:
  paymentbi:`+bi+`
    daily_revenue_target: 50000
    monthly_revenue_target: 1500000
    emit_interval: 100ms
exporters:
  capture/paymentbi-ledger: {}
  debug:
    verbosity: basic
service:
  pipelines:
    traces:
      receivers: [otlp]
      processors: [piisanitizer, paymentbi]
      exporters: [paymentbi]
    logs:
      receivers: [otlp]
      processors: [piisanitizer, paymentbi]
      exporters: [paymentbi]
    metrics/business:
      receivers: [paymentbi]
      exporters: [capture/paymentbi-ledger]
    metrics/app:
      receivers: [otlp]
      exporters: [debug]
`)
	ledger, err := sim.Run(context.Background(), sim.Config{
		Endpoint:        addr,
		Insecure:        true,
		Seed:            42,
		Count:           36000,
		Currencies:      []string{"USD", "EUR", "GBP", "JPY", "KWD"},
		DuplicateRate:   0.05,
		SpanEventShare:  0.1,
		RefundRate:      0.04,
		CardTestingRate: 0.002,
		Outage:          &sim.Outage{FromSession: 1000, Sessions: 500, FailureRate: 0.5},
		MetricInterval:  time.Hour,
	})
	if err != nil {
		t.Fatal(err)
	}
	if ledger.Events < 100_000 || ledger.DuplicatesSent == 0 || ledger.Attempts[contract.StatusFailed] == 0 {
		t.Fatalf("simulation too small: %d events, %d duplicates, %d failures", ledger.Events, ledger.DuplicatesSent, ledger.Attempts[contract.StatusFailed])
	}
	// The pipelines are synchronous: every export the simulator saw succeed
	// has been counted. Two more emissions make every series live (a new
	// one is emitted at 0 first); shutting down emits the figures once more.
	capture := e2e.Sinks("paymentbi-ledger")
	emitted := len(capture.Metrics.AllMetrics())
	capture.WaitFor(t, 30*time.Second, "two emissions after the run", func(c *e2e.Capture) bool {
		return len(c.Metrics.AllMetrics()) >= emitted+2
	})
	if err := col.Shutdown(); err != nil {
		t.Fatal(err)
	}
	all := e2e.Sinks("paymentbi-ledger").Metrics.AllMetrics()
	if len(all) == 0 {
		t.Fatal("no business metrics exported")
	}
	got := index(all[len(all)-1])
	t.Logf("%d sessions, %d events (%d duplicates, %d as span events), %d spans, %d log records",
		ledger.Sessions, ledger.Events, ledger.DuplicatesSent, ledger.EventsAsSpanEvents, ledger.Spans, ledger.LogRecords)

	// revenue per currency and method, exact in minor units
	for cur, byMethod := range ledger.RevenueMinor {
		for method, want := range byMethod {
			if have := got.minor(t, "payment.revenue", cur, contract.PaymentCurrency, cur, contract.PaymentMethod, method); have != want {
				t.Errorf("revenue %s %s = %s, ledger %s", cur, method,
					contract.FormatMinor(have, cur), contract.FormatMinor(want, cur))
			}
		}
	}
	if n := len(got.points("payment.revenue")); n != countSeries(ledger.RevenueMinor) {
		t.Errorf("%d revenue series exported, ledger has %d currency/method pairs", n, countSeries(ledger.RevenueMinor))
	}
	var ordersTotal int64
	for cur, want := range ledger.Orders {
		ordersTotal += want
		if have := got.count("payment.orders", contract.PaymentCurrency, cur); have != want {
			t.Errorf("orders %s = %d, ledger %d", cur, have, want)
		}
	}
	if have := got.count("checkout.funnel.events", contract.CheckoutStep, "purchase"); have != ordersTotal {
		t.Errorf("purchase funnel step = %d, ledger orders %d", have, ordersTotal)
	}
	// reporting currency: each exported series is converted once, so the
	// total is the ledger's converted total up to half a cent per series
	var wantReporting, haveReporting float64
	for cur, byMethod := range ledger.RevenueMinor {
		for _, minor := range byMethod {
			wantReporting += contract.MinorToMajorFloat(minor, cur) * rate(cur)
		}
	}
	for _, dp := range got.points("payment.revenue.reporting") {
		haveReporting += dp.DoubleValue()
	}
	if tolerance := 0.005 * float64(len(got.points("payment.revenue.reporting"))); abs(haveReporting-wantReporting) > tolerance+1e-6 {
		t.Errorf("reporting revenue = %.2f USD, ledger converts to %.4f", haveReporting, wantReporting)
	}

	// attempts by outcome and failures by error type
	for status, want := range ledger.Attempts {
		if have := got.count("payment.attempts", contract.PaymentStatus, status); have != want {
			t.Errorf("attempts %s = %d, ledger %d", status, have, want)
		}
	}
	for errType, want := range ledger.FailuresByErrorType {
		if have := got.count("payment.attempts", contract.PaymentErrorType, errType); have != want {
			t.Errorf("failures %s = %d, ledger %d", errType, have, want)
		}
		// every failed charge also sent a payment.failed event
		if have := got.count("payment.failures", contract.PaymentErrorType, errType); have != want {
			t.Errorf("payment.failed events %s = %d, ledger %d", errType, have, want)
		}
	}

	// funnel steps
	for i, step := range contract.FunnelSteps {
		name := strings.TrimPrefix(step, "ecommerce.")
		if have, want := got.count("checkout.funnel.events", contract.CheckoutStep, name), ledger.Funnel[step]; have != want {
			t.Errorf("funnel step %d %s = %d, ledger %d", i, name, have, want)
		}
	}

	// refunds per currency
	for cur, want := range ledger.Refunds {
		if have := got.count("payment.refunds", contract.PaymentCurrency, cur); have != want.Count {
			t.Errorf("refunds %s = %d, ledger %d", cur, have, want.Count)
		}
		if have := got.minor(t, "payment.refunds.amount", cur, contract.PaymentCurrency, cur); have != want.Minor {
			t.Errorf("refunded %s = %s, ledger %s", cur, contract.FormatMinor(have, cur), contract.FormatMinor(want.Minor, cur))
		}
	}

	// customers: segments, distinct count; duplicates dropped; nothing invalid
	for seg, want := range ledger.PurchasesBySegment {
		if have := got.count("customer.orders", contract.CustomerSegment, seg); have != want {
			t.Errorf("%s customer orders = %d, ledger %d", seg, have, want)
		}
	}
	if have, want := got.count("customer.distinct"), ledger.PurchasesBySegment[contract.SegmentNew]; have != want {
		t.Errorf("distinct customers = %d, ledger %d", have, want)
	}
	if have := got.count("paymentbi.duplicate_events"); have != ledger.DuplicatesSent {
		t.Errorf("duplicates dropped = %d, ledger sent %d", have, ledger.DuplicatesSent)
	}
	if have := got.count("paymentbi.invalid_events"); have != 0 {
		t.Errorf("%d valid simulator events counted invalid: %v", have, got.attrs("paymentbi.invalid_events"))
	}
}

func rate(cur string) float64 {
	if cur == "USD" {
		return 1
	}
	var f float64
	_, _ = fmt.Sscan(ledgerRates[cur], &f)
	return f
}

func abs(f float64) float64 {
	if f < 0 {
		return -f
	}
	return f
}

func countSeries(m map[string]map[string]int64) int {
	n := 0
	for _, byMethod := range m {
		n += len(byMethod)
	}
	return n
}

// exported is one metrics batch indexed by metric name.
type exported map[string]pmetric.Metric

func index(md pmetric.Metrics) exported {
	out := exported{}
	rms := md.ResourceMetrics()
	for i := 0; i < rms.Len(); i++ {
		sms := rms.At(i).ScopeMetrics()
		for j := 0; j < sms.Len(); j++ {
			ms := sms.At(j).Metrics()
			for k := 0; k < ms.Len(); k++ {
				out[ms.At(k).Name()] = ms.At(k)
			}
		}
	}
	return out
}

func (e exported) points(name string) []pmetric.NumberDataPoint {
	m, ok := e[name]
	if !ok {
		return nil
	}
	var dps pmetric.NumberDataPointSlice
	switch m.Type() {
	case pmetric.MetricTypeSum:
		dps = m.Sum().DataPoints()
	case pmetric.MetricTypeGauge:
		dps = m.Gauge().DataPoints()
	default:
		return nil
	}
	out := make([]pmetric.NumberDataPoint, dps.Len())
	for i := range out {
		out[i] = dps.At(i)
	}
	return out
}

// matching returns the data points whose attributes include filter.
func (e exported) matching(name string, filter ...string) []pmetric.NumberDataPoint {
	var out []pmetric.NumberDataPoint
	for _, dp := range e.points(name) {
		if hasAttrs(dp.Attributes(), filter) {
			out = append(out, dp)
		}
	}
	return out
}

func hasAttrs(attrs pcommon.Map, filter []string) bool {
	for i := 0; i+1 < len(filter); i += 2 {
		v, ok := attrs.Get(filter[i])
		if !ok || v.AsString() != filter[i+1] {
			return false
		}
	}
	return true
}

// count sums the integer points of name matching filter.
func (e exported) count(name string, filter ...string) int64 {
	var n int64
	for _, dp := range e.matching(name, filter...) {
		n += dp.IntValue()
	}
	return n
}

// minor sums money points converted back to exact minor units of cur.
func (e exported) minor(t *testing.T, name, cur string, filter ...string) int64 {
	t.Helper()
	exp, _ := contract.CurrencyExponent(cur)
	var n int64
	for _, dp := range e.matching(name, filter...) {
		m, err := contract.MajorFloatToMinor(dp.DoubleValue(), exp)
		if err != nil {
			t.Fatalf("%s: %v is not an amount of %s: %v", name, dp.DoubleValue(), cur, err)
		}
		n += m
	}
	return n
}

func (e exported) attrs(name string) []map[string]any {
	var out []map[string]any
	for _, dp := range e.points(name) {
		a := dp.Attributes().AsRaw()
		a["value"] = dp.IntValue()
		out = append(out, a)
	}
	return out
}
