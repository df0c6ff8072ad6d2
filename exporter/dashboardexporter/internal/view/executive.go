package view

import (
	"time"

	"github.com/otelcol-payments/otelcol-payments/internal/contract"

	"github.com/otelcol-payments/otelcol-payments/exporter/dashboardexporter/internal/store"
)

// MetricLifetimeValue is paymentbi's average revenue per distinct customer
// in the reporting currency.
const MetricLifetimeValue = "customer.lifetime_value.average"

// Growth compares today's revenue with the same time of earlier days. It
// is the one growth figure of the page, the summary and the digest.
type Growth struct {
	// Source is where the figures come from: "paymentbi" (its revenue per
	// clock hour of the last 8 days, purchases booked at their own time)
	// when it sends payment.revenue.same_time, else "dashboard" (its own
	// per-minute revenue: yesterday only); "" until either knows.
	Source string `json:"source"`
	// YesterdaySameTime is yesterday's revenue up to this time of day;
	// null until known.
	YesterdaySameTime *Money `json:"yesterday_same_time"`
	// VsYesterday is today / YesterdaySameTime - 1 (0.12 = 12 % up).
	VsYesterday *float64 `json:"vs_yesterday"`
	// LastWeekSameTime and VsLastWeek are the same against a week ago:
	// only paymentbi keeps that history (null without it).
	LastWeekSameTime *Money   `json:"last_week_same_time"`
	VsLastWeek       *float64 `json:"vs_last_week"`
	// HourOfDay is the mean revenue of each hour of the day (00..23 in
	// paymentbi's timezone) over the last 7 days, to the minor unit, as
	// exact decimals like every amount; empty until known.
	HourOfDay []Money `json:"hour_of_day"`
}

// growth fills r.Growth from the per-minute revenue of the last 24 hours.
func (b *Builder) growth(now time.Time, r *Revenue, today float64, currency string) {
	name := MetricRevenueReporting
	if len(b.store.Counters(name, nil, 0)) == 0 {
		return
	}
	yesterday := r.Yesterday.Float()
	if yesterday <= 0 {
		return
	}
	loc := b.store.Location()
	y, m, d := now.In(loc).Date()
	dayStart := time.Date(y, m, d, 0, 0, 0, 0, loc)
	// Minutes of the last 24 h that lie before today: yesterday's revenue
	// after this time of day.
	before := store.Minutes - 1 - int(now.Sub(dayStart)/time.Minute)
	if before <= 0 {
		return
	}
	perMinute := b.store.CounterMinutes(name, nil, store.Minutes, 1)
	var lateYesterday float64
	for _, v := range perMinute[:min(before, len(perMinute))] {
		lateYesterday += v
	}
	sameTime := max(yesterday-lateYesterday, 0)
	r.Growth.Source = growthFromDashboard
	r.Growth.YesterdaySameTime = ptr(moneyOf(sameTime, currency))
	if sameTime > 0 {
		r.Growth.VsYesterday = ptr(today/sameTime - 1)
	}
}

// FunnelSummary is today's checkout funnel for the executive summary.
type FunnelSummary struct {
	Steps []Step `json:"steps"`
	// BiggestDropOff is the step most visitors leave before (the step
	// whose conversion from the previous one is lowest); null until two
	// steps have visitors.
	BiggestDropOff *Step `json:"biggest_drop_off"`
	// AbandonmentRate is the share of begun checkouts that did not end in
	// a purchase.
	AbandonmentRate *float64 `json:"abandonment_rate"`
}

func funnelSummary(steps []Step) FunnelSummary {
	f := FunnelSummary{Steps: steps}
	for i := range steps {
		s := steps[i]
		if s.DropOff != nil && (f.BiggestDropOff == nil || *s.DropOff > *f.BiggestDropOff.DropOff) {
			f.BiggestDropOff = &s
		}
	}
	var begun, purchased float64
	for _, s := range steps {
		switch s.Step {
		case "ecommerce.begin_checkout":
			begun = s.Count
		case "ecommerce.purchase":
			purchased = s.Count
		}
	}
	if r := ratio(purchased, begun); r != nil {
		f.AbandonmentRate = ptr(max(1-*r, 0))
	}
	return f
}

