package view

import (
	"encoding/json"
	"math"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-payments/otelcol-payments/exporter/dashboardexporter/internal/fixture"
	"github.com/otelcol-payments/otelcol-payments/exporter/dashboardexporter/internal/store"
	"github.com/otelcol-payments/otelcol-payments/internal/contract"
)

func testBuilder(t *testing.T, now time.Time) (*Builder, *store.Store, *store.Alerts) {
	t.Helper()
	clock := func() time.Time { return now }
	st := store.New(store.Config{Location: now.Location(), Now: clock, MaxSeries: 1000})
	al := store.NewAlerts(clock, 100, 10)
	b := NewBuilder(Options{
		Currency: "EUR",
		Thresholds: []Threshold{
			{Category: "payment", Match: regexp.MustCompile(`^payment\.`), Threshold: 5 * time.Second},
			{Category: "api", Match: regexp.MustCompile(`^(GET|POST) /`), Threshold: 2 * time.Second},
		},
		LowStock: 10, LatencyWindow: 5 * time.Minute, SpanMetricsNamespace: "traces.span.metrics",
		Refresh: 2 * time.Second, StaleAfter: 5 * time.Minute,
	}, st, al)
	return b, st, al
}

func TestDashboardFromBusinessMetrics(t *testing.T) {
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC) // half the day gone
	b, st, al := testBuilder(t, now)
	biz := fixture.Default()
	st.AddMetrics(biz.Metrics(now.Add(-6*time.Hour), now))
	st.AddMetrics(fixture.SpanMetrics(now.Add(-2*time.Minute), now,
		fixture.Operation{Name: "payment.charge", Bounds: []float64{1000, 5000, 10000}, Counts: []uint64{0, 10, 90, 0}, Errors: 4},
		fixture.Operation{Name: "GET /api/orders", Bounds: []float64{100, 500}, Counts: []uint64{95, 5, 0}},
	))
	critical := contract.Alert{
		Name: "PaymentFailureRate", Status: contract.AlertFiring, Severity: contract.SeverityCritical,
		Summary: "payment failure rate 20% > 10%", Value: 0.2, Threshold: 0.1, StartsAt: now.Add(-time.Minute),
		Labels: map[string]string{"payment.provider": "stripe"},
	}
	critical.Fingerprint = contract.ComputeFingerprint(critical.Name, critical.Labels)
	al.Apply(critical)

	d := b.Dashboard()
	assert.Equal(t, "USD", d.Currency, "the metrics name the reporting currency")
	assert.Equal(t, Money("1734.50"), d.Revenue.Today)
	require.NotNil(t, d.Revenue.DailyProgress)
	assert.InDelta(t, 1734.5/5000, *d.Revenue.DailyProgress, 1e-9)
	assert.Equal(t, Money("3469.00"), d.Revenue.ProjectedToday)
	assert.Equal(t, []NamedAmount{{"card", "1234.50"}, {"paypal", "500.00"}}, d.Revenue.ByMethod)
	assert.Equal(t, []CurrencyAmount{{"JPY", "25000", "25000"}, {"USD", "1500.25", "1500.25"}}, d.Revenue.ByCurrency)

	assert.Equal(t, 32.0, d.Orders.Today)
	assert.Equal(t, Money("54.20"), *d.Orders.AverageOrderValue, "1734.50 / 32 = 54.203125, rounded to the cent")

	assert.Equal(t, 40.0, d.Payments.Attempts)
	assert.Equal(t, 8.0, d.Payments.Failed)
	assert.InDelta(t, 0.8, *d.Payments.SuccessRate, 1e-9)
	assert.Equal(t, []Named{{"card_declined", 5}, {"insufficient_funds", 2}, {"timeout", 1}}, d.Payments.FailureReasons)
	require.Len(t, d.Payments.ByMethod, 1)
	assert.Equal(t, "card", d.Payments.ByMethod[0].Method)

	require.Len(t, d.Funnel, 5)
	assert.Equal(t, 400.0, d.Funnel[0].Count)
	assert.Nil(t, d.Funnel[0].DropOff)
	assert.InDelta(t, 0.6, *d.Funnel[1].DropOff, 1e-9)
	assert.InDelta(t, 32.0/400, *d.Customers.ConversionRate, 1e-9)
	assert.Equal(t, 20.0, d.Customers.New)
	assert.Equal(t, 12.0, d.Customers.Returning)

	require.Len(t, d.Latency, 2)
	pay := d.Latency[0]
	assert.Equal(t, "payment.charge", pay.Name, "breaches sort first")
	assert.True(t, pay.Breach)
	assert.Equal(t, "payment", pay.Category)
	// rank 95 of 100: 85 of 90 into (5000, 10000].
	assert.InDelta(t, 5000+5000*85.0/90, *pay.P95Ms, 1e-6)
	assert.InDelta(t, 0.04, *pay.ErrorRate, 1e-9)
	assert.False(t, d.Latency[1].Breach)
	assert.InDelta(t, 4.0/200, *d.Errors.Spans, 1e-9)
	// the window's attempts: card_declined and insufficient_funds are the
	// customers', timeout the provider's
	assert.Equal(t, 40.0, d.Errors.PaymentAttempts)
	assert.InDelta(t, 8.0/40, *d.Errors.Payments, 1e-9)
	assert.InDelta(t, 1.0/40, *d.Errors.PaymentsProvider, 1e-9)

	require.Len(t, d.LowStock, 2)
	assert.Equal(t, "sku-grinder", d.LowStock[0].ItemID)
	assert.Equal(t, "sku-espresso", d.LowStock[1].ItemID)

	require.Len(t, d.Alerts, 1)
	assert.Equal(t, 0.2, *d.Alerts[0].Value)
	assert.True(t, d.Data.Flowing)
	assert.Contains(t, d.Data.Sources, "span_metrics")
	assert.Contains(t, d.Data.Sources, "alerts")

	s := BuildSummary(d)
	assert.Equal(t, StatusCritical, s.Status)
	assert.False(t, *s.OnPace, "projected 3469 < target 5000")
	assert.Contains(t, s.Headline, "PaymentFailureRate")
	assert.Contains(t, s.Headline, "behind pace")
	assert.Len(t, s.TopFailureReasons, 3)

	// The document must encode: no NaN may leak into JSON.
	_, err := json.Marshal(d)
	require.NoError(t, err)
}

