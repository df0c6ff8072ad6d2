package engine

import (
	"math"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-payments/otelcol-payments/internal/contract"
)

const (
	cur, meth, prov = contract.PaymentCurrency, contract.PaymentMethod, contract.PaymentProvider
)

func TestRevenueIsExactPerCurrency(t *testing.T) {
	e, _ := newTestEngine(t)
	// 0.1 + 0.2 as doubles, a decimal string, minor units, JPY and KWD
	e.ObserveLogs(bg, logs(
		purchase("o1", "USD", 0.1),
		purchase("o2", "USD", 0.2),
		purchase("o3", "usd", "19.99"),
		purchase("o4", "JPY", int64(1500)),
		purchase("o5", "KWD", "1.250"),
		purchase("o6", "EUR", 10.0, contract.PaymentAmountMinor, int64(1234), contract.PaymentMethod, "paypal"),
	))
	ms := collect(e)
	checks := []struct {
		currency, method string
		revenue          float64
		orders           float64
	}{
		{"USD", "card", 20.29, 3},
		{"JPY", "card", 1500, 1},
		{"KWD", "card", 1.25, 1},
		{"EUR", "paypal", 12.34, 1},
	}
	for _, c := range checks {
		if got := value(t, ms, MetricRevenue, cur, c.currency, meth, c.method, prov, "stripe"); got != c.revenue {
			t.Errorf("revenue %s = %v, want %v", c.currency, got, c.revenue)
		}
		if got := value(t, ms, MetricOrders, cur, c.currency, meth, c.method, prov, "stripe"); got != c.orders {
			t.Errorf("orders %s = %v, want %v", c.currency, got, c.orders)
		}
	}
	// reporting: 1500 JPY * 0.0067 = 10.05; 1.250 KWD * 3.25 = 4.0625 -> 4.06; 12.34 EUR * 1.08 = 13.3272 -> 13.33
	rep := contract.PaymentReportingCurrency
	if got := value(t, ms, MetricRevenueReporting, cur, "JPY", meth, "card", prov, "stripe", rep, "USD"); got != 10.05 {
		t.Errorf("JPY in USD = %v", got)
	}
	if got := value(t, ms, MetricRevenueReporting, cur, "EUR", meth, "paypal", prov, "stripe", rep, "USD"); got != 13.33 {
		t.Errorf("EUR in USD = %v", got)
	}
	// daily revenue sums the converted currencies: 20.29 + 10.05 + 4.06 + 13.33
	if got := value(t, ms, MetricRevenueDaily, rep, "USD"); got != 47.73 {
		t.Errorf("daily = %v, want 47.73", got)
	}
	if got := value(t, ms, MetricOrderValueAverage, cur, "USD"); math.Abs(got-20.29/3) > 1e-9 {
		t.Errorf("average order value USD = %v", got)
	}
	if got := value(t, ms, MetricFunnelEvents, contract.CheckoutStep, "purchase"); got != 6 {
		t.Errorf("purchase funnel step = %v", got)
	}
}

func TestRevenueAccumulatesWithoutFloatDrift(t *testing.T) {
	e, _ := newTestEngine(t)
	for i := 0; i < 1000; i++ {
		e.ObserveLogs(bg, logs(purchase(string(rune('a'+i%26))+time.Duration(i).String(), "USD", 0.1)))
	}
	if got := value(t, collect(e), MetricRevenue, cur, "USD", meth, "card", prov, "stripe"); got != 100 {
		t.Fatalf("1000 x 0.10 = %v, want exactly 100", got)
	}
}

