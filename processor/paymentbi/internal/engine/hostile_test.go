package engine

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/otelcol-payments/otelcol-payments/internal/contract"
)

// chaosValue is a hostile attribute value; i makes strings distinct.
func chaosValue(r *rand.Rand, i int) any {
	switch r.IntN(16) {
	case 0:
		return math.NaN()
	case 1:
		return math.Inf(1 - 2*r.IntN(2))
	case 2:
		return int64(math.MaxInt64 - r.IntN(3))
	case 3:
		return int64(math.MinInt64)
	case 4:
		return -1.5
	case 5:
		return fmt.Sprintf("v%d", i)
	case 6:
		return "\xff\xfe" + fmt.Sprint(i)
	case 7:
		return ""
	case 8:
		return []any{map[string]any{"item_id": fmt.Sprint(i), "item_category": fmt.Sprint("c", i), "price": r.Float64() * 1e6, "quantity": int64(r.IntN(5) - 1)}}
	case 9:
		return map[string]any{"a": map[string]any{"b": i}}
	case 10:
		return []byte{0xff, byte(i)}
	case 11:
		return " 1,234.5e2 "
	case 12:
		return 1e300
	case 13:
		return 5e-324
	case 14:
		return true
	}
	return r.Float64() * 1000
}

var chaosKeys = []string{
	contract.PaymentCurrency, contract.PaymentAmountMinor, contract.PaymentAmount, contract.PaymentMethod,
	contract.PaymentProvider, contract.PaymentStatus, contract.PaymentErrorType, contract.OrderID, contract.PaymentID,
	contract.CustomerID, contract.CustomerEmail, contract.CustomerSegment, contract.CheckoutSessionID,
	contract.InventoryItemID, contract.InventoryItemName, contract.InventoryAvailable, contract.InventoryReserved,
	contract.OrderItems, contract.UTMSource, contract.GeoCountry, contract.ExperimentID, contract.ExperimentVariant,
	contract.OrderTax, contract.OrderShipping,
}

var chaosEvents = []string{
	contract.EventPurchase, contract.EventRefund, contract.EventPaymentFailed, contract.EventInventory,
	contract.EventInventoryRelease, contract.EventViewItem, contract.EventAddToCart, contract.EventBeginCheckout,
	contract.EventAddPaymentInfo,
}

// TestHostileBatchesStayFiniteAndSurviveRestart feeds every kind of event
// and span with random hostile attribute values (NaN, ±Inf, int64 extremes,
// invalid UTF-8, nested maps, bytes, odd currencies, random timestamps): no
// panic, every emitted value is finite and within int64's range, and an
// engine restored from the journal emits exactly what the live one does.
func TestHostileBatchesStayFiniteAndSurviveRestart(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	e, clock := newTestEngine(t)
	client := newMemClient()
	if err := e.LoadState(bg, client); err != nil {
		t.Fatal(err)
	}
	currencies := []string{"usd", " EUR ", "JPY", "KWD", "XXX", "jpy", "", "EUR\x00", "CLF"}
	for batch := 0; batch < 300; batch++ {
		ld := plog.NewLogs()
		lrs := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
		td := ptrace.NewTraces()
		spans := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans()
		for i := 0; i < 20; i++ {
			n := batch*100 + i
			lr := lrs.AppendEmpty()
			lr.SetTimestamp(pcommon.Timestamp(r.Uint64()))
			attrs := map[string]any{contract.EventName: chaosEvents[r.IntN(len(chaosEvents))]}
			for _, k := range chaosKeys {
				if r.IntN(2) == 0 {
					attrs[k] = chaosValue(r, n)
				}
			}
			if r.IntN(2) == 0 {
				attrs[contract.PaymentCurrency] = currencies[r.IntN(len(currencies))]
			}
			if err := lr.Attributes().FromRaw(attrs); err != nil {
				t.Fatal(err)
			}
			s := spans.AppendEmpty()
			s.SetName([]string{contract.SpanPaymentCharge, contract.SpanPaymentRefund, contract.SpanInventoryCheck}[r.IntN(3)])
			s.SetStartTimestamp(pcommon.Timestamp(r.Uint64()))
			s.SetEndTimestamp(pcommon.Timestamp(r.Uint64()))
			if err := s.Attributes().FromRaw(attrs); err != nil {
				t.Fatal(err)
			}
			ev := s.Events().AppendEmpty()
			ev.SetName(chaosEvents[r.IntN(len(chaosEvents))])
			if err := ev.Attributes().FromRaw(attrs); err != nil {
				t.Fatal(err)
			}
		}
		_ = e.ObserveLogs(bg, ld)
		_ = e.ObserveTraces(bg, td)
		_ = e.EnrichLogs(bg, ld)
		_ = e.EnrichTraces(bg, td)
		clock.Advance(time.Duration(r.IntN(3600)) * time.Second)
		if batch%50 == 0 {
			ms := pmetric.NewMetrics()
			e.AppendMetrics(ms.ResourceMetrics().AppendEmpty().ScopeMetrics().AppendEmpty())
		}
	}
	e.Detach()
	e2 := newEngineAt(t, clock)
	if err := e2.LoadState(bg, client); err != nil {
		t.Fatal(err)
	}
	emit := func(e *Engine) pmetric.ScopeMetrics {
		ms := pmetric.NewMetrics()
		sm := ms.ResourceMetrics().AppendEmpty().ScopeMetrics().AppendEmpty()
		e.AppendMetrics(sm)
		return sm
	}
	emit(e2)
	sm := emit(e)
	sm2 := emit(e2)
	var mj pmetric.JSONMarshaler
	a, _ := mj.MarshalMetrics(wrap(sm))
	b, _ := mj.MarshalMetrics(wrap(sm2))
	if string(a) != string(b) {
		t.Errorf("restart differs:\n%s\n%s", a, b)
	}
	for _, m := range sm.Metrics().All() {
		check := func(attrs pcommon.Map, v float64) {
			if !contract.Measurable(v) {
				t.Errorf("%s%v = %v", m.Name(), attrs.AsRaw(), v)
			}
		}
		switch m.Type() {
		case pmetric.MetricTypeSum, pmetric.MetricTypeGauge:
			for _, dp := range numberPoints(m).All() {
				check(dp.Attributes(), pointValue(dp))
			}
		case pmetric.MetricTypeHistogram:
			for _, dp := range m.Histogram().DataPoints().All() {
				check(dp.Attributes(), dp.Sum())
			}
		}
	}
}

// wrap is sm as a batch without timestamps, to compare two emissions.
func wrap(sm pmetric.ScopeMetrics) pmetric.Metrics {
	md := pmetric.NewMetrics()
	sm.CopyTo(md.ResourceMetrics().AppendEmpty().ScopeMetrics().AppendEmpty())
	for _, m := range md.ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics().All() {
		switch m.Type() {
		case pmetric.MetricTypeSum:
			for _, dp := range m.Sum().DataPoints().All() {
				dp.SetTimestamp(0)
				dp.SetStartTimestamp(0)
			}
		case pmetric.MetricTypeGauge:
			for _, dp := range m.Gauge().DataPoints().All() {
				dp.SetTimestamp(0)
			}
		case pmetric.MetricTypeHistogram:
			for _, dp := range m.Histogram().DataPoints().All() {
				dp.SetTimestamp(0)
				dp.SetStartTimestamp(0)
			}
		}
	}
	return md
}
