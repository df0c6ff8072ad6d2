// Package dispatch is the alert engine: it keeps the active alerts, puts
// them into aggregation groups along the routing tree, flushes groups after
// group_wait / group_interval / repeat_interval, applies silences,
// inhibition and mute time intervals, escalates unacknowledged alerts and
// hands notifications to the per-channel senders. All time comes from an
// injected clock and all progress happens in Tick, so tests drive it
// deterministically.
package dispatch

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"
	"sync"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.uber.org/zap"

	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/channel"
	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/clock"
	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/escalation"
	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/route"
	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/state"
	"github.com/otelcol-payments/otelcol-payments/internal/contract"
)

// Receiver is where a route sends: level-1 channels plus an optional
// escalation policy for the higher levels.
type Receiver struct {
	Channels []string
	Policy   *escalation.Policy
}

// Config is the engine's built configuration.
type Config struct {
	Route     *route.Route
	Receivers map[string]Receiver
	Inhibit   []*route.InhibitRule
	Intervals route.Intervals
	// Silences from the config; they are not persisted (the config is the
	// source of truth) and cannot be expired through the API.
	Silences []*route.Silence
	// MaxAlerts bounds memory: new alerts beyond it are dropped.
	MaxAlerts   int
	ExternalURL string
	// Resend maps a channel to the interval at which it gets the firing
	// alerts it was notified of again (Alertmanager channels: it resolves
	// alerts that are not refreshed), independently of repeat_interval.
	Resend map[string]time.Duration
	// FlapWindow holds a resolve this long: an alert firing again within it
	// stays one incident (no resolved/firing ping-pong). 0: resolves apply
	// at once.
	FlapWindow time.Duration
	// OnFlapDamped is called (under the engine's lock) for every re-fire
	// that FlapWindow merged into the open incident.
	OnFlapDamped func()
}

// Sender takes a notification for a channel; it must not block. It returns
// false when the notification was dropped (unknown channel, queue full,
// shutting down), so the engine stops tracking it.
type Sender interface {
	Send(channelName string, n *channel.Notification) bool
}

// Errors returned by the engine's operations.
var (
	ErrUnknownAlert   = errors.New("unknown alert")
	ErrNotFiring      = errors.New("alert is not firing")
	ErrUnknownSilence = errors.New("unknown silence")
	ErrTooManyAlerts  = errors.New("too many active alerts")
	ErrStaleResolve   = errors.New("resolved alert was not active")
)

type alertState struct {
	alert   contract.Alert
	acked   bool
	ackedBy string
	ackedAt time.Time
	// held is a resolve from the source that is not applied yet: within
	// the flap window (until releaseAt) or while an escalation policy holds
	// the incident open until someone acknowledges it.
	held      *contract.Alert
	releaseAt time.Time
}

type member struct {
	level      int
	levelAt    time.Time
	notified   map[string]bool
	lastFiring bool
	// postedAt is when the alert last went to each resend channel; not
	// persisted, so a restart refreshes Alertmanager at the first tick.
	postedAt map[string]time.Time
}

type group struct {
	key          string
	route        *route.Route
	labels       map[string]string
	nextFlush    time.Time
	lastNotified time.Time
	members      map[string]*member
}

// Engine is safe for concurrent use.
type Engine struct {
	cfg    Config
	clock  clock.Clock
	sender Sender
	logger *zap.Logger
	routes map[string]*route.Route

	mu       sync.Mutex
	alerts   map[string]*alertState
	groups   map[string]*group
	silences map[string]*route.Silence
	// outbox holds the notifications handed to the sender and not yet
	// reported delivered; it is persisted so a crash does not lose a page.
	outbox map[uint64]*channel.Notification
	nextID uint64
	seq    uint64
	dirty  bool
}

// New builds an engine.
func New(cfg Config, clk clock.Clock, sender Sender, logger *zap.Logger) *Engine {
	e := &Engine{
		cfg: cfg, clock: clk, sender: sender, logger: logger,
		routes:   map[string]*route.Route{},
		alerts:   map[string]*alertState{},
		groups:   map[string]*group{},
		silences: map[string]*route.Silence{},
		outbox:   map[uint64]*channel.Notification{},
	}
	cfg.Route.Walk(func(r *route.Route) { e.routes[r.ID] = r })
	return e
}

