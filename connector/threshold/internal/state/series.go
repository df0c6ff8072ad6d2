// Package state keeps alert series: their Prometheus-style state machine
// (inactive → pending → firing → resolved), a bounded store that evicts the
// least recently updated series, and the snapshot persisted across restarts.
package state

import (
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/otelcol-payments/otelcol-payments/connector/threshold/internal/rules"
)

// Status of a series.
type Status uint8

const (
	Inactive Status = iota
	Pending
	Firing
)

// Verdict is a rule condition evaluated for one series.
type Verdict uint8

const (
	// Unknown: not enough data (fewer samples than min_samples, warm-up,
	// stale metric).
	Unknown Verdict = iota
	Clear
	Bad
)

// Transition is what a Step did that must be reported.
type Transition uint8

const (
	None Transition = iota
	Fired
	Renotified
	Resolved
)

// Timing holds a rule's durations.
type Timing struct {
	For           time.Duration
	KeepFiringFor time.Duration
	Cooldown      time.Duration
	// UnknownGrace is how long a firing series may lack data before it
	// resolves (the rule's window or staleness).
	UnknownGrace time.Duration
}

// Series is the state of one rule for one set of grouping label values.
// Times are Unix nanoseconds.
type Series struct {
	Rule int
	Key  string
	// Labels are grouping labels as key, value pairs (a map costs far more
	// memory per series).
	Labels      []string
	Fingerprint string

	Status       Status
	ActiveAt     int64
	StartsAt     int64
	LastBad      int64
	LastNotified int64
	LastSeen     int64
	// NoData: the last resolve happened for lack of data, not recovery.
	NoData bool

	// Value and Threshold are the last evaluated figures, for the alert.
	Value, Threshold float64
	TraceID          pcommon.TraceID
	SpanID           pcommon.SpanID

	// Windowed rules (latency, ratio).
	Epochs []int64
	Counts []uint32

	// Metric and anomaly rules: the last sample.
	Last     float64
	LastAt   int64 // sample time (anomaly rates) or arrival time (metric staleness)
	HasLast  bool
	Ref      float64 // metric rules with relative_to: the reference value
	HasRef   bool
	Baseline rules.EWMA
	Verdict  Verdict // anomaly: verdict of the last sample
	Still    Verdict // anomaly: hysteresis verdict of the last sample
	BadSince int64   // anomaly: time of the first of the current run of anomalous samples
	// Hourly are the anomaly baselines per hour of day (seasonality).
	Hourly *rules.HourlyBaselines
	// Absence rules: the learned arrival rate.
	Rate *rules.ArrivalRate

	prev, next *Series // LRU list, most recent at the head
}

// Step advances the state machine at time now. cond is the firing condition;
// still is the condition against the resolve threshold (hysteresis), which
// keeps a firing series firing.
func (s *Series) Step(now int64, cond, still Verdict, t Timing) Transition {
	switch s.Status {
	case Inactive, Pending:
		if cond != Bad {
			s.Status = Inactive
			return None
		}
		if s.Status == Inactive {
			s.Status, s.ActiveAt = Pending, now
		}
		if now-s.ActiveAt < int64(t.For) {
			return None
		}
		s.Status, s.StartsAt, s.LastBad, s.LastNotified = Firing, s.ActiveAt, now, now
		return Fired
	case Firing:
		if still == Bad {
			s.LastBad = now
			if t.Cooldown > 0 && now-s.LastNotified >= int64(t.Cooldown) {
				s.LastNotified = now
				return Renotified
			}
			return None
		}
		grace := t.KeepFiringFor
		if still == Unknown {
			grace = max(grace, t.UnknownGrace)
		}
		if now-s.LastBad < int64(grace) {
			return None
		}
		s.Status, s.NoData = Inactive, still == Unknown
		return Resolved
	}
	return None
}

// LabelMap returns the labels as a map.
func (s *Series) LabelMap() map[string]string {
	m := make(map[string]string, len(s.Labels)/2)
	for i := 0; i+1 < len(s.Labels); i += 2 {
		m[s.Labels[i]] = s.Labels[i+1]
	}
	return m
}
