package dispatch

import (
	"encoding/hex"
	"fmt"
	"maps"
	"math"
	"slices"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/channel"
	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/state"
	"github.com/otelcol-payments/otelcol-payments/internal/contract"
)

// Snapshot returns the current state for persisting.
func (e *Engine) Snapshot() *state.Snapshot {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.snapshotLocked(e.clock.Now())
}

func (e *Engine) snapshotLocked(now time.Time) *state.Snapshot {
	e.seq++
	snap := &state.Snapshot{Version: state.Version, SavedAt: now, Seq: e.seq}
	for _, fp := range slices.Sorted(maps.Keys(e.alerts)) {
		st := e.alerts[fp]
		snap.Alerts = append(snap.Alerts, storeAlert(st))
	}
	for _, k := range slices.Sorted(maps.Keys(e.groups)) {
		g := e.groups[k]
		sg := state.Group{Key: g.key, RouteID: g.route.ID, Labels: g.labels, NextFlush: g.nextFlush, LastNotified: g.lastNotified}
		for _, fp := range slices.Sorted(maps.Keys(g.members)) {
			m := g.members[fp]
			sg.Members = append(sg.Members, state.Member{
				Fingerprint: fp, Level: m.level, LevelAt: m.levelAt,
				Notified: slices.Sorted(maps.Keys(m.notified)), LastFiring: m.lastFiring,
			})
		}
		snap.Groups = append(snap.Groups, sg)
	}
	for _, id := range slices.Sorted(maps.Keys(e.silences)) {
		snap.Silences = append(snap.Silences, *e.silences[id])
	}
	for _, id := range slices.Sorted(maps.Keys(e.outbox)) {
		n := e.outbox[id]
		p := state.Pending{
			ID: id, Channel: n.Channel, Receiver: n.Receiver, GroupKey: n.GroupKey,
			GroupLabels: n.GroupLabels, CommonLabels: n.CommonLabels, Level: n.Level,
			Acknowledged: n.Acknowledged, ExternalURL: n.ExternalURL,
			Delivered: n.DeliveredTo(),
		}
		for _, a := range n.Alerts {
			p.Alerts = append(p.Alerts, storeAlert(&alertState{alert: a}))
		}
		snap.Pending = append(snap.Pending, p)
	}
	return snap
}

// Restore loads a snapshot into an empty engine. Groups whose route no
// longer exists (config changed) are dropped and their alerts re-routed;
// notified channels that no longer exist are forgotten.
func (e *Engine) Restore(snap *state.Snapshot) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.clock.Now()
	for _, sa := range snap.Alerts {
		e.alerts[sa.Fingerprint] = loadAlert(sa)
	}
	for _, sg := range snap.Groups {
		r, ok := e.routes[sg.RouteID]
		if !ok {
			continue
		}
		g := &group{key: sg.Key, route: r, labels: sg.Labels, nextFlush: sg.NextFlush, lastNotified: sg.LastNotified, members: map[string]*member{}}
		if g.labels == nil {
			g.labels = map[string]string{}
		}
		for _, sm := range sg.Members {
			if _, ok := e.alerts[sm.Fingerprint]; !ok {
				continue
			}
			m := newMember()
			m.level, m.levelAt, m.lastFiring = sm.Level, sm.LevelAt, sm.LastFiring
			for _, ch := range sm.Notified {
				m.notified[ch] = true
			}
			g.members[sm.Fingerprint] = m
		}
		e.groups[g.key] = g
	}
	held := map[string]bool{}
	for _, g := range e.groups {
		for fp := range g.members {
			held[fp] = true
		}
	}
	for fp, st := range e.alerts {
		if !held[fp] {
			if st.alert.Status != contract.AlertFiring {
				delete(e.alerts, fp)
				continue
			}
			e.route(st.alert, now)
		}
	}
	for _, p := range snap.Pending {
		n := &channel.Notification{
			ID: p.ID, Receiver: p.Receiver, Channel: p.Channel, GroupKey: p.GroupKey,
			GroupLabels: p.GroupLabels, CommonLabels: p.CommonLabels, Level: p.Level,
			Acknowledged: p.Acknowledged, ExternalURL: p.ExternalURL,
		}
		for _, sa := range p.Alerts {
			n.Alerts = append(n.Alerts, loadAlert(sa).alert)
		}
		for _, to := range p.Delivered {
			n.MarkDelivered(to)
		}
		e.outbox[p.ID] = n
		e.nextID = max(e.nextID, p.ID)
	}
	for _, s := range snap.Silences {
		if err := s.Compile(); err != nil {
			return fmt.Errorf("stored silence %s: %w", s.ID, err)
		}
		e.silences[s.ID] = &s
	}
	return nil
}

