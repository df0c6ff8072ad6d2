package engine

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/otelcol-payments/otelcol-payments/internal/contract"
	"github.com/otelcol-payments/otelcol-payments/internal/sim"
)

// Revenue, orders, visits, conversion and average order value per
// customer segment, channel (utm.source) and item category; a redelivered
// purchase counts once.
func TestSegments(t *testing.T) {
	e, _ := newTestEngine(t)
	view := func(channel, segment, category string) map[string]any {
		m := map[string]any{
			contract.EventName: contract.EventViewItem, contract.PaymentCurrency: "USD",
			contract.OrderItems: []any{map[string]any{contract.ItemID: "x", contract.ItemCategory: category}},
		}
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
	// views without an amount have no known currency: only the purchases count
	if got, _ := lookup(ms, MetricSegmentOrders, seg(DimensionCurrency, "USD")...); got != 2 {
		t.Errorf("USD orders %v, want 2", got)
	}
	if got := value(t, ms, MetricSegmentOrderValue, withCur(seg(DimensionCategory, "tickets"))...); got != 60 {
		t.Errorf("tickets average order value %v, want 60", got)
	}
}

// A simulator run with acquisition channels: the channel segments match
// the ledger (visits and orders exactly; revenue within a minor unit per
// order, as each purchase is converted to the reporting currency alone).
func TestChannelSegmentsMatchTheLedger(t *testing.T) {
	start := time.Date(2026, 7, 16, 9, 0, 0, 0, time.UTC)
	clock := &fakeClock{t: start}
	e := newEngineAt(t, clock)
	sink := &engineSink{t: t, e: e, clock: clock, everyMinute: func(time.Time) {}}
	ledger, err := sim.Replay(context.Background(), sim.Config{
		Seed: 3, Count: 3000, Rate: 5, DuplicateRate: 0.05,
		SpanEventShare: 0.1, Currencies: []string{"USD", "EUR", "JPY", "KWD"}, Channels: []string{"newsletter", "google"},
	}, start, sink)
	if err != nil {
		t.Fatal(err)
	}
	ms := collect(e)
	if len(ledger.Channels) != 3 {
		t.Fatalf("ledger channels %v, want newsletter, google and direct", ledger.Channels)
	}
	for channel, want := range ledger.Channels {
		attrs := []string{AttrSegmentDimension, DimensionChannel, AttrSegmentValue, channel}
		if got := value(t, ms, MetricSegmentVisits, attrs...); got != float64(want.Visits) {
			t.Errorf("%s visits %v, ledger %d", channel, got, want.Visits)
		}
		if got := value(t, ms, MetricSegmentOrders, attrs...); got != float64(want.Orders) {
			t.Errorf("%s orders %v, ledger %d", channel, got, want.Orders)
		}
		var revenue int64
		for cur, minor := range want.RevenueMinor {
			conv, err := e.conv.Convert(contract.Money{Minor: minor, Currency: cur})
			if err != nil {
				t.Fatal(err)
			}
			revenue += conv
		}
		got := value(t, ms, MetricSegmentRevenue, append(attrs, contract.PaymentReportingCurrency, "USD")...)
		if diff := math.Abs(got*100 - float64(revenue)); diff > float64(want.Orders) {
			t.Errorf("%s revenue %.2f USD, ledger %.2f (off by %.0f cents for %d orders)", channel, got, float64(revenue)/100, diff, want.Orders)
		}
	}
}

// The country segment takes ISO 3166-1 codes in any case, counts a value
// that is not one as unknown, leaves events without a country out, and
// stops at its limit (later countries are _other).
func TestCountrySegments(t *testing.T) {
	e, _ := newTestEngine(t, func(s *Settings) { s.CardinalityLimit = 3 })
	view := func(country string) map[string]any {
		m := map[string]any{contract.EventName: contract.EventViewItem}
		if country != "" {
			m[contract.GeoCountry] = country
		}
		return m
	}
	observe(t, e, view("br"), view("BR"), view("UK"), view("de"), view(""), view("FR"), view("JP"),
		purchase("o1", "USD", "10.00", contract.GeoCountry, "Br"),
		purchase("o2", "USD", "5.00"), // no country
		purchase("o3", "EUR", "10.00", contract.GeoCountry, "JP"))
	ms := collect(e)
	seg := func(v string) []string { return []string{AttrSegmentDimension, DimensionCountry, AttrSegmentValue, v} }
	for country, want := range map[string]struct{ visits, orders, revenue float64 }{
		"BR": {2, 1, 10}, "DE": {1, 0, 0}, "FR": {1, 0, 0}, Unknown: {1, 0, 0}, Overflow: {1, 1, 10.8},
	} {
		if got := value(t, ms, MetricSegmentVisits, seg(country)...); got != want.visits {
			t.Errorf("%s visits %v, want %v", country, got, want.visits)
		}
		if got, _ := lookup(ms, MetricSegmentOrders, seg(country)...); got != want.orders {
			t.Errorf("%s orders %v, want %v", country, got, want.orders)
		}
		if got, _ := lookup(ms, MetricSegmentRevenue, append(seg(country), contract.PaymentReportingCurrency, "USD")...); math.Abs(got-want.revenue) > 1e-9 {
			t.Errorf("%s revenue %v, want %v", country, got, want.revenue)
		}
	}
	for _, absent := range []string{"UK", "br", "JP"} {
		if _, ok := lookup(ms, MetricSegmentVisits, seg(absent)...); ok {
			t.Errorf("country segment %q exported", absent)
		}
	}
}
