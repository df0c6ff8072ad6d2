package dispatch

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"maps"
	"slices"
	"sort"
	"time"

	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/route"
	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/state"
	"github.com/otelcol-payments/otelcol-payments/internal/contract"
)

// Acknowledge stops the escalation of a firing alert and tells every
// channel that was paged (PagerDuty acknowledges the incident).
func (e *Engine) Acknowledge(fp, by string) (*state.Snapshot, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	st, ok := e.alerts[fp]
	if !ok {
		return nil, ErrUnknownAlert
	}
	if st.alert.Status != contract.AlertFiring {
		return nil, ErrNotFiring
	}
	now := e.clock.Now()
	if !st.acked {
		st.acked, st.ackedBy, st.ackedAt = true, by, now
		for _, k := range slices.Sorted(maps.Keys(e.groups)) {
			g := e.groups[k]
			if m, ok := g.members[fp]; ok && len(m.notified) > 0 {
				perChannel := map[string][]string{}
				for ch := range m.notified {
					perChannel[ch] = []string{fp}
				}
				e.send(g, m.level, true, perChannel, now)
			}
		}
	}
	return e.snapshotLocked(now), nil
}

// Resolve marks a firing alert resolved by hand; its groups flush at the
// next tick so the resolve goes out promptly.
func (e *Engine) Resolve(fp string) (*state.Snapshot, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	st, ok := e.alerts[fp]
	if !ok {
		return nil, ErrUnknownAlert
	}
	if st.alert.Status != contract.AlertFiring {
		return nil, ErrNotFiring
	}
	now := e.clock.Now()
	e.resolveLocked(st, now)
	return e.snapshotLocked(now), nil
}

// resolveLocked resolves a firing alert now; its groups flush at the next
// tick so the resolve goes out promptly.
func (e *Engine) resolveLocked(st *alertState, now time.Time) {
	st.alert.Status = contract.AlertResolved
	st.alert.EndsAt = now
	st.held = nil
	for _, g := range e.groups {
		if _, ok := g.members[st.alert.Fingerprint]; ok {
			g.nextFlush = now
		}
	}
	e.dirty = true
}

// MaxSilences bounds the silences created through the API: every one is
// matched against every alert at each tick and written with the state
// after every change, and a script creating them in a loop must not make
// either grow without end. Expired ones free their place.
const MaxSilences = 1000

// AddSilence validates and stores a silence, assigning its id.
func (e *Engine) AddSilence(s route.Silence) (route.Silence, *state.Snapshot, error) {
	now := e.clock.Now()
	if s.StartsAt.IsZero() {
		s.StartsAt = now
	}
	if err := s.Compile(); err != nil {
		return route.Silence{}, nil, err
	}
	if s.Expired(now) {
		return route.Silence{}, nil, errors.New("silence ends in the past")
	}
	var id [8]byte
	_, _ = rand.Read(id[:])
	s.ID = hex.EncodeToString(id[:])
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.silences) >= MaxSilences {
		return route.Silence{}, nil, ErrTooManySilences
	}
	e.silences[s.ID] = &s
	return s, e.snapshotLocked(now), nil
}

// ExpireSilence ends an API silence now.
func (e *Engine) ExpireSilence(id string) (*state.Snapshot, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, ok := e.silences[id]; !ok {
		return nil, ErrUnknownSilence
	}
	delete(e.silences, id)
	return e.snapshotLocked(e.clock.Now()), nil
}

// Silences lists active and pending silences (config ones included).
func (e *Engine) Silences() []route.Silence {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.clock.Now()
	var out []route.Silence
	for _, s := range e.activeSilences() {
		if !s.Expired(now) {
			out = append(out, *s)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].StartsAt.Before(out[j].StartsAt) })
	return out
}
