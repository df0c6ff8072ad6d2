package engine

import (
	"cmp"
	"math"
	"slices"
	"time"

	"github.com/otelcol-payments/otelcol-payments/internal/contract"
)

// ForecastSettings configure the inventory forecast: how fast each item
// sells (depletion), when it sells out at that pace, and the stock held by
// open checkouts (reservations).
type ForecastSettings struct {
	// Bucket is the sales bucket of the depletion rate (default 5m).
	Bucket time.Duration
	// HalfLife is the age at which a bucket's sales weigh half in the rate
	// (default 1h): shorter follows a new pace sooner, longer is steadier.
	HalfLife time.Duration
	// ReservationTimeout is when an open checkout counts as abandoned and
	// its units as free again (default 30m).
	ReservationTimeout time.Duration
	// MaxOpenCheckouts bounds the checkouts remembered (default 100000).
	MaxOpenCheckouts int
	// EventDate is when the goods stop being sold (a festival's opening);
	// EventDates overrides it per item id. Zero: no event-date metric.
	EventDate  time.Time
	EventDates map[string]time.Time
}

func (f ForecastSettings) withDefaults() ForecastSettings {
	if f.Bucket <= 0 {
		f.Bucket = 5 * time.Minute
	}
	if f.HalfLife <= 0 {
		f.HalfLife = time.Hour
	}
	if f.ReservationTimeout <= 0 {
		f.ReservationTimeout = 30 * time.Minute
	}
	if f.MaxOpenCheckouts <= 0 {
		f.MaxOpenCheckouts = 100_000
	}
	return f
}

// Burst clipping: a closed bucket counts at most burstFactor times the
// current rate plus burstSlack units, once burstWarmup buckets are in the
// rate. One 50-ticket group order then moves the rate a little, while a
// pace that really doubled is followed within a few buckets (each may
// triple the rate's contribution).
const (
	burstFactor = 3
	burstSlack  = 5
	burstWarmup = 3
)

// depletion is the sales pace of one item: an exponentially weighted mean
// of the units sold per closed bucket (weight makes it unbiased while few
// buckets are in: rate/weight is the plain mean of the first ones).
type depletion struct {
	bucket  int64   // index of the current bucket (unix ns / bucket length)
	current int64   // units sold in the current bucket
	rate    float64 // EWMA of clipped units per closed bucket
	weight  float64 // total EWMA weight of the closed buckets (→ 1)
	closed  int64   // closed buckets folded
}

// roll closes the buckets before index b; alpha is the EWMA factor.
func (d *depletion) roll(b int64, alpha float64) {
	if b <= d.bucket {
		return
	}
	x := float64(d.current)
	if d.closed >= burstWarmup {
		x = min(x, burstFactor*d.perBucket()+burstSlack)
	}
	d.rate = (1-alpha)*d.rate + alpha*x
	d.weight = (1-alpha)*d.weight + alpha
	d.closed++
	if empty := b - d.bucket - 1; empty > 0 {
		decay := math.Pow(1-alpha, float64(empty))
		d.rate *= decay
		d.weight = d.weight*decay + (1 - decay)
		d.closed += empty
	}
	d.bucket, d.current = b, 0
}

// perBucket is the estimated units sold per bucket.
func (d *depletion) perBucket() float64 {
	if d.weight <= 0 {
		return 0
	}
	return d.rate / d.weight
}

// holding is the stock one open checkout holds, since at (unix ns).
type holding struct {
	at    int64
	items []itemQty
}

// forecastAlpha is the EWMA factor per bucket for the half-life.
func (f ForecastSettings) alpha() float64 {
	return 1 - math.Exp2(-f.Bucket.Seconds()/f.HalfLife.Seconds())
}

func (f ForecastSettings) bucketOf(now time.Time) int64 { return now.UnixNano() / int64(f.Bucket) }

// pace returns the item's depletion, created at now's bucket.
func (e *Engine) pace(item string, now time.Time) *depletion {
	a := &e.agg
	d := a.depletion[item]
	if d == nil {
		d = &depletion{bucket: e.fc.bucketOf(now)}
		a.depletion[item] = d
	}
	d.roll(e.fc.bucketOf(now), e.fc.alpha())
	return d
}

// observeForecast applies the forecast side of a counted event: a
// purchase's units to the sales pace and closing its checkout, a
// begin_checkout opening one, a release closing one, an inventory level
// starting an item's pace. e.mu must be held.
func (e *Engine) observeForecast(ev *event, now time.Time) {
	a := &e.agg
	switch {
	case ev.kind == kindPurchase:
		for _, it := range ev.items {
			e.pace(e.items.value(it.id), now).current += it.qty
		}
		if ev.hasRes {
			delete(a.held, ev.resKey)
		}
	case ev.kind == kindRelease:
		if ev.hasRes {
			delete(a.held, ev.resKey)
		}
	case ev.kind == kindFunnel && ev.step == stepBeginCheckout:
		if !ev.hasRes || len(ev.items) == 0 {
			return
		}
		if _, open := a.held[ev.resKey]; !open && len(a.held) >= e.fc.MaxOpenCheckouts {
			e.expireHeld(now)
			if len(a.held) >= e.fc.MaxOpenCheckouts {
				a.heldDropped++
				return
			}
		}
		items := make([]itemQty, len(ev.items))
		for i, it := range ev.items {
			items[i] = itemQty{id: e.items.value(it.id), qty: it.qty}
		}
		a.held[ev.resKey] = holding{at: now.UnixNano(), items: items}
	case ev.kind == kindInventory && ev.itemID != "":
		e.pace(e.items.value(ev.itemID), now)
	}
}