func TestBadInputIsCountedNotSummed(t *testing.T) {
	tests := []struct {
		name   string
		record map[string]any
		reason string
	}{
		{"nan", purchase("b1", "USD", math.NaN()), "nan_amount"},
		{"inf", purchase("b2", "USD", math.Inf(1)), "infinite_amount"},
		{"negative", purchase("b3", "USD", -5.0), "negative_amount"},
		{"negative string", purchase("b4", "USD", "-5"), "negative_amount"},
		{"non numeric", purchase("b5", "USD", "ten"), "non_numeric_amount"},
		{"bool", purchase("b6", "USD", true), "non_numeric_amount"},
		{"too precise", purchase("b7", "JPY", "10.5"), "amount_precision"},
		{"overflow", purchase("b8", "USD", "99999999999999999999"), "amount_overflow"},
		{"overflow minor", purchase("b9", "USD", 1.0, contract.PaymentAmountMinor, "99999999999999999999"), "amount_overflow"},
		{"missing currency", purchase("b10", "", 5.0), "missing_currency"},
		{"unknown currency", purchase("b11", "XYZ", 5.0), "unknown_currency"},
		{"no rate", purchase("b12", "CHF", 5.0), "no_exchange_rate"},
		{"missing amount", map[string]any{contract.EventName: contract.EventPurchase, cur: "USD"}, "missing_amount"},
		{"malformed items", map[string]any{contract.EventName: contract.EventPurchase, cur: "USD", contract.OrderItems: "{"}, "malformed_items"},
		{"refund nan", map[string]any{contract.EventName: contract.EventRefund, cur: "USD", contract.PaymentAmount: math.NaN()}, "nan_amount"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, _ := newTestEngine(t)
			e.ObserveLogs(bg, logs(tt.record, purchase("good", "USD", 1.0)))
			ms := collect(e)
			name, _ := tt.record[contract.EventName].(string)
			if got := value(t, ms, MetricInvalidEvents, AttrReason, tt.reason, contract.EventName, name); got != 1 {
				t.Errorf("invalid[%s] = %v; all: %s", tt.reason, got, dump(ms, MetricInvalidEvents))
			}
			// the good purchase next to it is counted, the bad one nowhere
			if got := pointCount(ms, MetricRevenue); got != 1 {
				t.Errorf("revenue series = %d: %s", got, dump(ms, MetricRevenue))
			}
			if got := value(t, ms, MetricRevenue, cur, "USD", meth, "card", prov, "stripe"); got != 1 {
				t.Errorf("revenue = %v, want only the good purchase", got)
			}
			if got := value(t, ms, MetricFunnelEvents, contract.CheckoutStep, "purchase"); got != 1 {
				t.Errorf("purchases in funnel = %v", got)
			}
			if pointCount(ms, MetricRefunds) != 0 {
				t.Errorf("invalid refund counted")
			}
		})
	}
}

func TestAmountFromItems(t *testing.T) {
	e, _ := newTestEngine(t)
	e.ObserveLogs(bg, logs(map[string]any{
		contract.EventName: contract.EventPurchase, contract.OrderID: "i1", cur: "USD",
		contract.OrderItems: []any{
			map[string]any{contract.ItemID: "sku1", contract.ItemPrice: 9.99, contract.ItemQuantity: int64(3)},
			map[string]any{contract.ItemID: "sku2", contract.ItemPriceMinor: int64(500)},
		},
		contract.OrderTax: "2.50", contract.OrderShipping: 4.0,
	}))
	// 3 x 9.99 + 5.00 + 2.50 + 4.00
	if got := value(t, collect(e), MetricRevenue, cur, "USD", meth, Unknown, prov, Unknown); got != 41.47 {
		t.Fatalf("revenue from items = %v, want 41.47", got)
	}
}

func TestDuplicatePurchaseCountsOnce(t *testing.T) {
	e, clock := newTestEngine(t)
	p := purchase("o1", "USD", 10.0, contract.CustomerID, "h:c1")
	e.ObserveLogs(bg, logs(p, p))
	e.ObserveTraces(bg, traces(span{name: "checkout", events: map[string]map[string]any{contract.EventPurchase: p}}))
	ms := collect(e)
	if got := value(t, ms, MetricRevenue, cur, "USD", meth, "card", prov, "stripe"); got != 10 {
		t.Errorf("revenue = %v, want 10", got)
	}
	if got := value(t, ms, MetricDuplicateEvents, contract.EventName, contract.EventPurchase); got != 2 {
		t.Errorf("duplicates = %v, want 2", got)
	}
	if got := value(t, ms, MetricCustomerOrders, contract.CustomerSegment, "new"); got != 1 {
		t.Errorf("new customer orders = %v", got)
	}
	// after the window the same order id is a new delivery
	clock.Advance(time.Hour + time.Second)
	e.ObserveLogs(bg, logs(p))
	if got := value(t, collect(e), MetricOrders, cur, "USD", meth, "card", prov, "stripe"); got != 2 {
		t.Errorf("orders after window = %v, want 2", got)
	}
}

