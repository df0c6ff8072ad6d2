package view

import (
	"cmp"
	"slices"
	"strconv"

	"github.com/otelcol-payments/otelcol-payments/exporter/dashboardexporter/internal/store"
	"github.com/otelcol-payments/otelcol-payments/internal/contract"
)

// Segment and growth metrics of the paymentbi connector.
const (
	MetricSegmentRevenue = contract.MetricSegmentRevenue
	MetricSegmentOrders  = contract.MetricSegmentOrders
	MetricSegmentVisits  = contract.MetricSegmentVisits
	MetricRevenueGrowth  = contract.MetricRevenueGrowth
	MetricRevenueHourly  = contract.MetricRevenueHourOfDay
	hourKey              = contract.MetricLabelHour
	segmentDimensionKey  = contract.MetricLabelSegmentDimension
	segmentValueKey      = contract.MetricLabelSegmentValue
	periodKey            = contract.MetricLabelPeriod
)

// maxSegmentsPerDimension bounds the segments panel.
const maxSegmentsPerDimension = 8

// SegmentRow is today's figures of one segment.
type SegmentRow struct {
	// Dimension is customer, channel or category.
	Dimension string  `json:"dimension"`
	Value     string  `json:"value"`
	Revenue   Money   `json:"revenue"`
	Orders    float64 `json:"orders"`
	Visits    float64 `json:"visits"`
	// Conversion is orders / visits, AverageOrderValue revenue / orders
	// (null without visits or orders).
	Conversion        *float64 `json:"conversion"`
	AverageOrderValue *Money   `json:"average_order_value"`
}

// RevenueGrowth is revenue so far today against the same time of day
// yesterday and a week ago (paymentbi's payment.revenue.growth, which
// keeps the history; null until known).
type RevenueGrowth struct {
	VsYesterday *float64 `json:"vs_yesterday"`
	VsLastWeek  *float64 `json:"vs_last_week"`
	// HourOfDay is the mean revenue of each hour of the day (00..23 in
	// paymentbi's timezone) over the last 7 days; empty until known.
	HourOfDay []float64 `json:"hour_of_day"`
}

// segments lists today's revenue, orders and visits per segment, the
// biggest revenue first within each dimension.
func (b *Builder) segments(currency string) []SegmentRow {
	dims := [][]string{{segmentDimensionKey}, {segmentValueKey}}
	rows := map[string]*SegmentRow{}
	for _, metric := range []string{MetricSegmentRevenue, MetricSegmentOrders, MetricSegmentVisits} {
		for key, t := range b.group(metric, 0, dims...) {
			kv := store.SplitKey(key)
			if kv[0] == "" || kv[1] == "" {
				continue
			}
			r := rows[key]
			if r == nil {
				r = &SegmentRow{Dimension: kv[0], Value: kv[1]}
				rows[key] = r
			}
			switch metric {
			case MetricSegmentRevenue:
				r.Revenue = moneyOf(t.Today, currency)
			case MetricSegmentOrders:
				r.Orders = t.Today
			case MetricSegmentVisits:
				r.Visits = t.Today
			}
		}
	}
	out := make([]SegmentRow, 0, len(rows))
	for _, r := range rows {
		if r.Revenue == "" {
			r.Revenue = moneyOf(0, currency)
		}
		r.Conversion = ratio(r.Orders, r.Visits)
		if r.Orders > 0 {
			aov := moneyOf(r.Revenue.Float()/r.Orders, currency)
			r.AverageOrderValue = &aov
		}
		out = append(out, *r)
	}
	slices.SortFunc(out, func(x, y SegmentRow) int {
		return cmp.Or(cmp.Compare(x.Dimension, y.Dimension), cmp.Compare(y.Revenue.Float(), x.Revenue.Float()), cmp.Compare(x.Value, y.Value))
	})
	kept, perDim := out[:0], map[string]int{}
	for _, r := range out {
		if perDim[r.Dimension] < maxSegmentsPerDimension {
			perDim[r.Dimension]++
			kept = append(kept, r)
		}
	}
	return kept
}

func (b *Builder) revenueGrowth() RevenueGrowth {
	var g RevenueGrowth
	for _, p := range b.store.Gauges(MetricRevenueGrowth, nil) {
		switch p.Labels.Get(periodKey) {
		case "yesterday":
			g.VsYesterday = ptr(p.Value)
		case "last_week":
			g.VsLastWeek = ptr(p.Value)
		}
	}
	g.HourOfDay = []float64{}
	hours := make([]float64, 24)
	seen := false
	for _, p := range b.store.Gauges(MetricRevenueHourly, nil) {
		if h, err := strconv.Atoi(p.Labels.Get(hourKey)); err == nil && h >= 0 && h < 24 {
			hours[h] += p.Value
			seen = true
		}
	}
	if seen {
		g.HourOfDay = hours
	}
	return g
}
