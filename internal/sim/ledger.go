package sim

import (
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/otelcol-payments/otelcol-payments/internal/contract"
)

// Ledger is the ground truth of one run: what the simulator emitted, counted
// the way a correct pipeline should count it. Money is in integer minor units
// of each currency (ISO 4217 exponent); duplicate deliveries are counted once
// everywhere except DuplicatesSent and Events.
type Ledger struct {
	Seed     int64 `json:"seed"`
	Sessions int   `json:"sessions"`

	// RevenueMinor is currency -> payment.method -> minor units of successful,
	// de-duplicated purchases.
	RevenueMinor map[string]map[string]int64 `json:"revenue_minor"`
	// Orders is currency -> number of successful, de-duplicated purchases.
	Orders map[string]int64 `json:"orders"`
	// Attempts counts payment.charge spans by payment.status (succeeded,
	// failed), card-testing attempts included.
	Attempts map[string]int64 `json:"attempts"`
	// FailuresByErrorType counts failed attempts by payment.error_type.
	FailuresByErrorType map[string]int64 `json:"failures_by_error_type"`
	// Funnel is event.name -> number of distinct business events (every
	// business event name, not only the funnel steps).
	Funnel map[string]int64 `json:"funnel"`
	// Refunds is currency -> refund totals.
	Refunds map[string]*RefundTotals `json:"refunds"`
	// PurchasesBySegment is customer segment (new, returning) -> purchases;
	// a customer is new on their first successful purchase of the run.
	PurchasesBySegment map[string]int64 `json:"purchases_by_segment"`
	// SecurityIncidents is security.incident.type -> count.
	SecurityIncidents map[string]int64 `json:"security_incidents"`
	// LowStockUpdates counts inventory.update events at or below the item's
	// low-stock threshold.
	LowStockUpdates int64 `json:"low_stock_updates"`
	// OutOfStock counts sessions that ended because an item was sold out.
	OutOfStock int64 `json:"out_of_stock"`
	// InitialStock is each item's stock at the start; SoldOut is when an
	// item's stock first reached 0 (on the session timeline: simulated
	// time in a Replay).
	InitialStock map[string]int64     `json:"initial_stock"`
	SoldOut      map[string]time.Time `json:"sold_out"`
	// Channels is utm.source ("direct" without) -> visits (product views),
	// orders and revenue per currency; only with Config.Channels.
	Channels map[string]*ChannelTotals `json:"channels"`
	// Segments is what paymentbi's segments count: dimension (customer,
	// channel, category, currency, country) -> value -> product views,
	// purchases and their revenue per currency (category: its lines,
	// without tax and shipping). A view's customer is returning once the
	// customer has purchased; channel is "direct" without utm.source;
	// country is there only with Config.Countries.
	Segments map[string]map[string]*SegmentTotals `json:"segments"`
	// Purchases lists the counted purchases in the order they were made,
	// for figures that depend on each purchase's time or conversion
	// (growth, hour of day, revenue in the reporting currency).
	Purchases []Purchase `json:"purchases"`
	// SlowQueries counts database spans of 800 ms or more.
	SlowQueries int64 `json:"slow_queries"`

	// Events is the number of business event records sent, duplicates
	// included; DuplicatesSent is how many of them were re-deliveries.
	Events         int64 `json:"events"`
	DuplicatesSent int64 `json:"duplicates_sent"`
	// EventsAsSpanEvents is how many of Events were span events.
	EventsAsSpanEvents int64 `json:"events_as_span_events"`
	// Spans and LogRecords are totals handed to the SDK (and, since Run
	// fails otherwise, delivered to the endpoint).
	Spans      int64 `json:"spans"`
	LogRecords int64 `json:"log_records"`
	// Exceptions counts recorded exceptions (one span event plus one log
	// record each).
	Exceptions int64 `json:"exceptions"`
}

// ChannelTotals are one acquisition channel's figures.
type ChannelTotals struct {
	Visits       int64            `json:"visits"`
	Orders       int64            `json:"orders"`
	RevenueMinor map[string]int64 `json:"revenue_minor"`
}

// channel returns the totals of a session's channel ("" is direct), nil
// when the run has no channels.
func (l *Ledger) channel(source string) *ChannelTotals {
	if l.Channels == nil {
		return nil
	}
	if source == "" {
		source = "direct"
	}
	t := l.Channels[source]
	if t == nil {
		t = &ChannelTotals{RevenueMinor: map[string]int64{}}
		l.Channels[source] = t
	}
	return t
}

// SegmentTotals are one segment's figures.
type SegmentTotals struct {
	Visits       int64            `json:"visits"`
	Orders       int64            `json:"orders"`
	RevenueMinor map[string]int64 `json:"revenue_minor"`
}

