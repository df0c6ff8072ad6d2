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
	MetricSegmentRevenue  = contract.MetricSegmentRevenue
	MetricSegmentOrders   = contract.MetricSegmentOrders
	MetricSegmentVisits   = contract.MetricSegmentVisits
	MetricRevenueGrowth   = contract.MetricRevenueGrowth
	MetricRevenueSameTime = contract.MetricRevenueSameTime
	MetricRevenueHourly   = contract.MetricRevenueHourOfDay
	hourKey               = contract.MetricLabelHour
	segmentDimensionKey   = contract.MetricLabelSegmentDimension
	segmentValueKey       = contract.MetricLabelSegmentValue
	periodKey             = contract.MetricLabelPeriod
)

// maxSegmentsPerDimension bounds the segments panel: the biggest by
// revenue, the rest summed in one otherSegment row.
const maxSegmentsPerDimension = 8

// otherSegment is paymentbi's value beyond its cardinality limit, and the
// panel's row for the segments beyond its own; unknownSegment is its
// value for a missing or invalid one.
const (
	otherSegment   = "_other"
	unknownSegment = "unknown"
)

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
	kept, perDim, rest := out[:0:0], map[string]int{}, map[string][]SegmentRow{}
	for _, r := range out {
		if perDim[r.Dimension] < maxSegmentsPerDimension-1 && r.Value != otherSegment {
			perDim[r.Dimension]++
			kept = append(kept, r)
		} else {
			rest[r.Dimension] = append(rest[r.Dimension], r)
		}
	}
	// the rest of a dimension in one row (a single one as itself), after
	// the dimension's own rows
	for _, dim := range slices.Sorted(mapKeys(rest)) {
		row := rest[dim][0]
		if len(rest[dim]) > 1 {
			row = SegmentRow{Dimension: dim, Value: otherSegment}
			var revenue float64
			for _, r := range rest[dim] {
				revenue += r.Revenue.Float()
				row.Orders += r.Orders
				row.Visits += r.Visits
			}
			row.Revenue = moneyOf(revenue, currency)
			row.Conversion = ratio(row.Orders, row.Visits)
			if row.Orders > 0 {
				aov := moneyOf(revenue/row.Orders, currency)
				row.AverageOrderValue = &aov
			}
		}
		i := slices.IndexFunc(kept, func(r SegmentRow) bool { return r.Dimension > dim })
		if i < 0 {
			i = len(kept)
		}
		kept = slices.Insert(kept, i, row)
	}
	return kept
}

// Sources of Growth.
const (
	growthFromPaymentbi = "paymentbi"
	growthFromDashboard = "dashboard"
)

// paymentbiGrowth replaces g's figures with paymentbi's where it sends
// them (payment.revenue.same_time, .growth and .hour_of_day): its history
// spans a week and books each purchase at its own time, which the
// dashboard's 24 hours of minutes cannot. Each period's figures come from
// one source.
func (b *Builder) paymentbiGrowth(g *Growth, currency string) {
	growth := map[string]float64{}
	for _, p := range b.store.Gauges(MetricRevenueGrowth, nil) {
		growth[p.Labels.Get(periodKey)] = p.Value
	}
	for _, p := range b.store.Gauges(MetricRevenueSameTime, nil) {
		sameTime, vs := &g.YesterdaySameTime, &g.VsYesterday
		switch p.Labels.Get(periodKey) {
		case "yesterday":
		case "last_week":
			sameTime, vs = &g.LastWeekSameTime, &g.VsLastWeek
		default:
			continue
		}
		g.Source = growthFromPaymentbi
		*sameTime, *vs = ptr(moneyOf(p.Value, currency)), nil
		if v, ok := growth[p.Labels.Get(periodKey)]; ok {
			*vs = ptr(v)
		}
	}
	g.HourOfDay = []Money{}
	hours := make([]float64, 24)
	seen := false
	for _, p := range b.store.Gauges(MetricRevenueHourly, nil) {
		if h, err := strconv.Atoi(p.Labels.Get(hourKey)); err == nil && h >= 0 && h < 24 {
			hours[h] += p.Value
			seen = true
		}
	}
	if seen {
		g.HourOfDay = make([]Money, len(hours))
		for h, v := range hours {
			g.HourOfDay[h] = moneyOf(v, currency)
		}
	}
}