func TestEmptyDashboardEncodesWithLists(t *testing.T) {
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	b, _, _ := testBuilder(t, now)
	d := b.Dashboard()
	raw, err := json.Marshal(d)
	require.NoError(t, err)
	var doc map[string]any
	require.NoError(t, json.Unmarshal(raw, &doc))
	assert.Equal(t, []any{}, doc["alerts"])
	assert.Equal(t, []any{}, doc["latency"])
	assert.Equal(t, "EUR", d.Currency, "configured currency without data")
	assert.False(t, d.Data.Flowing)
	assert.Len(t, d.Series.LastHour.Revenue, 60)
	assert.Len(t, d.Series.Last24h.Revenue, 96)
	s := BuildSummary(d)
	assert.Equal(t, StatusWarning, s.Status)
	assert.Contains(t, s.Headline, "no data is flowing")
	assert.Nil(t, s.OnPace)
}

func TestRevenueGaugesWinForCurrentPeriodOnly(t *testing.T) {
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	b, st, _ := testBuilder(t, now)
	biz := fixture.Default()
	st.AddMetrics(biz.Metrics(now.Add(-time.Hour), now))
	d := b.Dashboard()
	assert.Equal(t, Money("1734.50"), d.Revenue.Today)

	// paymentbi's daily gauge counts what happened before this exporter
	// started, so it wins while it is from today.
	md := fixture.Business{}.Metrics(now, now)
	m := md.ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics().AppendEmpty()
	m.SetName(MetricRevenueDaily)
	dp := m.SetEmptyGauge().DataPoints().AppendEmpty()
	dp.SetDoubleValue(9000)
	st.AddMetrics(md)
	d = b.Dashboard()
	assert.Equal(t, Money("9000.00"), d.Revenue.Today)
	assert.Equal(t, Money("1734.50"), d.Revenue.Month, "no monthly gauge: own total")
}

func TestToMillis(t *testing.T) {
	assert.Equal(t, 1500.0, toMillis(1.5, "s"))
	assert.Equal(t, 1.5, toMillis(1.5, "ms"))
	assert.Equal(t, 1.5, toMillis(1.5, ""))
	assert.Less(t, math.Abs(toMillis(1500, "us")-1.5), 1e-12)
}

// No money in either JSON document is a number: every money field is an
// exact decimal string with the currency's exponent.
func TestNoFloatMoneyInJSON(t *testing.T) {
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	b, st, _ := testBuilder(t, now)
	st.AddMetrics(fixture.Default().Metrics(now.Add(-6*time.Hour), now))
	d := b.Dashboard()
	decimal := regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?$`)
	check := func(doc any, paths ...string) {
		raw, err := json.Marshal(doc)
		require.NoError(t, err)
		var m map[string]any
		require.NoError(t, json.Unmarshal(raw, &m))
		for _, path := range paths {
			for _, v := range lookup(m, strings.Split(path, ".")) {
				s, ok := v.(string)
				if assert.True(t, ok, "%s is %T (%v), want a decimal string", path, v, v) {
					assert.Regexp(t, decimal, s, path)
				}
			}
		}
	}
	check(d, "revenue.today", "revenue.yesterday", "revenue.month", "revenue.daily_target", "revenue.monthly_target",
		"revenue.projected_today", "revenue.projected_month", "revenue.by_currency.today", "revenue.by_currency.month",
		"revenue.by_method.value", "orders.average_order_value", "series.last_hour.revenue", "series.last_24h.revenue")
	check(BuildSummary(d), "revenue_today", "daily_target", "projected_today", "month_to_date", "monthly_target")
}

// lookup follows a dotted path through objects and arrays (an array stands
// for each of its elements); a missing key gives a nil element, which fails.
func lookup(v any, path []string) []any {
	switch x := v.(type) {
	case map[string]any:
		if len(path) > 0 {
			return lookup(x[path[0]], path[1:])
		}
	case []any:
		var out []any
		for _, e := range x {
			out = append(out, lookup(e, path)...)
		}
		return out
	}
	if len(path) > 0 {
		return []any{nil}
	}
	return []any{v}
}

// A positive but subnormal target divides revenue into +Inf; the progress
// is then unknown rather than a value that fails the whole document.
func TestSubnormalTargetsLeaveProgressUnknown(t *testing.T) {
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	b, st, _ := testBuilder(t, now)
	biz := fixture.Default()
	biz.DailyTarget, biz.MonthlyTarget = 5e-324, 1e-310
	st.AddMetrics(biz.Metrics(now.Add(-6*time.Hour), now))
	d := b.Dashboard()
	assert.Nil(t, d.Revenue.DailyProgress)
	assert.Nil(t, d.Revenue.MonthlyProgress)
	assert.Equal(t, Money("1734.50"), d.Revenue.Today, "the rest of the document stands")
	_, err := json.Marshal(d)
	require.NoError(t, err)
	_, err = json.Marshal(BuildSummary(d))
	require.NoError(t, err)
}
