package view

import (
	"encoding/json"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-payments/otelcol-payments/exporter/dashboardexporter/internal/fixture"
	"github.com/otelcol-payments/otelcol-payments/exporter/dashboardexporter/internal/store"
	"github.com/otelcol-payments/otelcol-payments/internal/contract"
)

// The executive summary carries every section a manager asks for, with
// the dashboard's numbers: funnel and its biggest drop-off, abandonment,
// new vs returning and lifetime value, low stock, active alerts, system
// health, and the contributors' insights.
func TestSummaryHasEveryExecutiveSection(t *testing.T) {
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	b, st, al := testBuilder(t, now)
	biz := fixture.Default()
	biz.LifetimeValue = 87.456
	st.AddMetrics(biz.Metrics(now.Add(-6*time.Hour), now))
	st.AddMetrics(fixture.SpanMetrics(now.Add(-2*time.Minute), now,
		fixture.Operation{Name: "payment.charge", Bounds: []float64{1000, 5000, 10000}, Counts: []uint64{0, 10, 90, 0}, Errors: 4},
		fixture.Operation{Name: "GET /api/orders", Bounds: []float64{100, 500}, Counts: []uint64{95, 5, 0}},
		fixture.Operation{Name: "internal.job", Bounds: []float64{100}, Counts: []uint64{10, 0}},
	))
	warn := contract.Alert{
		Name: "low_stock", Status: contract.AlertFiring, Severity: contract.SeverityWarning,
		Summary: "stock 3 < 10", StartsAt: now.Add(-time.Minute), Labels: map[string]string{"inventory.item_id": "sku-espresso"},
	}
	warn.Fingerprint = contract.ComputeFingerprint(warn.Name, warn.Labels)
	al.Apply(warn)

	d := b.Dashboard()
	require.NotNil(t, d.Customers.LifetimeValue, "CLV on the dashboard")
	assert.Equal(t, Money("87.46"), *d.Customers.LifetimeValue)

	recommend := func(Dashboard) []Insight {
		return []Insight{{Source: "inventory", Severity: "warning", Text: "reorder sku-grinder"}}
	}
	s := BuildSummary(d, recommend)
	// Funnel 400 → 160 → 80 → 60 → 32: the view→cart step loses 60 %.
	require.NotNil(t, s.Funnel.BiggestDropOff)
	assert.Equal(t, contract.EventAddToCart, s.Funnel.BiggestDropOff.Step)
	assert.InDelta(t, 0.6, *s.Funnel.BiggestDropOff.DropOff, 1e-9)
	require.NotNil(t, s.Funnel.AbandonmentRate)
	assert.InDelta(t, 1-32.0/80, *s.Funnel.AbandonmentRate, 1e-9, "begun checkouts without a purchase")
	assert.Len(t, s.Funnel.Steps, 5)

	assert.Equal(t, 20.0, s.Customers.New)
	assert.Equal(t, 12.0, s.Customers.Returning)
	assert.InDelta(t, 12.0/32, *s.Customers.ReturningShare, 1e-9)
	assert.Equal(t, Money("87.46"), *s.Customers.LifetimeValue)

	require.Len(t, s.LowStock, 2)
	assert.Equal(t, "sku-grinder", s.LowStock[0].ItemID)
	require.Len(t, s.ActiveAlertList, 1)
	assert.Equal(t, "low_stock", s.ActiveAlertList[0].Name)

	// Only operations with a threshold count for health.
	require.Len(t, s.Health.Operations, 2)
	assert.Equal(t, 1, s.Health.Breaches)
	assert.Equal(t, "payment.charge", s.Health.Operations[0].Name)
	assert.InDelta(t, 5000.0, *s.Health.Operations[0].ThresholdMs, 1e-9)

	// The dashboard's recommendations (here: payment.charge slower than its
	// threshold) lead, then the contributors' insights.
	require.Len(t, d.Recommendations, 1)
	assert.Equal(t, []Insight{
		{Source: "Recommendation", Severity: "warning", Text: d.Recommendations[0].Title + " — " + d.Recommendations[0].Evidence},
		{Source: "inventory", Severity: "warning", Text: "reorder sku-grinder"},
	}, s.Insights)
	assert.Contains(t, s.Insights[0].Text, "payment.charge is slower than its threshold")

	// Without yesterday's total there is no growth figure.
	assert.Nil(t, s.Growth.YesterdaySameTime)
	assert.Nil(t, s.Growth.VsLastWeek)

	raw, err := json.Marshal(s)
	require.NoError(t, err)
	assert.Contains(t, string(raw), `"lifetime_value":"87.46"`, "money as an exact decimal string")
}