// expireHeld forgets checkouts open longer than the timeout: abandoned.
func (e *Engine) expireHeld(now time.Time) {
	cutoff := now.Add(-e.fc.ReservationTimeout).UnixNano()
	for k, h := range e.agg.held {
		if h.at <= cutoff {
			delete(e.agg.held, k)
		}
	}
}

// ItemForecast is the forecast of one item as of an emission; the
// executive summary and the dashboard read these.
type ItemForecast struct {
	Item string
	// RatePerHour is the smoothed depletion rate in units per hour; it
	// is known (Paced) once the item's first sales bucket has closed.
	// Before, a sale in the open bucket has no pace yet: a rate of 0
	// would read "not selling" and project all stock unsold.
	RatePerHour float64
	Paced       bool
	// Available is the last reported available stock (HasAvailable).
	Available    int64
	HasAvailable bool
	// Held is the units in open checkouts.
	Held int64
	// SellOut is the projected sell-out time at the current pace (zero
	// when the item is not selling or its stock is unknown).
	SellOut time.Time
	// EventDate is the item's event date (zero: none); UnsoldAtEvent the
	// units projected to be left then.
	EventDate     time.Time
	UnsoldAtEvent float64
}

// Forecasts returns the forecast of every item, sorted by item id.
func (e *Engine) Forecasts() []ItemForecast {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.forecasts(e.now())
}

// forecasts computes the item forecasts at now. e.mu must be held.
func (e *Engine) forecasts(now time.Time) []ItemForecast {
	a := &e.agg
	e.expireHeld(now)
	held := map[string]int64{}
	for _, h := range a.held {
		for _, it := range h.items {
			held[it.id] += it.qty
		}
	}
	items := map[string]struct{}{}
	for item := range a.depletion {
		items[item] = struct{}{}
	}
	for item := range held {
		items[item] = struct{}{}
	}
	out := make([]ItemForecast, 0, len(items))
	perHour := float64(time.Hour) / float64(e.fc.Bucket)
	for item := range items {
		f := ItemForecast{Item: item, Held: held[item]}
		if d := a.depletion[item]; d != nil {
			d.roll(e.fc.bucketOf(now), e.fc.alpha())
			f.RatePerHour, f.Paced = d.perBucket()*perHour, d.closed > 0
		}
		if s, ok := a.stock[item]; ok && s.hasAvailable {
			f.Available, f.HasAvailable = s.available, true
		}
		named := item != Overflow && item != Unknown
		if named && f.Paced && f.HasAvailable && f.RatePerHour > 0 {
			hours := float64(f.Available) / f.RatePerHour
			f.SellOut = now.Add(time.Duration(min(hours, 24*365*10) * float64(time.Hour)))
		}
		if date := e.eventDate(item); named && f.Paced && f.HasAvailable && date.After(now) {
			f.EventDate = date
			f.UnsoldAtEvent = max(0, float64(f.Available)-f.RatePerHour*date.Sub(now).Hours())
		}
		out = append(out, f)
	}
	slices.SortFunc(out, func(x, y ItemForecast) int { return cmp.Compare(x.Item, y.Item) })
	return out
}

func (e *Engine) eventDate(item string) time.Time {
	if d, ok := e.fc.EventDates[item]; ok {
		return d
	}
	return e.fc.EventDate
}

func (e *Engine) emitForecast(m *emitter, now time.Time) {
	fs := e.forecasts(now)
	rate := m.gauge(MetricInventoryDepletionRate, "{item}/h", "Units sold per hour, smoothed over buckets with bursts clipped.")
	hours := m.gauge(MetricInventorySellOutHours, "h", "Hours until the item sells out at its current depletion rate.")
	at := m.gauge(MetricInventorySellOutTime, "s", "Projected sell-out time at the current depletion rate, in Unix seconds.")
	held := m.gauge(MetricInventoryHeld, "{item}", "Units held by open checkouts (begin_checkout until purchase, release or the reservation timeout).")
	unsold := m.gauge(MetricInventoryUnsoldAtEvent, "{item}", "Units projected to be left unsold at the item's event date at the current pace.")
	for _, f := range fs {
		attrs := []string{contract.InventoryItemID, f.Item}
		if f.Paced {
			m.point(rate, false, attrs...).SetDoubleValue(f.RatePerHour)
		}
		m.point(held, false, attrs...).SetIntValue(f.Held)
		if !f.SellOut.IsZero() {
			m.point(hours, false, attrs...).SetDoubleValue(f.SellOut.Sub(now).Hours())
			m.point(at, false, attrs...).SetDoubleValue(float64(f.SellOut.Unix()))
		}
		if !f.EventDate.IsZero() {
			m.point(unsold, false, attrs...).SetDoubleValue(f.UnsoldAtEvent)
		}
	}
	if e.agg.heldDropped > 0 {
		m.point(m.sum(MetricDroppedCheckouts, "{checkout}", "Checkouts not tracked for held stock because max_open_checkouts were open."), true).
			SetIntValue(e.agg.heldDropped)
	}
}
