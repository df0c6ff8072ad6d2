package engine

import "maps"

// Prometheus' increase() and rate() cannot count a series' first sample:
// a label combination that first appears with a value loses that value.
// So every cumulative series is emitted at 0 in the emission where it
// first appears (stage new → zeroed) and with its value from the next one
// on (zeroed → live). With scrape_interval ≤ emit_interval, Prometheus
// scrapes the 0 before the value. Stages are engine state: journaled (an
// emission that advances a stage writes a record) and in the snapshot, so
// a live series never drops back to 0 after a restart, which Prometheus
// would read as a counter reset and count twice.
const (
	stageNew uint8 = iota // absent from the map
	stageZeroed
	stageLive
)

// stages are the emission stages of the cumulative series, per key of the
// aggregate maps they follow.
type stages struct {
	money     map[moneyKey]uint8 // revenue, revenue.reporting, orders
	refund    map[moneyKey]uint8 // refunds, refunds.amount
	attempt   map[attemptKey]uint8
	failure   map[failureKey]uint8
	duration  map[durationKey]uint8
	segment   map[string]uint8
	invalid   map[invalidKey]uint8
	duplicate map[string]uint8
	folded    map[string]uint8
	late      map[string]uint8
	funnel    [5]uint8
	segments  map[segKey]uint8 // segment.revenue, .orders, .visits
}

func (s *stages) init() {
	s.money, s.refund = map[moneyKey]uint8{}, map[moneyKey]uint8{}
	s.attempt = map[attemptKey]uint8{}
	s.failure = map[failureKey]uint8{}
	s.duration = map[durationKey]uint8{}
	s.segment, s.duplicate, s.late = map[string]uint8{}, map[string]uint8{}, map[string]uint8{}
	s.folded = map[string]uint8{}
	s.invalid = map[invalidKey]uint8{}
	s.segments = map[segKey]uint8{}
}

func advanceMap[K comparable, V any](st map[K]uint8, m map[K]V) {
	for k := range m {
		if st[k] < stageLive {
			st[k]++
		}
	}
}

func pendingMap[K comparable, V any](st map[K]uint8, m map[K]V) bool {
	for k := range m {
		if st[k] < stageLive {
			return true
		}
	}
	return false
}

// advance moves every series of a one step on, as an emission does.
func (s *stages) advance(a *aggregates) {
	advanceMap(s.money, a.revenue)
	advanceMap(s.refund, a.refunds)
	advanceMap(s.attempt, a.attempts)
	advanceMap(s.failure, a.failures)
	advanceMap(s.duration, a.durations)
	advanceMap(s.segment, a.segmentOrders)
	advanceMap(s.invalid, a.invalid)
	advanceMap(s.duplicate, a.duplicates)
	advanceMap(s.folded, a.folded)
	advanceMap(s.late, a.late)
	advanceMap(s.segments, a.segments)
	for i := range s.funnel {
		if s.funnel[i] < stageLive {
			s.funnel[i]++
		}
	}
}

// pending reports whether an emission would advance any series.
func (s *stages) pending(a *aggregates) bool {
	for _, st := range s.funnel {
		if st < stageLive {
			return true
		}
	}
	return pendingMap(s.money, a.revenue) || pendingMap(s.refund, a.refunds) ||
		pendingMap(s.attempt, a.attempts) || pendingMap(s.failure, a.failures) ||
		pendingMap(s.duration, a.durations) || pendingMap(s.segment, a.segmentOrders) ||
		pendingMap(s.invalid, a.invalid) || pendingMap(s.duplicate, a.duplicates) ||
		pendingMap(s.late, a.late) || pendingMap(s.segments, a.segments) ||
		pendingMap(s.folded, a.folded)
}

func forgetZeroed[K comparable](st map[K]uint8) bool {
	n := len(st)
	maps.DeleteFunc(st, func(_ K, v uint8) bool { return v == stageZeroed })
	return len(st) != n
}

// restarted sends the zeroed series back to new after a restart: their 0
// may never have reached the exporter (a kill right after the emission was
// journaled), and showing 0 once more is harmless, while a live series
// stays live. It reports whether any series went back.
func (s *stages) restarted() bool {
	changed := false
	for _, forgot := range []bool{
		forgetZeroed(s.money), forgetZeroed(s.refund), forgetZeroed(s.attempt),
		forgetZeroed(s.failure), forgetZeroed(s.duration), forgetZeroed(s.segment),
		forgetZeroed(s.invalid), forgetZeroed(s.duplicate), forgetZeroed(s.late),
		forgetZeroed(s.segments), forgetZeroed(s.folded),
	} {
		changed = changed || forgot
	}
	for i, v := range s.funnel {
		if v == stageZeroed {
			s.funnel[i], changed = stageNew, true
		}
	}
	return changed
}

// shown is the value a series of the given stage is emitted with.
func shown[N int64 | uint64 | float64](stage uint8, v N) N {
	if stage == stageLive {
		return v
	}
	return 0
}
