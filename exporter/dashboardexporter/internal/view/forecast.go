package view

import (
	"cmp"
	"math"
	"slices"
	"time"

	"github.com/otelcol-payments/otelcol-payments/internal/contract"
)

// Inventory forecast metrics of the paymentbi connector.
const (
	MetricDepletionRate = contract.MetricInventoryDepletionRate
	MetricSellOutTime   = contract.MetricInventorySellOutTime
	MetricInventoryHeld = contract.MetricInventoryHeld
	MetricUnsoldAtEvent = contract.MetricInventoryUnsoldAtEvent
)

// maxForecasts bounds the forecast panel: the items selling out first.
const maxForecasts = 10

// ItemForecast is one row of the sell-out forecast panel.
type ItemForecast struct {
	ItemID string `json:"item_id"`
	// RatePerHour is the smoothed depletion rate in units per hour.
	RatePerHour float64 `json:"rate_per_hour"`
	// Available is the last reported stock; Held the units in open
	// checkouts (null: not reported / no checkout data).
	Available *float64 `json:"available"`
	Held      *float64 `json:"held"`
	// SellOut is the projected sell-out time (null: not selling, or the
	// item's stock is not reported).
	SellOut *time.Time `json:"sell_out"`
	// UnsoldAtEvent is the stock projected to be left at the event date
	// (null: no event date configured).
	UnsoldAtEvent *float64 `json:"unsold_at_event"`
}

// forecasts lists the items with a depletion rate, those selling out
// first at the top.
func (b *Builder) forecasts() []ItemForecast {
	rows := map[string]*ItemForecast{}
	row := func(id string) *ItemForecast {
		if rows[id] == nil {
			rows[id] = &ItemForecast{ItemID: id}
		}
		return rows[id]
	}
	for _, g := range b.store.Gauges(MetricDepletionRate, nil) {
		if id := firstLabel(g.Labels, itemKeys); id != "" {
			row(id).RatePerHour = g.Value
		}
	}
	latest := func(name string, set func(*ItemForecast, float64)) {
		for _, g := range b.store.Gauges(name, nil) {
			if id := firstLabel(g.Labels, itemKeys); rows[id] != nil {
				set(rows[id], g.Value)
			}
		}
	}
	latest(MetricInventoryAvail, func(f *ItemForecast, v float64) { f.Available = ptr(v) })
	latest(MetricInventoryHeld, func(f *ItemForecast, v float64) { f.Held = ptr(v) })
	latest(MetricUnsoldAtEvent, func(f *ItemForecast, v float64) { f.UnsoldAtEvent = ptr(v) })
	latest(MetricSellOutTime, func(f *ItemForecast, v float64) {
		sec, frac := math.Modf(v)
		t := time.Unix(int64(sec), int64(frac*1e9)).UTC()
		if contract.WritableTime(t) { // else no JSON form: the document would fail
			f.SellOut = &t
		}
	})
	out := make([]ItemForecast, 0, len(rows))
	for _, f := range rows {
		out = append(out, *f)
	}
	slices.SortFunc(out, func(x, y ItemForecast) int {
		switch {
		case x.SellOut != nil && y.SellOut != nil:
			return cmp.Or(x.SellOut.Compare(*y.SellOut), cmp.Compare(x.ItemID, y.ItemID))
		case x.SellOut != nil:
			return -1
		case y.SellOut != nil:
			return 1
		}
		return cmp.Compare(x.ItemID, y.ItemID)
	})
	return out[:min(len(out), maxForecasts)]
}
