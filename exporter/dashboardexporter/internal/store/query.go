package store

import (
	"math"
	"sort"
	"strings"
	"time"
)

// Match selects series whose labels have these values; nil matches all.
type Match map[string]string

func (m Match) matches(l Labels) bool {
	for k, v := range m {
		if l.Get(k) != v {
			return false
		}
	}
	return true
}

// Totals of a group of counter series.
type Totals struct {
	Today, Yesterday, Month, LastMonth float64
	// Window is the sum over the queried window of recent minutes.
	Window float64
}

// GroupKey joins the values of the group-by labels; SplitKey undoes it.
func GroupKey(values ...string) string { return strings.Join(values, "\x1f") }

// SplitKey splits a GroupKey.
func SplitKey(key string) []string { return strings.Split(key, "\x1f") }

func groupOf(l Labels, by []string) string {
	if len(by) == 0 {
		return ""
	}
	vals := make([]string, len(by))
	for i, k := range by {
		vals[i] = l.Get(k)
	}
	return GroupKey(vals...)
}

// before runs rollover so every query sees the current day and month. It
// takes the write lock; queries are cheap and rare next to ingestion.
func (s *Store) before() (time.Time, func()) {
	s.mu.Lock()
	now := s.Now()
	s.rollover(now)
	return now, s.mu.Unlock
}

// Counters sums the counter series of metric name that match, grouped by the
// values of the labels in by ("" key without by). window is the span of
// recent minutes summed into Totals.Window.
func (s *Store) Counters(name string, match Match, window time.Duration, by ...string) map[string]Totals {
	now, unlock := s.before()
	defer unlock()
	minute, n := unixMinute(now), int(window/time.Minute)
	out := map[string]Totals{}
	for _, se := range s.byName[name] {
		if se.kind != KindCounter || !match.matches(se.labels) {
			continue
		}
		g := groupOf(se.labels, by)
		t := out[g]
		t.Today += se.today
		t.Yesterday += se.yesterday
		t.Month += se.month
		t.LastMonth += se.lastMonth
		if n > 0 {
			t.Window += se.ring.sum(minute, n)
		}
		out[g] = t
	}
	return out
}

// CounterMinutes returns the matching counters' per-minute sums over the last
// minutes minutes, summed into buckets of step minutes, oldest first; the
// last bucket ends with the current minute.
func (s *Store) CounterMinutes(name string, match Match, minutes, step int) []float64 {
	now, unlock := s.before()
	defer unlock()
	if step <= 0 {
		step = 1
	}
	minutes = min(minutes, Minutes)
	out := make([]float64, (minutes+step-1)/step)
	cur := unixMinute(now)
	first := cur - int64(len(out)*step) + 1
	for _, se := range s.byName[name] {
		if se.kind != KindCounter || !match.matches(se.labels) {
			continue
		}
		for k := first; k <= cur; k++ {
			out[int(k-first)/step] += se.ring.at(k)
		}
	}
	return out
}

// GaugePoint is the latest value of one gauge series.
type GaugePoint struct {
	Labels Labels
	Value  float64
	At     time.Time
}

// Gauges returns the latest value of every matching series of metric name,
// in no particular order.
func (s *Store) Gauges(name string, match Match) []GaugePoint {
	_, unlock := s.before()
	defer unlock()
	var out []GaugePoint
	for _, se := range s.byName[name] {
		if se.kind != KindGauge || se.gaugeAt.IsZero() || !match.matches(se.labels) {
			continue
		}
		out = append(out, GaugePoint{Labels: se.labels, Value: se.gauge, At: se.gaugeAt})
	}
	return out
}

// Quantile of a group of histogram series over a recent window.
type Quantile struct {
	// Value is NaN without observations in the window.
	Value float64
	Count float64
	Unit  string
}

// Quantiles computes the q-quantile of the matching histogram series of
// metric name over the last window minutes (at most the store's
// HistogramWindow), grouped by the values of the labels in by. Series with
// different bucket bounds merge by upper bound, which is exact for equal
// bounds and an approximation otherwise.
func (s *Store) Quantiles(name string, q float64, window time.Duration, match Match, by ...string) map[string]Quantile {
	now, unlock := s.before()
	defer unlock()
	minute, n := unixMinute(now), min(int(window/time.Minute), s.cfg.HistogramWindow)
	acc := map[string]map[float64]float64{}
	units := map[string]string{}
	for _, se := range s.byName[name] {
		if se.kind != KindHistogram || se.hist == nil || !match.matches(se.labels) {
			continue
		}
		g := groupOf(se.labels, by)
		if acc[g] == nil {
			acc[g] = map[float64]float64{}
			units[g] = se.unit
		}
		se.hist.addWindow(acc[g], minute, n)
	}
	out := make(map[string]Quantile, len(acc))
	for g, buckets := range acc {
		v, c := quantile(q, buckets)
		out[g] = Quantile{Value: v, Count: c, Unit: units[g]}
	}
	return out
}

// Names lists the metric names the store holds, sorted, with the time each
// was last seen.
func (s *Store) Names() map[string]time.Time {
	_, unlock := s.before()
	defer unlock()
	out := make(map[string]time.Time, len(s.byName))
	for name, list := range s.byName {
		var last time.Time
		for _, se := range list {
			if se.lastSeen.After(last) {
				last = se.lastSeen
			}
		}
		out[name] = last
	}
	return out
}

// SortedKeys returns the keys of a map sorted, for stable output.
func SortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Finite replaces NaN and infinities with 0 for JSON output.
func Finite(v float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0
	}
	return v
}
