package engine

import (
	"math"
	"testing"

	"github.com/otelcol-payments/otelcol-payments/internal/contract"
)

// Revenue, orders, visits, conversion and average order value per
// customer segment, channel (utm.source) and item category; a redelivered
// purchase counts once.
func TestSegments(t *testing.T) {
	e, _ := newTestEngine(t)
	view := func(channel, segment, category string) map[string]any {
		m := map[string]any{contract.EventName: contract.EventViewItem, contract.PaymentCurrency: "USD",
			contract.OrderItems: []any{map[string]any{contract.ItemID: "x", contract.ItemCategory: category}}}
		if channel != "" {
			m[contract.UTMSource] = channel
		}
		if segment != "" {
			m[contract.CustomerSegment] = segment
		}
		return m
	}
	line := func(category string, priceMinor, qty int64) map[string]any {
		return map[string]any{contract.ItemID: category + "-1", contract.ItemCategory: category, contract.ItemPriceMinor: priceMinor, contract.ItemQuantity: qty}
	}
	buy := func(order, channel, segment string, amount string, items ...any) map[string]any {
		p := purchase(order, "USD", amount, contract.OrderItems, items, contract.CustomerSegment, segment)
		if channel != "" {
			p[contract.UTMSource] = channel
		}
		return p
	}
	recs := []map[string]any{
		view("newsletter", "new", "tickets"), view("newsletter", "new", "tickets"), view("newsletter", "returning", "merch"),
		view("", "new", "tickets"), view("", "", "merch"),
		buy("o1", "newsletter", "new", "108.00", line("tickets", 5000, 2)),                    // 100 + tax
		buy("o2", "", "returning", "30.00", line("merch", 1000, 1), line("tickets", 2000, 1)), // mixed
	}
	observe(t, e, recs...)
	observe(t, e, recs[5]) // redelivered
	ms := collect(e)
	seg := func(dim, value string) []string { return []string{AttrSegmentDimension, dim, AttrSegmentValue, value} }
	withCur := func(attrs []string) []string { return append(attrs, contract.PaymentReportingCurrency, "USD") }
	for _, c := range []struct {
		dim, value     string
		revenue        float64
		orders, visits float64
	}{
		{DimensionChannel, "newsletter", 108, 1, 3},
		{DimensionChannel, ChannelDirect, 30, 1, 2},
		{DimensionCustomer, "new", 108, 1, 3},
		{DimensionCustomer, "returning", 30, 1, 1},
		{DimensionCustomer, Unknown, 0, 0, 1},
		{DimensionCategory, "tickets", 120, 2, 3}, // lines: 100 + 20
		{DimensionCategory, "merch", 10, 1, 2},
	} {
		if got, _ := lookup(ms, MetricSegmentRevenue, withCur(seg(c.dim, c.value))...); got != c.revenue {
			t.Errorf("%s=%s revenue %v, want %v", c.dim, c.value, got, c.revenue)
		}
		if got, _ := lookup(ms, MetricSegmentOrders, seg(c.dim, c.value)...); got != c.orders {
			t.Errorf("%s=%s orders %v, want %v", c.dim, c.value, got, c.orders)
		}
		if got := value(t, ms, MetricSegmentVisits, seg(c.dim, c.value)...); got != c.visits {
			t.Errorf("%s=%s visits %v, want %v", c.dim, c.value, got, c.visits)
		}
		if got := value(t, ms, MetricSegmentConversion, seg(c.dim, c.value)...); math.Abs(got-c.orders/c.visits) > 1e-12 {
			t.Errorf("%s=%s conversion %v, want %v", c.dim, c.value, got, c.orders/c.visits)
		}
	}
	if got := value(t, ms, MetricSegmentOrderValue, withCur(seg(DimensionCategory, "tickets"))...); got != 60 {
		t.Errorf("tickets average order value %v, want 60", got)
	}
}