func TestDedupBound(t *testing.T) {
	d := newDedup(time.Hour, 3)
	now := time.Unix(1000, 0)
	for i := uint64(1); i <= 4; i++ {
		d.add(i, 0, now)
	}
	if d.len() != 3 {
		t.Fatalf("len = %d, want bound 3", d.len())
	}
	if _, ok := d.lookup(1, now); ok {
		t.Error("oldest key survived eviction")
	}
	if _, ok := d.lookup(4, now); !ok {
		t.Error("newest key missing")
	}
	if _, ok := d.lookup(4, now.Add(time.Hour)); ok {
		t.Error("key outlived the window")
	}
	if d.len() != 0 {
		t.Errorf("len after window = %d", d.len())
	}
}

func TestNewAndReturningCustomers(t *testing.T) {
	e, _ := newTestEngine(t)
	e.ObserveLogs(bg, logs(
		purchase("o1", "USD", 10.0, contract.CustomerID, "h:alice"),
		purchase("o2", "USD", 30.0, contract.CustomerID, "h:alice"),
		purchase("o3", "EUR", 100.0, contract.CustomerEmail, "h:bob"),
		purchase("o4", "USD", 5.0),
	))
	ms := collect(e)
	for seg, want := range map[string]float64{"new": 2, "returning": 1, Unknown: 1} {
		if got := value(t, ms, MetricCustomerOrders, contract.CustomerSegment, seg); got != want {
			t.Errorf("%s orders = %v, want %v", seg, got, want)
		}
	}
	if got := value(t, ms, MetricCustomerDistinct); got != 2 {
		t.Errorf("distinct = %v", got)
	}
	// (10 + 30 + 108) USD over 2 customers
	if got := value(t, ms, MetricLifetimeValue, contract.PaymentReportingCurrency, "USD"); got != 74 {
		t.Errorf("lifetime value = %v, want 74", got)
	}
}

func TestUpstreamSegmentIsKept(t *testing.T) {
	e, _ := newTestEngine(t)
	e.ObserveLogs(bg, logs(purchase("o1", "USD", 1.0, contract.CustomerID, "h:x", contract.CustomerSegment, "returning")))
	if got := value(t, collect(e), MetricCustomerOrders, contract.CustomerSegment, "returning"); got != 1 {
		t.Fatal("segment from the processor was not kept")
	}
}

func TestAttemptsDurationAndSuccessRatio(t *testing.T) {
	e, _ := newTestEngine(t)
	charge := func(status, errType string, d time.Duration, spanErr bool) span {
		attrs := map[string]any{meth: "card", prov: "stripe"}
		if status != "" {
			attrs[contract.PaymentStatus] = status
		}
		if errType != "" {
			attrs[contract.PaymentErrorType] = errType
		}
		return span{name: contract.SpanPaymentCharge, attrs: attrs, dur: d, err: spanErr}
	}
	e.ObserveTraces(bg, traces(
		charge("succeeded", "", 50*time.Millisecond, false),
		charge("succeeded", "", 700*time.Millisecond, false),
		charge("", "", 300*time.Millisecond, false),
		charge("failed", "card_declined", 200*time.Millisecond, true),
		charge("", "timeout", 10*time.Second, true),
		span{name: "GET /checkout", attrs: map[string]any{meth: "card"}},
	))
	ms := collect(e)
	base := []string{meth, "card", prov, "stripe"}
	if got := value(t, ms, MetricAttempts, append([]string{contract.PaymentStatus, "succeeded"}, base...)...); got != 3 {
		t.Errorf("succeeded = %v", got)
	}
	for _, et := range []string{"card_declined", "timeout"} {
		if got := value(t, ms, MetricAttempts, append([]string{contract.PaymentStatus, "failed", contract.PaymentErrorType, et}, base...)...); got != 1 {
			t.Errorf("failed %s = %v", et, got)
		}
	}
	if got := value(t, ms, MetricSuccessRatio, meth, "card"); got != 0.6 {
		t.Errorf("success ratio = %v", got)
	}
	h := ms[MetricDuration].Histogram().DataPoints()
	var succeeded []uint64
	for i := 0; i < h.Len(); i++ {
		if v, _ := h.At(i).Attributes().Get(contract.PaymentStatus); v.Str() == "succeeded" {
			succeeded = h.At(i).BucketCounts().AsRaw()
			if h.At(i).Count() != 3 || math.Abs(h.At(i).Sum()-1.05) > 1e-9 {
				t.Errorf("succeeded count/sum = %d/%v", h.At(i).Count(), h.At(i).Sum())
			}
		}
	}
	// bounds 0.1, 0.5, 1, 5: 0.05 | 0.3 | 0.7
	if want := []uint64{1, 1, 1, 0, 0}; len(succeeded) != 5 || succeeded[0] != 1 || succeeded[1] != 1 || succeeded[2] != 1 {
		t.Errorf("buckets = %v, want %v", succeeded, want)
	}
}