// Ingest takes decoded alerts. It returns how many were dropped and why
// (the first error), never failing the batch for one bad alert.
func (e *Engine) Ingest(alerts []contract.Alert) (dropped int, firstErr error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.clock.Now()
	for _, a := range alerts {
		if err := e.ingest(a, now); err != nil {
			dropped++
			if firstErr == nil {
				firstErr = err
			}
		}
	}
	return dropped, firstErr
}

func (e *Engine) ingest(a contract.Alert, now time.Time) error {
	if a.Fingerprint == "" {
		a.Fingerprint = contract.ComputeFingerprint(a.Name, a.Labels)
	}
	if cur, ok := e.alerts[a.Fingerprint]; ok {
		e.dirty = true
		if a.Status == contract.AlertResolved && cur.alert.Status == contract.AlertFiring &&
			(e.cfg.FlapWindow > 0 || e.holdUntil(cur).After(now)) {
			if a.EndsAt.IsZero() {
				a.EndsAt = now
			}
			cur.held, cur.releaseAt = &a, now.Add(e.cfg.FlapWindow)
			return nil
		}
		if a.Status == contract.AlertFiring && cur.held != nil {
			// Firing again before its resolve went out: the same incident.
			cur.held = nil
			if e.cfg.OnFlapDamped != nil {
				e.cfg.OnFlapDamped()
			}
		}
		if a.Status == contract.AlertFiring {
			// Still firing (or firing again before the resolve went out):
			// refresh the details, keep when it started.
			if cur.alert.Status == contract.AlertFiring && !cur.alert.StartsAt.IsZero() && cur.alert.StartsAt.Before(a.StartsAt) {
				a.StartsAt = cur.alert.StartsAt
			}
			a.EndsAt = time.Time{}
		} else if a.EndsAt.IsZero() {
			a.EndsAt = now
		}
		cur.alert = a
		return nil
	}
	if a.Status == contract.AlertResolved {
		return ErrStaleResolve
	}
	if e.cfg.MaxAlerts > 0 && len(e.alerts) >= e.cfg.MaxAlerts {
		return ErrTooManyAlerts
	}
	e.alerts[a.Fingerprint] = &alertState{alert: a}
	e.route(a, now)
	e.dirty = true
	return nil
}

func (e *Engine) route(a contract.Alert, now time.Time) {
	lset := route.LabelSet(a)
	for _, r := range e.cfg.Route.Match(lset) {
		labels := r.GroupLabels(lset)
		key := r.GroupKey(labels)
		g, ok := e.groups[key]
		if !ok {
			g = &group{key: key, route: r, labels: labels, nextFlush: now.Add(r.GroupWait), members: map[string]*member{}}
			e.groups[key] = g
		}
		if _, ok := g.members[a.Fingerprint]; !ok {
			g.members[a.Fingerprint] = newMember()
		}
	}
}

func newMember() *member {
	return &member{notified: map[string]bool{}, postedAt: map[string]time.Time{}}
}

// holdUntil is when the escalation policies of an unacknowledged firing
// alert's groups let a resolve from its source close it (zero: at once).
func (e *Engine) holdUntil(st *alertState) time.Time {
	var until time.Time
	if st.acked {
		return until
	}
	for _, g := range e.groups {
		if _, ok := g.members[st.alert.Fingerprint]; !ok {
			continue
		}
		p := e.cfg.Receivers[g.route.Receiver].Policy
		if p == nil || p.AutoResolveAfter <= 0 || !p.Applies(st.alert.Severity) {
			continue
		}
		if t := st.alert.StartsAt.Add(p.AutoResolveAfter); t.After(until) {
			until = t
		}
	}
	return until
}

// releaseHeld applies the held resolves whose flap window is over and whose
// incident is no longer held open (acknowledged, or auto_resolve_after
// reached).
func (e *Engine) releaseHeld(now time.Time) {
	for _, st := range e.alerts {
		if st.held == nil || now.Before(st.releaseAt) || e.holdUntil(st).After(now) {
			continue
		}
		st.alert, st.held = *st.held, nil
		e.dirty = true
	}
}

// suppression is why an alert is muted at one tick.
type suppression struct{ silenced, inhibited bool }

