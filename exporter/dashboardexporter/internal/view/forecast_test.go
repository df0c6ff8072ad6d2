package view

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/otelcol-payments/otelcol-payments/exporter/dashboardexporter/internal/fixture"
	"github.com/otelcol-payments/otelcol-payments/internal/contract"
)

func itemGauges(now time.Time, name string, values map[string]float64) pmetric.Metrics {
	md := pmetric.NewMetrics()
	g := md.ResourceMetrics().AppendEmpty().ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
	g.SetName(name)
	dps := g.SetEmptyGauge().DataPoints()
	for item, v := range values {
		dp := dps.AppendEmpty()
		dp.SetTimestamp(pcommon.NewTimestampFromTime(now))
		dp.Attributes().PutStr(contract.InventoryItemID, item)
		dp.SetDoubleValue(v)
	}
	return md
}

// The forecast panel lists the items with a sales pace, soonest sell-out
// first, with their stock, held units and unsold-at-event projection.
func TestForecastPanel(t *testing.T) {
	now := time.Date(2026, 7, 16, 12, 0, 0, 0, time.UTC)
	b, st, _ := testBuilder(t, now)
	soon, later := now.Add(90*time.Minute), now.Add(20*time.Hour)
	st.AddMetrics(itemGauges(now, MetricDepletionRate, map[string]float64{"sat": 40, "sun": 5, "camping": 0}))
	st.AddMetrics(itemGauges(now, MetricSellOutTime, map[string]float64{"sat": float64(soon.Unix()), "sun": float64(later.Unix())}))
	st.AddMetrics(itemGauges(now, MetricInventoryAvail, map[string]float64{"sat": 60, "sun": 100, "camping": 7, "other": 3}))
	st.AddMetrics(itemGauges(now, MetricInventoryHeld, map[string]float64{"sat": 12}))
	st.AddMetrics(itemGauges(now, MetricUnsoldAtEvent, map[string]float64{"sun": 25}))

	fs := b.Dashboard().Forecasts
	require.Len(t, fs, 3, "items without a pace are not forecast")
	assert.Equal(t, []string{"sat", "sun", "camping"}, []string{fs[0].ItemID, fs[1].ItemID, fs[2].ItemID})
	require.NotNil(t, fs[0].SellOut)
	assert.True(t, fs[0].SellOut.Equal(soon))
	assert.Equal(t, 40.0, fs[0].RatePerHour)
	assert.Equal(t, 60.0, *fs[0].Available)
	assert.Equal(t, 12.0, *fs[0].Held)
	assert.Nil(t, fs[0].UnsoldAtEvent)
	assert.Equal(t, 25.0, *fs[1].UnsoldAtEvent)
	assert.Nil(t, fs[2].SellOut, "not selling")
}

// A sell-out time beyond year 9999 has no JSON form: one such gauge made
// every /api/dashboard answer fail to encode. It is left out.
func TestSellOutTimeBeyondYear9999IsLeftOut(t *testing.T) {
	now := time.Date(2026, 7, 16, 12, 0, 0, 0, time.UTC)
	b, st, _ := testBuilder(t, now)
	soon := now.Add(90 * time.Minute)
	st.AddMetrics(itemGauges(now, MetricDepletionRate, map[string]float64{"sat": 40, "far": 1, "past": 1}))
	st.AddMetrics(itemGauges(now, MetricSellOutTime, map[string]float64{"sat": float64(soon.Unix()), "far": 1e15, "past": -1e15}))

	d := b.Dashboard()
	require.Len(t, d.Forecasts, 3)
	assert.Equal(t, "sat", d.Forecasts[0].ItemID)
	assert.True(t, d.Forecasts[0].SellOut.Equal(soon))
	assert.Nil(t, d.Forecasts[1].SellOut)
	assert.Nil(t, d.Forecasts[2].SellOut)
	_, err := json.Marshal(d)
	require.NoError(t, err)
}

// The experiments panel shows each variant's rate, and for non-control
// variants the uplift with its interval; flagged variants come first.
func TestExperimentsPanel(t *testing.T) {
	now := time.Date(2026, 7, 16, 12, 0, 0, 0, time.UTC)
	b, st, _ := testBuilder(t, now)
	st.AddMetrics(fixture.Insights(now))
	rows := b.Dashboard().Experiments
	require.Len(t, rows, 2)
	worse := rows[0]
	assert.Equal(t, "B", worse.Variant)
	assert.True(t, worse.Worse)
	assert.Equal(t, "conversion", worse.Metric)
	assert.InDelta(t, -0.06, *worse.Uplift, 1e-12)
	assert.InDelta(t, -0.095, *worse.Lower, 1e-12)
	assert.InDelta(t, -0.025, *worse.Upper, 1e-12)
	assert.InDelta(t, 0.25, *worse.Rate, 1e-12)
	control := rows[1]
	assert.Equal(t, "control", control.Variant)
	assert.False(t, control.Worse)
	assert.Nil(t, control.Uplift, "the control has no uplift")
	assert.Equal(t, 3000.0, *control.Trials)
}