// CustomerSummary is today's buyers and their lifetime value.
type CustomerSummary struct {
	New       float64 `json:"new"`
	Returning float64 `json:"returning"`
	// ReturningShare is returning / (new + returning) purchases today.
	ReturningShare *float64 `json:"returning_share"`
	// LifetimeValue is the average revenue per distinct customer (paymentbi).
	LifetimeValue *Money `json:"lifetime_value"`
}

// lifetimeValue is paymentbi's latest CLV gauge, in currency.
func (b *Builder) lifetimeValue(currency string) *Money {
	v, at := b.latestGauge(MetricLifetimeValue)
	if at.IsZero() {
		return nil
	}
	return ptr(moneyOf(v, currency))
}

// Health is the system's state for the executive summary: each watched
// operation's p95 against its threshold.
type Health struct {
	// Operations with a threshold, breaches first.
	Operations []Operation `json:"operations"`
	Breaches   int         `json:"breaches"`
	// ErrorRate is the share of error spans in the latency window.
	ErrorRate *float64 `json:"error_rate"`
}

func healthOf(d Dashboard) Health {
	h := Health{Operations: []Operation{}, ErrorRate: d.Errors.Spans}
	for _, op := range d.Latency {
		if op.ThresholdMs == nil {
			continue
		}
		h.Operations = append(h.Operations, op)
		if op.Breach {
			h.Breaches++
		}
	}
	return h
}

// Insight is one line another part of the distribution adds to the
// summary (a recommendation, a forecast), shown in the panel and digest.
type Insight struct {
	Source   string `json:"source"`
	Severity string `json:"severity"`
	Text     string `json:"text"`
}

// SummaryContributor adds insights to the executive summary from the
// dashboard document; the exporter passes its contributors to
// BuildSummary. This is the extension point for recommendations.
type SummaryContributor func(Dashboard) []Insight

// executive fills the summary sections beyond revenue and payments.
func executive(s *Summary, d Dashboard, contributors []SummaryContributor) {
	s.Growth = d.Revenue.Growth
	s.Funnel = funnelSummary(d.Funnel)
	s.Customers = CustomerSummary{
		New: d.Customers.New, Returning: d.Customers.Returning,
		ReturningShare: ratio(d.Customers.Returning, d.Customers.New+d.Customers.Returning),
		LifetimeValue:  d.Customers.LifetimeValue,
	}
	s.LowStock = d.LowStock
	if s.LowStock == nil {
		s.LowStock = []StockItem{}
	}
	s.ActiveAlertList = d.Alerts
	if s.ActiveAlertList == nil {
		s.ActiveAlertList = []Alert{}
	}
	s.Health = healthOf(d)
	s.TopSegments = topSegments(d.Segments)
	s.Insights = []Insight{}
	// The dashboard's own recommendations come first: each names a problem
	// with its evidence, which is what a reader of the summary acts on.
	for _, r := range d.Recommendations {
		s.Insights = append(s.Insights, Insight{Source: "Recommendation", Severity: contract.SeverityWarning, Text: r.Title + " — " + r.Evidence})
	}
	s.Insights = append(s.Insights, spendInsight(d)...)
	for _, c := range contributors {
		s.Insights = append(s.Insights, c(d)...)
	}
}

// topSegments is the biggest segment by revenue today of each dimension
// (the panel lists them biggest first per dimension).
func topSegments(rows []SegmentRow) []SegmentRow {
	out := []SegmentRow{}
	for _, r := range rows {
		if r.Value != otherSegment && (len(out) == 0 || out[len(out)-1].Dimension != r.Dimension) {
			out = append(out, r)
		}
	}
	return out
}