func (e *Engine) suppressed(now time.Time) map[string]suppression {
	out := map[string]suppression{}
	var firing []route.Candidate
	lsets := make(map[string]map[string]string, len(e.alerts))
	for fp, st := range e.alerts {
		lsets[fp] = route.LabelSet(st.alert)
		if st.alert.Status == contract.AlertFiring {
			firing = append(firing, route.Candidate{Fingerprint: fp, Labels: lsets[fp]})
		}
	}
	for fp, lset := range lsets {
		var s suppression
		for _, sil := range e.activeSilences() {
			if sil.Mutes(now, lset) {
				s.silenced = true
				break
			}
		}
		s.inhibited = route.Inhibited(e.cfg.Inhibit, fp, lset, firing)
		if s.silenced || s.inhibited {
			out[fp] = s
		}
	}
	return out
}

func (e *Engine) activeSilences() []*route.Silence {
	out := append([]*route.Silence(nil), e.cfg.Silences...)
	for _, s := range e.silences {
		out = append(out, s)
	}
	return out
}

// Tick does everything that is due at the clock's current time: expire
// silences, flush due groups, escalate. It returns the snapshot to persist
// when something changed (nil otherwise).
func (e *Engine) Tick() *state.Snapshot {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.clock.Now()
	for id, s := range e.silences {
		if s.Expired(now) {
			delete(e.silences, id)
			e.dirty = true
		}
	}
	e.releaseHeld(now)
	supp := e.suppressed(now)
	keys := slices.Sorted(maps.Keys(e.groups))
	for _, k := range keys {
		g := e.groups[k]
		if len(g.members) > 0 && !now.Before(g.nextFlush) {
			e.flush(g, now, supp)
		}
	}
	for _, k := range keys {
		if g, ok := e.groups[k]; ok {
			e.escalate(g, now, supp)
			e.resend(g, now, supp)
		}
	}
	e.collect(now)
	if !e.dirty {
		return nil
	}
	e.dirty = false
	return e.snapshotLocked(now)
}

func (e *Engine) flush(g *group, now time.Time, supp map[string]suppression) {
	e.dirty = true
	g.nextFlush = now.Add(g.route.GroupInterval)
	if e.cfg.Intervals.Muted(g.route, now) {
		return
	}
	rcv := e.cfg.Receivers[g.route.Receiver]
	var firing, resolved []string
	newFiring := false
	for fp, m := range g.members {
		st := e.alerts[fp]
		if st.alert.Status == contract.AlertResolved {
			if m.lastFiring {
				resolved = append(resolved, fp)
			} else {
				delete(g.members, fp)
			}
			continue
		}
		if _, muted := supp[fp]; muted {
			continue
		}
		firing = append(firing, fp)
		if !m.lastFiring {
			newFiring = true
		}
	}
	repeat := len(firing) > 0 && !now.Before(g.lastNotified.Add(g.route.RepeatInterval))
	if !newFiring && len(resolved) == 0 && !repeat {
		return
	}
	sort.Strings(firing)
	sort.Strings(resolved)
	// Level-1 channels get the whole group; channels an alert escalated to
	// get its resolve as well.
	perChannel := map[string][]string{}
	for _, ch := range rcv.Channels {
		perChannel[ch] = append(append([]string(nil), firing...), resolved...)
	}
	for _, fp := range resolved {
		for ch := range g.members[fp].notified {
			if !slices.Contains(perChannel[ch], fp) {
				perChannel[ch] = append(perChannel[ch], fp)
			}
		}
	}
	e.send(g, 1, false, perChannel, now)
	for _, fp := range firing {
		m := g.members[fp]
		m.lastFiring = true
		if m.level == 0 {
			m.level, m.levelAt = 1, now
		}
		for _, ch := range rcv.Channels {
			m.notified[ch] = true
		}
	}
	for _, fp := range resolved {
		delete(g.members, fp)
	}
	g.lastNotified = now
}

func (e *Engine) escalate(g *group, now time.Time, supp map[string]suppression) {
	rcv := e.cfg.Receivers[g.route.Receiver]
	if rcv.Policy == nil || e.cfg.Intervals.Muted(g.route, now) {
		return
	}
	byLevel := map[int][]string{}
	for _, fp := range slices.Sorted(maps.Keys(g.members)) {
		m := g.members[fp]
		st := e.alerts[fp]
		if st.acked || st.alert.Status != contract.AlertFiring || !rcv.Policy.Applies(st.alert.Severity) {
			continue
		}
		if _, muted := supp[fp]; muted {
			continue
		}
		next, due := rcv.Policy.Due(m.level, m.levelAt, now)
		if !due {
			continue
		}
		byLevel[next] = append(byLevel[next], fp)
		m.level, m.levelAt = next, now
		for _, ch := range rcv.Policy.Channels(next) {
			m.notified[ch] = true
		}
		e.dirty = true
	}
	for _, level := range slices.Sorted(maps.Keys(byLevel)) {
		perChannel := map[string][]string{}
		for _, ch := range rcv.Policy.Channels(level) {
			perChannel[ch] = byLevel[level]
		}
		e.send(g, level, false, perChannel, now)
	}
}

