package rules

import (
	"math"
	"time"
)

const (
	// recentAlpha weighs one minute in the recent arrival rate: about an
	// hour of memory, so a short lull moves the expectation little.
	recentAlpha = 1.0 / 60
	// dayAlpha weighs one day in an hour of day's rate: an outage day
	// lowers tomorrow's expectation for those hours by 30 %, not to zero.
	dayAlpha = 0.3
	// minHourMinutes is how much of an hour must have been seen for it to
	// count for that hour of day (a series born at :50 does not).
	minHourMinutes = 30
	minuteNanos    = int64(time.Minute)
	// maxFoldMinutes bounds the work of catching up after a long gap.
	maxFoldMinutes = 2 * 24 * 60
)

// ArrivalRate learns how many items arrive per minute, from per-minute
// counts: a recent rate (EWMA over minutes) and, per hour of day in the
// rule's time zone, the average over days. The recent rate does not learn
// while the caller says so (an absence alert is pending or firing), so a
// stop does not teach it that silence is normal; hours of day always
// learn, so quiet nights become known even when the first one paged.
type ArrivalRate struct {
	slot  int64 // start of the current minute, Unix ns; 0 before the first item
	count uint32

	Recent  float64
	RecentN uint32

	Hourly     [24]float32
	HourlyDays [24]uint16
	// the hour being accumulated: its key (day*24+hour), sum and minutes
	hourKey     int
	hourSum     uint32
	hourMinutes uint16
}

// Add counts one item at now.
func (r *ArrivalRate) Add(now int64, loc *time.Location, learnRecent bool) {
	r.Roll(now, loc, learnRecent)
	r.count++
}

// Roll closes the minutes that ended by now.
func (r *ArrivalRate) Roll(now int64, loc *time.Location, learnRecent bool) {
	cur := now - now%minuteNanos
	if r.slot == 0 {
		r.slot, r.hourKey = cur, hourKey(cur, loc)
		return
	}
	if cur <= r.slot {
		return
	}
	elapsed := min((cur-r.slot)/minuteNanos, maxFoldMinutes)
	for i := range elapsed {
		v := uint32(0)
		if i == 0 {
			v = r.count
		}
		r.fold(r.slot+i*minuteNanos, v, loc, learnRecent)
	}
	r.slot, r.count = cur, 0
}

func (r *ArrivalRate) fold(minuteStart int64, v uint32, loc *time.Location, learnRecent bool) {
	if learnRecent {
		// A running mean until the EWMA's memory is filled, so the first
		// hour is not biased towards the first minute.
		r.RecentN = min(r.RecentN+1, math.MaxUint32-1)
		a := max(recentAlpha, 1/float64(r.RecentN))
		r.Recent += a * (float64(v) - r.Recent)
	}
	if k := hourKey(minuteStart, loc); k != r.hourKey {
		r.closeHour()
		r.hourKey = k
	}
	r.hourSum += v
	r.hourMinutes++
}

func (r *ArrivalRate) closeHour() {
	if r.hourMinutes >= minHourMinutes {
		h := r.hourKey % 24
		v := float32(float64(r.hourSum) / float64(r.hourMinutes))
		if r.HourlyDays[h] == 0 {
			r.Hourly[h] = v
		} else {
			r.Hourly[h] += dayAlpha * (v - r.Hourly[h])
		}
		r.HourlyDays[h] = min(r.HourlyDays[h]+1, math.MaxUint16-1)
	}
	r.hourSum, r.hourMinutes = 0, 0
}

func hourKey(t int64, loc *time.Location) int {
	lt := time.Unix(0, t).In(loc)
	return lt.YearDay()*24 + lt.Hour()
}

// PerMinute returns the expected items per minute at now: the rate of this
// hour of day once one such hour was seen, otherwise the recent rate once
// warmup minutes were seen. ok is false before either.
func (r *ArrivalRate) PerMinute(now int64, loc *time.Location, warmup uint32) (perMinute float64, ok bool) {
	h := time.Unix(0, now).In(loc).Hour()
	if r.HourlyDays[h] > 0 {
		return float64(r.Hourly[h]), true
	}
	if r.RecentN >= max(warmup, 1) {
		return r.Recent, true
	}
	return 0, false
}

// ArrivalRateState is an ArrivalRate as persisted across restarts.
type ArrivalRateState struct {
	Slot        int64
	Count       uint32
	Recent      float64
	RecentN     uint32
	Hourly      [24]float32
	HourlyDays  [24]uint16
	HourKey     int
	HourSum     uint32
	HourMinutes uint16
}

// State returns r for persisting.
func (r *ArrivalRate) State() ArrivalRateState {
	return ArrivalRateState{
		Slot: r.slot, Count: r.count, Recent: r.Recent, RecentN: r.RecentN,
		Hourly: r.Hourly, HourlyDays: r.HourlyDays,
		HourKey: r.hourKey, HourSum: r.hourSum, HourMinutes: r.hourMinutes,
	}
}

// Restore sets r to a persisted state; the minutes that passed since are
// folded in at the next Add or Roll, as after any gap.
func (r *ArrivalRate) Restore(s ArrivalRateState) {
	*r = ArrivalRate{
		slot: s.Slot, count: s.Count, Recent: s.Recent, RecentN: s.RecentN,
		Hourly: s.Hourly, HourlyDays: s.HourlyDays,
		hourKey: s.HourKey, hourSum: s.HourSum, hourMinutes: s.HourMinutes,
	}
}