// The segments panel shows today's revenue, orders, conversion and average
// order value per segment, biggest revenue first; growth comes from
// paymentbi's gauges.
func TestSegmentsPanel(t *testing.T) {
	now := time.Date(2026, 7, 16, 12, 0, 0, 0, time.UTC)
	b, st, _ := testBuilder(t, now)
	st.AddMetrics(fixture.Segments(now.Add(-2*time.Hour), now.Add(-time.Hour)))
	st.AddMetrics(fixture.Insights(now))
	d := b.Dashboard()
	require.Len(t, d.Segments, 2)
	top := d.Segments[0]
	assert.Equal(t, "channel", top.Dimension)
	assert.Equal(t, "newsletter", top.Value)
	assert.Equal(t, Money("1200.00"), top.Revenue)
	assert.Equal(t, 10.0, top.Orders)
	assert.InDelta(t, 0.05, *top.Conversion, 1e-12)
	assert.Equal(t, Money("120.00"), *top.AverageOrderValue)
	assert.Equal(t, "direct", d.Segments[1].Value)
	g := d.Revenue.Growth
	assert.Equal(t, "paymentbi", g.Source)
	require.NotNil(t, g.VsYesterday)
	assert.InDelta(t, 0.12, *g.VsYesterday, 1e-12)
	assert.Equal(t, Money("1000.00"), *g.YesterdaySameTime)
	require.NotNil(t, g.VsLastWeek)
	assert.InDelta(t, -0.05, *g.VsLastWeek, 1e-12)
	assert.Equal(t, Money("1178.95"), *g.LastWeekSameTime)
	require.Len(t, g.HourOfDay, 24)
	assert.Equal(t, Money("300.00"), g.HourOfDay[10])
	assert.Equal(t, Money("0.00"), g.HourOfDay[3])
	summary := BuildSummary(d)
	assert.Equal(t, g, summary.Growth, "the summary shows the page's growth")
	require.Len(t, summary.TopSegments, 1)
	assert.Equal(t, "newsletter", summary.TopSegments[0].Value, "the biggest channel")
	digest := DigestText(summary, time.UTC)
	// (the test builder's reporting currency is EUR)
	assert.Contains(t, digest, "*Growth:* +12.0% vs the same time yesterday (1,000.00 EUR), -5.0% vs the same time last week (1,178.95 EUR)")
	assert.Contains(t, digest, "*Top segments:* channel newsletter 1,200.00 EUR (5.0% converted)")
}

// A dimension with more segments than the panel shows: the biggest by
// revenue, then one _other row summing the rest with paymentbi's own
// _other; a dimension with a single extra segment shows it as itself.
func TestSegmentsPanelFoldsTheRest(t *testing.T) {
	now := time.Date(2026, 7, 16, 12, 0, 0, 0, time.UTC)
	b, st, _ := testBuilder(t, now)
	start, at := now.Add(-2*time.Hour), now.Add(-time.Hour)
	add := func(dim string, values map[string]float64) {
		for _, name := range []string{"segment.revenue", "segment.orders", "segment.visits"} {
			points := map[[2]string]float64{}
			for v, n := range values {
				points[[2]string{v}] = map[string]float64{"segment.revenue": 10 * n, "segment.orders": n, "segment.visits": 10 * n}[name]
			}
			md := cumulative(start, at, name, points, "segment.value")
			dps := md.ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics().At(0).Sum().DataPoints()
			for i := 0; i < dps.Len(); i++ {
				dps.At(i).Attributes().PutStr("segment.dimension", dim)
			}
			st.AddMetrics(md)
		}
	}
	// ten countries with 10..100 orders, paymentbi's _other with 5
	countries := map[string]float64{"_other": 5}
	for i, c := range []string{"US", "DE", "FR", "BR", "JP", "IT", "ES", "NL", "SE", "PL"} {
		countries[c] = float64(100 - 10*i)
	}
	add("country", countries)
	channels := map[string]float64{}
	for i := range 8 {
		channels[fmt.Sprintf("ch%d", i)] = float64(80 - i)
	}
	add("channel", channels)
	var rows []string
	for _, r := range b.Dashboard().Segments {
		rows = append(rows, fmt.Sprintf("%s=%s %s %.0f", r.Dimension, r.Value, r.Revenue, r.Orders))
	}
	assert.Equal(t, []string{
		"channel=ch0 800.00 80", "channel=ch1 790.00 79", "channel=ch2 780.00 78", "channel=ch3 770.00 77",
		"channel=ch4 760.00 76", "channel=ch5 750.00 75", "channel=ch6 740.00 74", "channel=ch7 730.00 73",
		"country=US 1000.00 100", "country=DE 900.00 90", "country=FR 800.00 80", "country=BR 700.00 70",
		"country=JP 600.00 60", "country=IT 500.00 50", "country=ES 400.00 40",
		"country=_other 650.00 65", // NL 30 + SE 20 + PL 10 + paymentbi's 5
	}, rows)
}