// resend posts a group's firing alerts again to the resend channels that
// were notified of them, once one of them is due. Silenced, inhibited and
// muted alerts are left to expire there; resolved ones go out once, with
// the group's flush. The posts bypass the outbox: a lost one is replaced by
// the next, and a restart resends at once.
func (e *Engine) resend(g *group, now time.Time, supp map[string]suppression) {
	if len(e.cfg.Resend) == 0 || e.cfg.Intervals.Muted(g.route, now) {
		return
	}
	for _, ch := range slices.Sorted(maps.Keys(e.cfg.Resend)) {
		every := e.cfg.Resend[ch]
		var fps []string
		due := false
		level := 1
		for _, fp := range slices.Sorted(maps.Keys(g.members)) {
			m := g.members[fp]
			if !m.notified[ch] || e.alerts[fp].alert.Status != contract.AlertFiring {
				continue
			}
			if _, muted := supp[fp]; muted {
				continue
			}
			fps = append(fps, fp)
			level = max(level, m.level)
			if !now.Before(m.postedAt[ch].Add(every)) {
				due = true
			}
		}
		if !due {
			continue
		}
		// All of them, not only the due ones, so posts do not fragment.
		n := e.notification(g, ch, level, false, fps)
		n.Refresh = true
		e.markPosted(g, ch, fps, now)
		e.sender.Send(ch, n)
	}
}

// markPosted records that fps went to a resend channel at now.
func (e *Engine) markPosted(g *group, ch string, fps []string, now time.Time) {
	if _, ok := e.cfg.Resend[ch]; !ok {
		return
	}
	for _, fp := range fps {
		if m, ok := g.members[fp]; ok {
			m.postedAt[ch] = now
		}
	}
}

func (e *Engine) send(g *group, level int, acked bool, perChannel map[string][]string, now time.Time) {
	for _, ch := range slices.Sorted(maps.Keys(perChannel)) {
		fps := perChannel[ch]
		if len(fps) == 0 {
			continue
		}
		e.markPosted(g, ch, fps, now)
		e.enqueue(e.notification(g, ch, level, acked, fps))
	}
}

// notification builds one channel's notification for the alerts fps.
func (e *Engine) notification(g *group, ch string, level int, acked bool, fps []string) *channel.Notification {
	n := &channel.Notification{
		Receiver:     g.route.Receiver,
		Channel:      ch,
		GroupKey:     g.key,
		GroupLabels:  g.labels,
		Level:        level,
		Acknowledged: acked,
		ExternalURL:  e.cfg.ExternalURL,
	}
	for _, fp := range fps {
		n.Alerts = append(n.Alerts, e.alerts[fp].alert)
	}
	// Firing first, then resolved; stable within each.
	sort.SliceStable(n.Alerts, func(i, j int) bool {
		return n.Alerts[i].Status == contract.AlertFiring && n.Alerts[j].Status != contract.AlertFiring
	})
	n.CommonLabels = commonLabels(n.Alerts)
	return n
}

// enqueue records n in the outbox and hands it to the sender; the outbox
// entry goes when the sender drops it or reports it handled (Delivered).
func (e *Engine) enqueue(n *channel.Notification) {
	e.nextID++
	n.ID = e.nextID
	e.outbox[n.ID] = n
	e.dirty = true
	if !e.sender.Send(n.Channel, n) {
		delete(e.outbox, n.ID)
	}
}

// Delivered forgets an outbox entry once its channel delivered it or gave
// up for good; it returns the snapshot to persist (nil when unknown).
func (e *Engine) Delivered(id uint64) *state.Snapshot {
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, ok := e.outbox[id]; !ok {
		return nil
	}
	delete(e.outbox, id)
	return e.snapshotLocked(e.clock.Now())
}

