package state

import (
	"encoding/json"
	"fmt"
	"math"
)

// SnapshotVersion is bumped when Snapshot changes incompatibly; a snapshot
// of another version is ignored rather than misread.
const SnapshotVersion = 1

// Snapshot is what survives a restart: the firing alerts, so that a restart
// neither fires them again nor forgets to resolve them.
type Snapshot struct {
	Version int           `json:"version"`
	Alerts  []FiringAlert `json:"alerts"`
}

// FiringAlert is one firing series. Times are Unix nanoseconds.
type FiringAlert struct {
	Rule     string `json:"rule"`
	Severity string `json:"severity"`
	// Key holds separator bytes that are not UTF-8, so it travels as bytes.
	Key          []byte   `json:"key"`
	Labels       []string `json:"labels"`
	Fingerprint  string   `json:"fingerprint"`
	StartsAt     int64    `json:"starts_at"`
	LastBad      int64    `json:"last_bad"`
	LastNotified int64    `json:"last_notified"`
	// Value and Threshold are nil when not finite (JSON has no NaN).
	Value     *float64 `json:"value,omitempty"`
	Threshold *float64 `json:"threshold,omitempty"`
	TraceID   [16]byte `json:"trace_id"`
	SpanID    [8]byte  `json:"span_id"`
}

// Finite returns a pointer to v, or nil when v is NaN or infinite.
func Finite(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}

// OrNaN dereferences p, NaN for nil.
func OrNaN(p *float64) float64 {
	if p == nil {
		return math.NaN()
	}
	return *p
}

// Encode serialises a snapshot.
func (s Snapshot) Encode() ([]byte, error) {
	s.Version = SnapshotVersion
	return json.Marshal(s)
}

// DecodeSnapshot parses a stored snapshot; empty input is an empty snapshot.
func DecodeSnapshot(b []byte) (Snapshot, error) {
	var s Snapshot
	if len(b) == 0 {
		return s, nil
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return Snapshot{}, fmt.Errorf("decode alert state: %w", err)
	}
	if s.Version != SnapshotVersion {
		return Snapshot{}, fmt.Errorf("alert state version %d, want %d", s.Version, SnapshotVersion)
	}
	return s, nil
}