// FilterChannels removes notified-channel references that are not in
// known, after a config change removed a channel.
func (e *Engine) FilterChannels(known map[string]bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, g := range e.groups {
		for _, m := range g.members {
			for ch := range m.notified {
				if !known[ch] {
					delete(m.notified, ch)
				}
			}
		}
	}
}

func storeAlert(st *alertState) state.Alert {
	a := st.alert
	sa := state.Alert{
		Name: a.Name, Status: a.Status, Severity: a.Severity, Fingerprint: a.Fingerprint,
		Summary: a.Summary, Description: a.Description, Labels: a.Labels,
		StartsAt: a.StartsAt, EndsAt: a.EndsAt, RunbookURL: a.RunbookURL, Rule: a.Rule, GeneratorURL: a.GeneratorURL,
		Acked: st.acked, AckedBy: st.ackedBy, AckedAt: st.ackedAt,
	}
	if st.held != nil {
		sa.HeldEndsAt, sa.ReleaseAt = st.held.EndsAt, st.releaseAt
		if sa.HeldEndsAt.IsZero() {
			sa.HeldEndsAt = st.releaseAt
		}
	}
	if !math.IsNaN(a.Value) {
		v := a.Value
		sa.Value = &v
	}
	if !math.IsNaN(a.Threshold) {
		v := a.Threshold
		sa.Threshold = &v
	}
	if !a.TraceID.IsEmpty() {
		sa.TraceID = hex.EncodeToString(a.TraceID[:])
	}
	if !a.SpanID.IsEmpty() {
		sa.SpanID = hex.EncodeToString(a.SpanID[:])
	}
	return sa
}

func loadAlert(sa state.Alert) *alertState {
	a := contract.Alert{
		Name: sa.Name, Status: sa.Status, Severity: sa.Severity, Fingerprint: sa.Fingerprint,
		Value: math.NaN(), Threshold: math.NaN(), Summary: sa.Summary, Description: sa.Description,
		Labels: sa.Labels, StartsAt: sa.StartsAt, EndsAt: sa.EndsAt, RunbookURL: sa.RunbookURL,
		Rule: sa.Rule, GeneratorURL: sa.GeneratorURL,
	}
	if a.Labels == nil {
		a.Labels = map[string]string{}
	}
	if sa.Value != nil {
		a.Value = *sa.Value
	}
	if sa.Threshold != nil {
		a.Threshold = *sa.Threshold
	}
	if b, err := hex.DecodeString(sa.TraceID); err == nil && len(b) == 16 {
		a.TraceID = pcommon.TraceID(b)
	}
	if b, err := hex.DecodeString(sa.SpanID); err == nil && len(b) == 8 {
		a.SpanID = pcommon.SpanID(b)
	}
	st := &alertState{alert: a, acked: sa.Acked, ackedBy: sa.AckedBy, ackedAt: sa.AckedAt}
	if !sa.HeldEndsAt.IsZero() {
		held := a
		held.Status, held.EndsAt = contract.AlertResolved, sa.HeldEndsAt
		st.held, st.releaseAt = &held, sa.ReleaseAt
	}
	return st
}