// payment.failed events are counted on their own: a service that records
// both the failed charge span and the event is not counted twice in
// attempts, and a service that only logs the event is still seen.
func TestPaymentFailedEventsCountedApartFromAttempts(t *testing.T) {
	e, _ := newTestEngine(t)
	failed := func(errType string) map[string]any {
		return map[string]any{
			contract.EventName: contract.EventPaymentFailed, contract.PaymentErrorType: errType,
			cur: "USD", contract.PaymentAmount: 12.5, meth: "card", prov: "stripe",
		}
	}
	e.ObserveLogs(bg, logs(failed("card_declined"), failed("card_declined"), failed("timeout"),
		map[string]any{contract.EventName: contract.EventPaymentFailed, cur: "USD", contract.PaymentAmount: "not money"}))
	e.ObserveTraces(bg, traces(span{
		name: contract.SpanPaymentCharge, err: true,
		attrs: map[string]any{contract.PaymentStatus: "failed", contract.PaymentErrorType: "card_declined", meth: "card", prov: "stripe"},
	}))
	ms := collect(e)
	base := []string{meth, "card", prov, "stripe"}
	if got := value(t, ms, MetricFailures, append([]string{contract.PaymentErrorType, "card_declined"}, base...)...); got != 2 {
		t.Errorf("card_declined failures = %v", got)
	}
	if got := value(t, ms, MetricFailures, append([]string{contract.PaymentErrorType, "timeout"}, base...)...); got != 1 {
		t.Errorf("timeout failures = %v", got)
	}
	// An event with a bad amount is still a failure, without method or provider.
	if got := value(t, ms, MetricFailures, contract.PaymentErrorType, Unknown, meth, Unknown, prov, Unknown); got != 1 {
		t.Errorf("failure without details = %v", got)
	}
	if got := value(t, ms, MetricAttempts, append([]string{contract.PaymentStatus, "failed", contract.PaymentErrorType, "card_declined"}, base...)...); got != 1 {
		t.Errorf("attempts from the span only = %v", got)
	}
}

func TestFunnelRatios(t *testing.T) {
	e, _ := newTestEngine(t)
	var recs []map[string]any
	for step, n := range []int{10, 6, 4, 3} {
		for i := 0; i < n; i++ {
			recs = append(recs, map[string]any{contract.EventName: contract.FunnelSteps[step]})
		}
	}
	recs = append(recs, purchase("o1", "USD", 1.0), purchase("o2", "USD", 1.0))
	e.ObserveLogs(bg, logs(recs...))
	// the same steps as span events count too
	e.ObserveTraces(bg, traces(span{name: "browse", events: map[string]map[string]any{contract.EventViewItem: {}}}))
	ms := collect(e)
	step := contract.CheckoutStep
	if got := value(t, ms, MetricFunnelEvents, step, "view_item"); got != 11 {
		t.Errorf("view_item = %v", got)
	}
	if got := value(t, ms, MetricConversionRatio, step, "purchase"); math.Abs(got-2.0/11) > 1e-12 {
		t.Errorf("conversion to purchase = %v", got)
	}
	if got := value(t, ms, MetricAbandonmentRatio, step, "add_to_cart"); math.Abs(got-(1-4.0/6)) > 1e-12 {
		t.Errorf("abandonment at add_to_cart = %v", got)
	}
	if _, ok := lookup(ms, MetricAbandonmentRatio, step, "purchase"); ok {
		t.Error("the last step has no abandonment")
	}
}

