package engine

import (
	"fmt"
	"time"

	"github.com/otelcol-payments/otelcol-payments/internal/contract"
)

// Revenue growth and hour-of-day pattern: the revenue of each clock hour
// of the last eight days, in minor units of the reporting currency, keyed
// by the hour's Unix start / 3600. Hours are UTC hours, which are the
// local hours of every zone with a whole-hour offset.
const (
	hourlyKeep = 8 * 24
	// Period values of the growth metrics.
	periodYesterday = "yesterday"
	periodLastWeek  = "last_week"
	// AttrHour is the hour-of-day attribute ("00".."23", in timezone).
	AttrHour = contract.MetricLabelHour
)

func hourOf(t time.Time) int64 { return t.Unix() / 3600 }

// addHourly books a counted purchase in the hour it happened (its record's
// time when known and not ahead of the clock, else now).
func (e *Engine) addHourly(ev *event, now time.Time) {
	at := now
	if t, ok := contract.TimestampTime(ev.at); ok && !t.After(now.Add(maxClockSkew)) {
		at = t
	}
	h, cur := hourOf(at), hourOf(now)
	if h <= cur-hourlyKeep {
		return
	}
	h = min(h, cur)
	old, seen := e.agg.hourly[h]
	if v, ok := addInt64(old, ev.reporting); ok {
		e.agg.hourly[h] = v
	}
	if !seen { // a new hour: forget those out of the window
		for k := range e.agg.hourly {
			if k <= cur-hourlyKeep {
				delete(e.agg.hourly, k)
			}
		}
	}
}

// sameTime is the revenue from the start of today up to now, shifted back
// by lag hours; the current hour counts pro rata.
func (e *Engine) sameTime(now time.Time, lag int64) float64 {
	from, cur := hourOf(e.agg.day.start), hourOf(now)
	var sum float64
	for h := from; h < cur; h++ {
		sum += float64(e.agg.hourly[h-lag])
	}
	frac := float64(now.Unix()%3600) / 3600
	return sum + frac*float64(e.agg.hourly[cur-lag])
}

func (e *Engine) emitGrowth(m *emitter, now time.Time) {
	rep := e.conv.Reporting()
	today := e.sameTime(now, 0)
	same := m.gauge(MetricRevenueSameTime, "{payment.reporting.currency}", "Revenue from the start of the day until this time of day, yesterday or a week ago (reporting currency).")
	growth := m.gauge(MetricRevenueGrowth, "1", "Revenue so far today over the same span yesterday or a week ago, minus 1.")
	for _, p := range []struct {
		label string
		lag   int64
	}{{periodYesterday, 24}, {periodLastWeek, 7 * 24}} {
		// only once the engine has seen that whole span
		if e.start.After(e.agg.day.start.Add(-time.Duration(p.lag) * time.Hour)) {
			continue
		}
		base := e.sameTime(now, p.lag)
		m.point(same, false, AttrPeriod, p.label, contract.PaymentReportingCurrency, rep).
			SetDoubleValue(contract.MinorToMajorFloat(int64(base), rep))
		if base > 0 {
			m.point(growth, false, AttrPeriod, p.label).SetDoubleValue(today/base - 1)
		}
	}
	// hour-of-day pattern: mean revenue of each hour over the complete
	// days seen of the last seven
	cur := hourOf(now)
	pattern := m.gauge(MetricRevenueHourOfDay, "{payment.reporting.currency}", "Mean revenue of each hour of the day over the last 7 days seen (reporting currency).")
	var sums [24]float64
	var days [24]int
	for back := int64(1); back <= 7*24; back++ {
		h := cur - back
		start := time.Unix(h*3600, 0)
		if start.Before(e.start.Truncate(time.Hour)) {
			break
		}
		hod := start.In(e.loc).Hour()
		sums[hod] += float64(e.agg.hourly[h])
		days[hod]++
	}
	for hod := range sums {
		if days[hod] > 0 {
			m.point(pattern, false, AttrHour, fmt.Sprintf("%02d", hod), contract.PaymentReportingCurrency, rep).
				SetDoubleValue(contract.MinorToMajorFloat(int64(sums[hod]/float64(days[hod])), rep))
		}
	}
}
