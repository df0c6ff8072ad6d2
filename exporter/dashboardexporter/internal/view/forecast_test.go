package view

import (
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
	require.NotNil(t, d.Growth.VsYesterday)
	assert.InDelta(t, 0.12, *d.Growth.VsYesterday, 1e-12)
	assert.Nil(t, d.Growth.VsLastWeek)
	require.Len(t, d.Growth.HourOfDay, 24)
	assert.Equal(t, 300.0, d.Growth.HourOfDay[10])
	assert.Equal(t, 0.0, d.Growth.HourOfDay[3])
}