func TestRefunds(t *testing.T) {
	e, _ := newTestEngine(t)
	refund := func(amount any) map[string]any {
		return map[string]any{
			contract.EventName: contract.EventRefund, contract.OrderID: "o1", cur: "JPY",
			contract.PaymentAmount: amount, meth: "card", prov: "stripe",
		}
	}
	e.ObserveLogs(bg, logs(refund(int64(500)), refund("1,200")))
	ms := collect(e)
	attrs := []string{cur, "JPY", meth, "card", prov, "stripe"}
	if got := value(t, ms, MetricRefunds, attrs...); got != 2 {
		t.Errorf("refunds = %v", got)
	}
	if got := value(t, ms, MetricRefundsAmount, attrs...); got != 1700 {
		t.Errorf("refunded = %v", got)
	}
}

func TestInventoryCardinalityLimit(t *testing.T) {
	e, _ := newTestEngine(t, func(s *Settings) { s.CardinalityLimit = 2 })
	inv := func(item string, avail int64) map[string]any {
		return map[string]any{
			contract.EventName: contract.EventInventory, contract.InventoryItemID: item,
			contract.InventoryAvailable: avail, contract.InventoryReserved: int64(1),
		}
	}
	// The events are older than the span (which ends at 11:00): levels go
	// by the record's time.
	e.ObserveLogs(bg, stampAll(logs(inv("a", 5), inv("b", 7), inv("c", 9), inv("a", 4), inv("d", 3)), time.Date(2026, 3, 10, 10, 0, 0, 0, time.UTC)))
	e.ObserveTraces(bg, traces(span{name: contract.SpanInventoryCheck, attrs: map[string]any{contract.InventoryItemID: "b", contract.InventoryAvailable: int64(6)}}))
	e.ObserveLogs(bg, logs(map[string]any{contract.EventName: contract.EventInventory, contract.InventoryItemID: "a", contract.InventoryAvailable: -1}))
	ms := collect(e)
	item := contract.InventoryItemID
	for id, want := range map[string]float64{"a": 4, "b": 6, Overflow: 3} {
		if got := value(t, ms, MetricInventoryAvailable, item, id); got != want {
			t.Errorf("available[%s] = %v, want %v", id, got, want)
		}
	}
	if n := pointCount(ms, MetricInventoryAvailable); n != 3 {
		t.Errorf("%d item series, want 2 + overflow", n)
	}
	if got := value(t, ms, MetricInvalidEvents, AttrReason, "invalid_inventory_level", contract.EventName, contract.EventInventory); got != 1 {
		t.Errorf("negative stock not counted invalid")
	}
}

func TestDailyAndMonthlyRevenueRollOverInTimeZone(t *testing.T) {
	denver, err := time.LoadLocation("America/Denver")
	if err != nil {
		t.Skip("no tzdata")
	}
	e, clock := newTestEngine(t, func(s *Settings) { s.Location = denver })
	// 2026-03-31 23:00 in Denver (MDT, UTC-6) is 2026-04-01 05:00 UTC
	clock.t = time.Date(2026, 3, 31, 23, 0, 0, 0, denver)
	e.agg.init(clock.t, denver)
	e.ObserveLogs(bg, logs(purchase("o1", "USD", 25000.0)))
	ms := collect(e)
	rep := []string{contract.PaymentReportingCurrency, "USD"}
	if got := value(t, ms, MetricRevenueDaily, rep...); got != 25000 {
		t.Errorf("daily = %v", got)
	}
	if got := value(t, ms, MetricRevenueDaily+".progress"); got != 0.5 {
		t.Errorf("daily progress = %v", got)
	}
	if got := value(t, ms, MetricRevenueDaily+".pace"); math.Abs(got-23.0/24) > 1e-12 {
		t.Errorf("daily pace = %v", got)
	}
	if got := value(t, ms, MetricRevenueMonthly+".target", rep...); got != 1500000 {
		t.Errorf("monthly target = %v", got)
	}
	// one hour later it is April in Denver: day and month start again
	clock.Advance(time.Hour + time.Minute)
	e.ObserveLogs(bg, logs(purchase("o2", "EUR", 100.0)))
	ms = collect(e)
	if got := value(t, ms, MetricRevenueDaily, rep...); got != 108 {
		t.Errorf("daily after midnight = %v, want 108", got)
	}
	if got := value(t, ms, MetricRevenueMonthly, rep...); got != 108 {
		t.Errorf("monthly after month end = %v, want 108", got)
	}
	if got := value(t, ms, MetricRevenue, cur, "USD", meth, "card", prov, "stripe"); got != 25000 {
		t.Errorf("cumulative revenue must not reset: %v", got)
	}
}