// Growth vs the same time yesterday: yesterday's total less the part of it
// that came after this time of day (the last 24 hours by minute).
func TestSummaryGrowthVsSameTimeYesterday(t *testing.T) {
	now := time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC).Add(-14 * time.Hour) // Nov 27, 10:00
	clock := func() time.Time { return now }
	st := store.New(store.Config{Location: time.UTC, Now: clock, MaxSeries: 1000})
	b := NewBuilder(Options{
		Currency: "USD", Thresholds: []Threshold{{Category: "api", Match: regexp.MustCompile(`.`), Threshold: time.Second}},
		LatencyWindow: 5 * time.Minute, SpanMetricsNamespace: "traces.span.metrics", Refresh: time.Second, StaleAfter: 5 * time.Minute,
	}, st, store.NewAlerts(clock, 10, 10))
	start := now.Add(-time.Hour)
	feed := func(at time.Time, usd float64) {
		now = at
		biz := fixture.Business{RevenueByMethod: map[string]float64{"card": usd}}
		st.AddMetrics(biz.Metrics(start, at))
	}
	day1 := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	feed(day1.Add(9*time.Hour), 0)
	feed(day1.Add(10*time.Hour), 100) // yesterday morning
	feed(day1.Add(18*time.Hour), 300) // yesterday evening: +200 after 10:00
	feed(day1.Add(34*time.Hour), 450) // today 10:00: +150

	s := BuildSummary(b.Dashboard())
	require.NotNil(t, s.Growth.YesterdaySameTime)
	assert.Equal(t, Money("100.00"), *s.Growth.YesterdaySameTime)
	require.NotNil(t, s.Growth.VsYesterday)
	assert.InDelta(t, 0.5, *s.Growth.VsYesterday, 1e-9, "150 today vs 100 by 10:00 yesterday")
}

// The digest is plain text a person reads: every section, money grouped
// with its exact decimals, no exponent, times with the zone's offset.
func TestDigestTextReadsAsASummary(t *testing.T) {
	denver, err := time.LoadLocation("America/Denver")
	require.NoError(t, err)
	now := time.Date(2026, 11, 28, 18, 0, 0, 0, time.UTC)
	b, st, al := testBuilder(t, now)
	biz := fixture.Default().Scaled(1000)
	biz.LifetimeValue = 87.456
	st.AddMetrics(biz.Metrics(now.Add(-6*time.Hour), now))
	st.AddMetrics(fixture.SpanMetrics(now.Add(-2*time.Minute), now,
		fixture.Operation{Name: "payment.charge", Bounds: []float64{1000, 5000, 20000}, Counts: []uint64{0, 10, 90, 0}}))
	crit := contract.Alert{
		Name: "payment_failure_rate", Status: contract.AlertFiring, Severity: contract.SeverityCritical,
		Summary: "failures 45 %", StartsAt: now.Add(-10 * time.Minute), Labels: map[string]string{"payment.provider": "stripe"},
	}
	crit.Fingerprint = contract.ComputeFingerprint(crit.Name, crit.Labels)
	al.Apply(crit)

	text := DigestText(BuildSummary(b.Dashboard()), denver)
	t.Log("\n" + text)
	for _, want := range []string{
		"*Payments digest* Sat 28 Nov 2026 11:00 -07:00 (America/Denver)",
		"*Revenue today:* 1,734,500.00 USD, 34,690% of the 5,000.00 USD target (on pace)",
		"Revenue today 1,734,500.00 USD (34,690% of target, on pace), 32,000 orders, payment success 80.0%.",
		"*Growth:* no figure for yesterday yet",
		"*Payments:* 80.0% succeeded, 32,000 orders; top failures: card_declined 5,000",
		"*Funnel:* Viewed item 400,000 → Added to cart 160,000",
		`biggest drop-off before "Added to cart" (60.0% leave)`,
		"checkout abandonment 60.0%",
		"*Customers:* 20,000 new, 12,000 returning (37.5% returning); lifetime value 87.46 USD",
		"*Low stock:* sku-grinder (0 left)",
		"*Alerts:* critical payment_failure_rate since 10:50 -07:00",
		"*System health:* 1 of 1 operations above their p95 threshold; payment.charge p95 19,167 ms (threshold 5,000 ms)",
	} {
		assert.Contains(t, text, want)
	}
	assert.NotRegexp(t, `\de[+-]\d`, text, "no exponent anywhere")
}

// One time zone on the page and the API: every time of the dashboard
// document carries the business zone's offset, whatever zone it came in.
func TestDashboardTimesInTheBusinessZone(t *testing.T) {
	denver, err := time.LoadLocation("America/Denver")
	require.NoError(t, err)
	now := time.Date(2026, 11, 28, 18, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	st := store.New(store.Config{Location: denver, Now: clock, MaxSeries: 1000})
	al := store.NewAlerts(clock, 10, 10)
	b := NewBuilder(Options{
		Currency: "USD", LowStock: 10, LatencyWindow: 5 * time.Minute, SpanMetricsNamespace: "traces.span.metrics",
		Refresh: time.Second, StaleAfter: 5 * time.Minute,
	}, st, al)
	st.AddMetrics(fixture.Default().Metrics(now.Add(-time.Hour), now))
	a := contract.Alert{
		Name: "x", Status: contract.AlertFiring, Severity: contract.SeverityWarning, StartsAt: now.Add(-time.Minute),
		Labels: map[string]string{"k": "v"},
	}
	a.Fingerprint = contract.ComputeFingerprint(a.Name, a.Labels)
	al.Apply(a)

	raw, err := json.Marshal(b.Dashboard())
	require.NoError(t, err)
	stamps := regexp.MustCompile(`"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?([^"]*)"`).FindAllStringSubmatch(string(raw), -1)
	require.NotEmpty(t, stamps)
	for _, s := range stamps {
		assert.Equal(t, "-07:00", s[2], "time %s not in the business zone", s[0])
	}
	assert.GreaterOrEqual(t, len(stamps), 5, "generated_at, data sources, last data, stock, alert")
}
