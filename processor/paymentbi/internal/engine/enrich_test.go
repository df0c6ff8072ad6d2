package engine

import (
	"math"
	"testing"

	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/otelcol-payments/otelcol-payments/internal/contract"
)

func attrOf(t *testing.T, attrs pcommon.Map, key string) any {
	t.Helper()
	v, ok := attrs.Get(key)
	if !ok {
		return nil
	}
	return v.AsRaw()
}

func TestEnrichLogs(t *testing.T) {
	e, _ := newTestEngine(t)
	ld := logs(
		purchase("o1", "jpy", 1500.0, contract.CustomerID, "h:alice"),
		purchase("o2", "EUR", "12.34", contract.CustomerID, "h:alice"),
		purchase("o1", "JPY", 1500.0, contract.CustomerID, "h:alice"), // duplicate delivery
		map[string]any{contract.EventName: contract.EventAddToCart, contract.CustomerID: "h:alice"},
		map[string]any{contract.EventName: contract.EventViewItem, contract.CustomerID: "h:carol"},
		purchase("o3", "USD", math.NaN()),
		map[string]any{"http.route": "/x"},
	)
	// event.name in the log record's own field is recognised too
	lr := ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().AppendEmpty()
	lr.SetEventName(contract.EventBeginCheckout)
	e.EnrichLogs(bg, ld)
	recs := ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords()
	type want struct {
		minor, reporting any
		currency         any
		step             any
		segment          any
	}
	wants := []want{
		{int64(1500), int64(1005), "JPY", int64(4), "new"},
		{int64(1234), int64(1333), "EUR", int64(4), "returning"},
		{int64(1500), int64(1005), "JPY", int64(4), "new"}, // same as first delivery
		{nil, nil, nil, int64(1), "returning"},
		{nil, nil, nil, int64(0), "new"},
		{nil, nil, "USD", int64(4), nil}, // invalid amount: left as sent
		{nil, nil, nil, nil, nil},
		{nil, nil, nil, int64(2), nil},
	}
	for i, w := range wants {
		a := recs.At(i).Attributes()
		got := want{
			attrOf(t, a, contract.PaymentAmountMinor), attrOf(t, a, contract.PaymentReportingAmountMinor),
			attrOf(t, a, contract.PaymentCurrency), attrOf(t, a, contract.CheckoutStep), attrOf(t, a, contract.CustomerSegment),
		}
		if got != w {
			t.Errorf("record %d: got %+v, want %+v", i, got, w)
		}
		if w.reporting != nil && attrOf(t, a, contract.PaymentReportingCurrency) != "USD" {
			t.Errorf("record %d: no reporting currency", i)
		}
	}
}

func TestEnrichTraces(t *testing.T) {
	e, _ := newTestEngine(t)
	td := traces(
		span{name: contract.SpanPaymentCharge, attrs: map[string]any{cur: "KWD", contract.PaymentAmount: 1.25, contract.CustomerID: "h:dan"}},
		span{name: "checkout", events: map[string]map[string]any{
			contract.EventPurchase: {contract.OrderID: "o9", cur: "USD", contract.PaymentAmountMinor: "4999", contract.CustomerID: "h:dan"},
		}},
	)
	e.EnrichTraces(bg, td)
	spans := td.ResourceSpans().At(0).ScopeSpans().At(0).Spans()
	charge := spans.At(0).Attributes()
	if attrOf(t, charge, contract.PaymentAmountMinor) != int64(1250) || attrOf(t, charge, contract.PaymentReportingAmountMinor) != int64(406) {
		t.Errorf("charge span: %v", charge.AsRaw())
	}
	if attrOf(t, charge, contract.CustomerSegment) != "new" {
		t.Errorf("charge before purchase: segment %v", attrOf(t, charge, contract.CustomerSegment))
	}
	ev := spans.At(1).Events().At(0).Attributes()
	if attrOf(t, ev, contract.PaymentAmountMinor) != int64(4999) || attrOf(t, ev, contract.CheckoutStep) != int64(4) ||
		attrOf(t, ev, contract.CustomerSegment) != "new" {
		t.Errorf("purchase span event: %v", ev.AsRaw())
	}
}

// enrich grows a record's attributes once, by the derived keys it did not
// find there: newKeys must never count fewer (a second growth per record)
// and, for a record that gets every derived key, not more.
func TestEnrichAddsNewKeysAtMost(t *testing.T) {
	e, _ := newTestEngine(t)
	ld := logs(
		purchase("o1", "jpy", 1500.0, contract.CustomerID, "h:alice"),
		purchase("o2", "EUR", int64(1234), contract.CustomerID, "h:bob", contract.PaymentAmountMinor, int64(1234)),
		map[string]any{contract.EventName: contract.EventAddToCart, contract.CustomerID: "h:alice", contract.CustomerSegment: "new"},
		map[string]any{contract.EventName: contract.EventViewItem, contract.CustomerID: "h:carol", cur: "USD", contract.PaymentAmount: "5.00"},
		map[string]any{contract.EventName: contract.EventInventory, contract.InventoryItemID: "sku", contract.InventoryAvailable: int64(3)},
		purchase("o3", "USD", math.NaN(), contract.CustomerID, "h:dan"), // invalid: fewer keys
	)
	exact := []bool{true, true, true, true, false, false} // no customer, invalid
	now := e.now()
	e.mu.Lock()
	defer e.mu.Unlock()
	i := 0
	e.walkLogs(ld, false, func(ev *event, attrs pcommon.Map) {
		before, want := attrs.Len(), ev.newKeys()
		e.enrich(ev, attrs, now)
		got := attrs.Len() - before
		if got > want || (exact[i] && got != want) {
			t.Errorf("record %d: enrich added %d keys, newKeys said %d", i, got, want)
		}
		i++
	})
	if i != len(exact) {
		t.Fatalf("visited %d records", i)
	}
}