// Progress returns the snapshot to persist after the channel delivered id
// to some of its recipients (nil when id is not in the outbox).
func (e *Engine) Progress(id uint64) *state.Snapshot {
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, ok := e.outbox[id]; !ok {
		return nil
	}
	return e.snapshotLocked(e.clock.Now())
}

// Redeliver hands every outbox entry (restored after a restart) to the
// sender again, oldest first.
func (e *Engine) Redeliver() {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, id := range slices.Sorted(maps.Keys(e.outbox)) {
		n := e.outbox[id]
		if !e.sender.Send(n.Channel, n) {
			delete(e.outbox, id)
			e.dirty = true
		}
	}
}

func commonLabels(alerts []contract.Alert) map[string]string {
	out := map[string]string{}
	for i, a := range alerts {
		lset := route.LabelSet(a)
		if i == 0 {
			out = lset
			continue
		}
		for k, v := range out {
			if lset[k] != v {
				delete(out, k)
			}
		}
	}
	return out
}

// collect drops alerts no group holds any more, and empty groups once their
// group_interval since the last notification is over: until then a new
// alert in the group waits for it, as after any notification, so a
// condition that clears and returns does not notify at every tick.
func (e *Engine) collect(now time.Time) {
	held := map[string]bool{}
	for k, g := range e.groups {
		if len(g.members) == 0 && !now.Before(g.nextFlush) {
			delete(e.groups, k)
			e.dirty = true
			continue
		}
		for fp := range g.members {
			held[fp] = true
		}
	}
	for fp := range e.alerts {
		if !held[fp] {
			delete(e.alerts, fp)
			e.dirty = true
		}
	}
}

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
	st.alert.Status = contract.AlertResolved
	st.alert.EndsAt = now
	st.held = nil
	for _, g := range e.groups {
		if _, ok := g.members[fp]; ok {
			g.nextFlush = now
		}
	}
	return e.snapshotLocked(now), nil
}

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

// AlertView is an alert as the API shows it.
type AlertView struct {
	Fingerprint string            `json:"fingerprint"`
	Name        string            `json:"name"`
	Status      string            `json:"status"`
	Severity    string            `json:"severity"`
	Summary     string            `json:"summary,omitempty"`
	Labels      map[string]string `json:"labels"`
	StartsAt    time.Time         `json:"starts_at"`
	EndsAt      time.Time         `json:"ends_at,omitzero"`
	// ConditionCleared: the source resolved the alert, but the incident is
	// held open (flap window, or unacknowledged under auto_resolve_after).
	ConditionCleared bool     `json:"condition_cleared"`
	Acked            bool     `json:"acknowledged"`
	AckedBy          string   `json:"acknowledged_by,omitempty"`
	Level            int      `json:"escalation_level"`
	Silenced         bool     `json:"silenced"`
	Inhibited        bool     `json:"inhibited"`
	Receivers        []string `json:"receivers"`
}

// Alerts lists the active alerts, most severe first.
func (e *Engine) Alerts() []AlertView {
	e.mu.Lock()
	defer e.mu.Unlock()
	supp := e.suppressed(e.clock.Now())
	out := make([]AlertView, 0, len(e.alerts))
	for fp, st := range e.alerts {
		v := AlertView{
			Fingerprint: fp, Name: st.alert.Name, Status: st.alert.Status, Severity: st.alert.Severity,
			Summary: st.alert.Summary, Labels: st.alert.Labels, StartsAt: st.alert.StartsAt, EndsAt: st.alert.EndsAt,
			Acked: st.acked, AckedBy: st.ackedBy, Silenced: supp[fp].silenced, Inhibited: supp[fp].inhibited,
			ConditionCleared: st.held != nil,
		}
		for _, g := range e.groups {
			if m, ok := g.members[fp]; ok {
				v.Level = max(v.Level, m.level)
				if !slices.Contains(v.Receivers, g.route.Receiver) {
					v.Receivers = append(v.Receivers, g.route.Receiver)
				}
			}
		}
		sort.Strings(v.Receivers)
		out = append(out, v)
	}
	sort.Slice(out, func(i, j int) bool {
		ri, rj := contract.SeverityRank(out[i].Severity), contract.SeverityRank(out[j].Severity)
		if ri != rj {
			return ri > rj
		}
		return out[i].Fingerprint < out[j].Fingerprint
	})
	return out
}

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