// Purchase is one counted purchase: when its event was sent (the first
// time), its total, its segments (dimension -> value, category aside) and
// its lines' categories and amounts (price × quantity, minor units).
type Purchase struct {
	At         time.Time         `json:"at"`
	Currency   string            `json:"currency"`
	TotalMinor int64             `json:"total_minor"`
	Segments   map[string]string `json:"segments"`
	Lines      []PurchaseLine    `json:"lines"`
}

// PurchaseLine is one order line's category and amount.
type PurchaseLine struct {
	Category string `json:"category"`
	Minor    int64  `json:"minor"`
}

// Segment dimensions of Ledger.Segments (paymentbi's segment.dimension).
const (
	DimensionCustomer = "customer"
	DimensionChannel  = "channel"
	DimensionCategory = "category"
	DimensionCurrency = "currency"
	DimensionCountry  = "country"
)

func (l *Ledger) segment(dim, value string) *SegmentTotals {
	byValue := l.Segments[dim]
	if byValue == nil {
		byValue = map[string]*SegmentTotals{}
		l.Segments[dim] = byValue
	}
	t := byValue[value]
	if t == nil {
		t = &SegmentTotals{RevenueMinor: map[string]int64{}}
		byValue[value] = t
	}
	return t
}

// sessionSegments are the segments of s's events but the category; a
// purchase's customer is new on the customer's first purchase.
func sessionSegments(s *sess) map[string]string {
	seg := map[string]string{DimensionCustomer: contract.SegmentNew, DimensionChannel: "direct", DimensionCurrency: s.currency}
	if s.cust.purchases > 0 {
		seg[DimensionCustomer] = contract.SegmentReturning
	}
	if s.channel != "" {
		seg[DimensionChannel] = s.channel
	}
	if s.country != "" {
		seg[DimensionCountry] = s.country
	}
	return seg
}

// addVisit counts the product view of a session (of an item of category).
func (l *Ledger) addVisit(s *sess, category string) {
	if s.e.err != nil {
		return
	}
	for dim, value := range sessionSegments(s) {
		l.segment(dim, value).Visits++
	}
	l.segment(DimensionCategory, category).Visits++
}

// addPurchase counts a paid order in its segments and lists it; call it
// before the customer's purchase count goes up.
func (l *Ledger) addPurchase(s *sess, o *order, at time.Time) {
	p := Purchase{At: at.Round(0).UTC(), Currency: o.currency, TotalMinor: o.total, Segments: sessionSegments(s)}
	for dim, value := range p.Segments {
		t := l.segment(dim, value)
		t.Orders++
		t.RevenueMinor[o.currency] += o.total
	}
	counted := map[string]bool{}
	for _, it := range o.items {
		p.Lines = append(p.Lines, PurchaseLine{Category: it.p.category, Minor: it.unitMinor * it.qty})
		t := l.segment(DimensionCategory, it.p.category)
		if !counted[it.p.category] {
			counted[it.p.category] = true
			t.Orders++
		}
		t.RevenueMinor[o.currency] += it.unitMinor * it.qty
	}
	l.Purchases = append(l.Purchases, p)
}

// RefundTotals sums the refunds of one currency.
type RefundTotals struct {
	Count   int64 `json:"count"`
	Full    int64 `json:"full"`
	Partial int64 `json:"partial"`
	Minor   int64 `json:"minor"`
}

func newLedger(seed int64) *Ledger {
	return &Ledger{
		Seed:                seed,
		RevenueMinor:        map[string]map[string]int64{},
		Orders:              map[string]int64{},
		Attempts:            map[string]int64{},
		FailuresByErrorType: map[string]int64{},
		Funnel:              map[string]int64{},
		Refunds:             map[string]*RefundTotals{},
		PurchasesBySegment:  map[string]int64{},
		SecurityIncidents:   map[string]int64{},
		InitialStock:        map[string]int64{},
		SoldOut:             map[string]time.Time{},
		Segments:            map[string]map[string]*SegmentTotals{},
	}
}

func (l *Ledger) addRevenue(currency, method string, minor int64) {
	m := l.RevenueMinor[currency]
	if m == nil {
		m = map[string]int64{}
		l.RevenueMinor[currency] = m
	}
	m[method] += minor
	l.Orders[currency]++
}

func (l *Ledger) addRefund(currency string, minor int64, full bool) {
	r := l.Refunds[currency]
	if r == nil {
		r = &RefundTotals{}
		l.Refunds[currency] = r
	}
	r.Count++
	r.Minor += minor
	if full {
		r.Full++
	} else {
		r.Partial++
	}
}

// WriteFile writes the ledger as indented JSON.
func (l *Ledger) WriteFile(path string) error {
	b, err := json.MarshalIndent(l, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("writing ledger: %w", err)
	}
	return nil
}

// ReadLedger reads a ledger written by WriteFile.
func ReadLedger(path string) (*Ledger, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	l := newLedger(0)
	if err := json.Unmarshal(b, l); err != nil {
		return nil, fmt.Errorf("parsing ledger %s: %w", path, err)
	}
	return l, nil
}