// A purchase counts in the day and month it happened (its record's
// timestamp), not the one it arrived in: a queue replayed after an outage
// that crossed midnight must not inflate today's progress.
func TestLatePurchasesCountInTheirOwnPeriod(t *testing.T) {
	denver, err := time.LoadLocation("America/Denver")
	if err != nil {
		t.Skip("no tzdata")
	}
	e, clock := newTestEngine(t, func(s *Settings) { s.Location = denver })
	// 2026-04-01 00:30 in Denver: a new day and a new month.
	clock.t = time.Date(2026, 4, 1, 0, 30, 0, 0, denver)
	e.agg.init(clock.t, denver)
	at := func(ld plog.Logs, ts time.Time) plog.Logs {
		ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0).SetTimestamp(pcommon.NewTimestampFromTime(ts))
		return ld
	}
	e.ObserveLogs(bg, at(logs(purchase("yesterday", "USD", 100.0)), time.Date(2026, 3, 31, 23, 50, 0, 0, denver)))
	e.ObserveLogs(bg, at(logs(purchase("today", "USD", 10.0)), time.Date(2026, 4, 1, 0, 20, 0, 0, denver)))
	e.ObserveLogs(bg, logs(purchase("no-timestamp", "USD", 1.0)))
	e.ObserveLogs(bg, at(logs(purchase("clock-ahead", "USD", 0.5)), clock.t.Add(48*time.Hour)))
	ms := collect(e)
	rep := []string{contract.PaymentReportingCurrency, "USD"}
	if got := value(t, ms, MetricRevenueDaily, rep...); got != 11.5 {
		t.Errorf("today's revenue = %v, want 11.5 (yesterday's purchase left out)", got)
	}
	if got := value(t, ms, MetricRevenueMonthly, rep...); got != 11.5 {
		t.Errorf("this month's revenue = %v, want 11.5 (March's purchase left out)", got)
	}
	if got := value(t, ms, MetricRevenue, cur, "USD", meth, "card", prov, "stripe"); got != 111.5 {
		t.Errorf("total revenue = %v, want every purchase", got)
	}
	for _, period := range []string{"day", "month"} {
		if got := value(t, ms, MetricLatePurchases, AttrPeriod, period); got != 1 {
			t.Errorf("late purchases of a closed %s = %v, want 1", period, got)
		}
	}
	// A duplicate of the late purchase is still caught.
	e.ObserveLogs(bg, at(logs(purchase("yesterday", "USD", 100.0)), time.Date(2026, 3, 31, 23, 50, 0, 0, denver)))
	ms = collect(e)
	if got := value(t, ms, MetricLatePurchases, AttrPeriod, "day"); got != 1 {
		t.Errorf("a duplicate counted as late again: %v", got)
	}
}

func TestDSTDayLength(t *testing.T) {
	denver, err := time.LoadLocation("America/Denver")
	if err != nil {
		t.Skip("no tzdata")
	}
	// 2026-03-08 has 23 hours in Denver; at noon local 11 of them are gone
	noon := time.Date(2026, 3, 8, 12, 0, 0, 0, denver)
	if got := dayOf(noon, denver).elapsed(noon); math.Abs(got-11.0/23) > 1e-12 {
		t.Fatalf("elapsed = %v, want 11/23", got)
	}
}

