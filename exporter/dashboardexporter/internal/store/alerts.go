package store

import (
	"bytes"
	"encoding/gob"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/otelcol-payments/otelcol-payments/internal/contract"
)

// AlertEntry is an alert as the dashboard tracks it.
type AlertEntry struct {
	contract.Alert
	// LastUpdate is when the dashboard last received this alert.
	LastUpdate time.Time
	// AckedAt is set once an operator acknowledged the alert on the dashboard.
	AckedAt time.Time
}

// Alerts tracks firing alerts by fingerprint and keeps a short list of
// recently resolved ones. It is bounded: firing alerts beyond maxActive are
// dropped and counted (a more severe one takes the place of the least
// severe), resolved ones beyond maxResolved or older than 24
// hours are forgotten.
type Alerts struct {
	mu          sync.Mutex
	now         func() time.Time
	maxActive   int
	maxResolved int
	active      map[string]*AlertEntry
	resolved    []AlertEntry // oldest first
	dropped     int64
	lastApplied time.Time
}

// NewAlerts returns an empty alert book.
func NewAlerts(now func() time.Time, maxActive, maxResolved int) *Alerts {
	return &Alerts{now: now, maxActive: maxActive, maxResolved: maxResolved, active: map[string]*AlertEntry{}}
}

// Apply records a firing or resolved alert. A firing alert that gets more
// severe loses its acknowledgement.
func (a *Alerts) Apply(al contract.Alert) {
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.now()
	a.lastApplied = now
	cur, ok := a.active[al.Fingerprint]
	if al.Status == contract.AlertResolved {
		if ok {
			delete(a.active, al.Fingerprint)
			entry := AlertEntry{Alert: al, LastUpdate: now, AckedAt: cur.AckedAt}
			a.resolved = append(a.resolved, entry)
		} else {
			a.resolved = append(a.resolved, AlertEntry{Alert: al, LastUpdate: now})
		}
		a.trimResolved(now)
		return
	}
	if !ok {
		if len(a.active) >= a.maxActive && !a.evictFor(al.Severity) {
			a.dropped++
			return
		}
		a.active[al.Fingerprint] = &AlertEntry{Alert: al, LastUpdate: now}
		return
	}
	acked := cur.AckedAt
	if contract.SeverityRank(al.Severity) > contract.SeverityRank(cur.Severity) {
		acked = time.Time{}
	}
	if cur.StartsAt.Before(al.StartsAt) && !cur.StartsAt.IsZero() {
		al.StartsAt = cur.StartsAt
	}
	*cur = AlertEntry{Alert: al, LastUpdate: now, AckedAt: acked}
}

// evictFor makes room for an alert of severity when the book is full: the
// least recently updated firing alert of the lowest severity below it is
// dropped and counted, so a flood of low-severity alerts cannot hide a
// critical one. False when none is less severe.
func (a *Alerts) evictFor(severity string) bool {
	victim, ok := contract.EvictionVictim(maps.Values(a.active), severity,
		func(e *AlertEntry) (string, time.Time, string, bool) {
			return e.Severity, e.LastUpdate, e.Fingerprint, true
		})
	if !ok {
		return false
	}
	delete(a.active, victim.Fingerprint)
	a.dropped++
	return true
}

func (a *Alerts) trimResolved(now time.Time) {
	cutoff := now.Add(-24 * time.Hour)
	i := 0
	for i < len(a.resolved) && (len(a.resolved)-i > a.maxResolved || a.resolved[i].LastUpdate.Before(cutoff)) {
		i++
	}
	a.resolved = slices.Delete(a.resolved, 0, i)
}

// Ack acknowledges the firing alert with this fingerprint; false when there
// is none.
func (a *Alerts) Ack(fingerprint string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	cur, ok := a.active[fingerprint]
	if ok && cur.AckedAt.IsZero() {
		cur.AckedAt = a.now()
	}
	return ok
}

// Active returns the firing alerts, most severe first, then newest first.
func (a *Alerts) Active() []AlertEntry {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make([]AlertEntry, 0, len(a.active))
	for _, e := range a.active {
		out = append(out, *e)
	}
	slices.SortFunc(out, func(x, y AlertEntry) int {
		if d := contract.SeverityRank(y.Severity) - contract.SeverityRank(x.Severity); d != 0 {
			return d
		}
		if c := y.StartsAt.Compare(x.StartsAt); c != 0 {
			return c
		}
		return strings.Compare(x.Fingerprint, y.Fingerprint)
	})
	return out
}

// Resolved returns the recently resolved alerts, newest first.
func (a *Alerts) Resolved() []AlertEntry {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.trimResolved(a.now())
	out := slices.Clone(a.resolved)
	slices.Reverse(out)
	return out
}

// Dropped is the number of firing alerts dropped because the book was full.
func (a *Alerts) Dropped() int64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.dropped
}

// LastApplied is when the book last received an alert; zero when never.
func (a *Alerts) LastApplied() time.Time {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.lastApplied
}

// alertsState is what MarshalState keeps: gob, because alert values may be
// NaN, which JSON cannot hold.
type alertsState struct {
	Active   []AlertEntry
	Resolved []AlertEntry
	Dropped  int64
}

// MarshalState encodes the book (firing alerts with their acknowledgements,
// the recently resolved ones) for a storage extension.
func (a *Alerts) MarshalState() ([]byte, error) {
	a.mu.Lock()
	st := alertsState{Active: make([]AlertEntry, 0, len(a.active)), Resolved: slices.Clone(a.resolved), Dropped: a.dropped}
	for _, e := range a.active {
		st.Active = append(st.Active, *e)
	}
	a.mu.Unlock()
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(st); err != nil {
		return nil, fmt.Errorf("encode dashboard alerts: %w", err)
	}
	return buf.Bytes(), nil
}

// RestoreState replaces the book with one MarshalState encoded. Alerts
// applied since (none, at start) would be lost, so it is for Start only.
func (a *Alerts) RestoreState(b []byte) error {
	var st alertsState
	if err := gob.NewDecoder(bytes.NewReader(b)).Decode(&st); err != nil {
		return fmt.Errorf("decode dashboard alerts: %w", err)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.active = make(map[string]*AlertEntry, len(st.Active))
	for i := range st.Active {
		if len(a.active) >= a.maxActive {
			a.dropped++
			continue
		}
		e := st.Active[i]
		a.active[e.Fingerprint] = &e
	}
	a.resolved = st.Resolved
	a.dropped += st.Dropped
	a.trimResolved(a.now())
	return nil
}