// stampAll sets the timestamp of every log record of ld.
func stampAll(ld plog.Logs, ts time.Time) plog.Logs {
	lrs := ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords()
	for i := 0; i < lrs.Len(); i++ {
		lrs.At(i).SetTimestamp(pcommon.NewTimestampFromTime(ts))
	}
	return ld
}

// A stale inventory.check (its span ended at 11:00) delivered after a newer
// inventory.update (11:30) does not set the stock back; it is counted late.
// A newer reading still applies, whatever its form.
func TestInventoryLevelOrderedByRecordTime(t *testing.T) {
	e, _ := newTestEngine(t)
	update := func(avail int64, ts time.Time) plog.Logs {
		return stampAll(logs(map[string]any{
			contract.EventName: contract.EventInventory, contract.InventoryItemID: "sku-1",
			contract.InventoryAvailable: avail,
		}), ts)
	}
	item := contract.InventoryItemID
	e.ObserveLogs(bg, update(3, time.Date(2026, 3, 10, 11, 30, 0, 0, time.UTC)))
	e.ObserveTraces(bg, traces(span{name: contract.SpanInventoryCheck, attrs: map[string]any{item: "sku-1", contract.InventoryAvailable: int64(40), contract.InventoryReserved: int64(2)}}))
	ms := collect(e)
	if got := value(t, ms, MetricInventoryAvailable, item, "sku-1"); got != 3 {
		t.Errorf("available = %v, want 3: the late older reading must not override the newer one", got)
	}
	if got := value(t, ms, MetricInventoryReserved, item, "sku-1"); got != 2 {
		t.Errorf("reserved = %v, want 2: the span is the only reading of it", got)
	}
	if got := value(t, ms, MetricLateInventory); got != 1 {
		t.Errorf("late inventory levels = %v, want 1", got)
	}
	e.ObserveLogs(bg, update(2, time.Date(2026, 3, 10, 11, 45, 0, 0, time.UTC)))
	if got := value(t, collect(e), MetricInventoryAvailable, item, "sku-1"); got != 2 {
		t.Errorf("available = %v, want 2 from the newest reading", got)
	}
}

// A refund recorded as the payment.refund span and as the ecommerce.refund
// event of the same request counts once; either form alone counts; a failed
// refund span counts nothing.
func TestRefundFromSpanOrEventCountedOnce(t *testing.T) {
	e, _ := newTestEngine(t)
	attrs := func(order string, minor int64) map[string]any {
		return map[string]any{
			contract.OrderID: order, cur: "USD", contract.PaymentAmountMinor: minor, meth: "card", prov: "stripe",
			contract.PaymentStatus: contract.StatusSucceeded,
		}
	}
	// Span 1 (trace 1) and its event; span 2 (trace 2) alone; span 3 failed.
	failed := attrs("o3", 700)
	failed[contract.PaymentStatus] = contract.StatusFailed
	e.ObserveTraces(bg, traces(
		span{name: contract.SpanPaymentRefund, attrs: attrs("o1", 1250)},
		span{name: contract.SpanPaymentRefund, attrs: attrs("o2", 300)},
		span{name: contract.SpanPaymentRefund, attrs: failed, err: true},
	))
	ev := attrs("o1", 1250)
	ev[contract.EventName] = contract.EventRefund
	ld := logs(ev)
	ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0).SetTraceID(pcommon.TraceID{1})
	e.ObserveLogs(bg, ld)
	// An event-only refund of another request (no trace) counts too.
	e.ObserveLogs(bg, logs(func() map[string]any { m := attrs("o4", 50); m[contract.EventName] = contract.EventRefund; return m }()))

	ms := collect(e)
	key := []string{cur, "USD", meth, "card", prov, "stripe"}
	if got := value(t, ms, MetricRefunds, key...); got != 3 {
		t.Errorf("refunds = %v, want 3 (o1 once, o2 from its span, o4 from its event)", got)
	}
	if got := value(t, ms, MetricRefundsAmount, key...); got != 16.00 {
		t.Errorf("refunded = %v, want 16.00", got)
	}
}
