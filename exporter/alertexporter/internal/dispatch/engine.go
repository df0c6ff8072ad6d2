// Package dispatch is the alert engine: it keeps the active alerts, puts
// them into aggregation groups along the routing tree, flushes groups after
// group_wait / group_interval / repeat_interval, applies silences,
// inhibition and mute time intervals, escalates unacknowledged alerts and
// hands notifications to the per-channel senders. All time comes from an
// injected clock and all progress happens in Tick, so tests drive it
// deterministically.
package dispatch

import (
	"errors"
	"fmt"
	"maps"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/channel"
	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/clock"
	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/escalation"
	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/route"
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
	// ErrTooManySilences: MaxSilences API silences are active or pending.
	ErrTooManySilences = errors.New("too many silences: expire some before adding more")
	ErrStaleResolve    = errors.New("resolved alert was not active")
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
	if e.cfg.MaxAlerts > 0 && len(e.alerts) >= e.cfg.MaxAlerts && !e.evictFor(a, now) {
		return ErrTooManyAlerts
	}
	e.alerts[a.Fingerprint] = &alertState{alert: a}
	e.route(a, now)
	e.dirty = true
	return nil
}

// evictFor makes room for a when max_alerts is reached: a flood of
// low-severity alerts (an application alerting per order) must not lock
// out a critical page. The oldest firing alert of the lowest severity
// below a's is resolved, saying why, and goes at the flush after; false
// when every firing alert is at least as severe as a. Each eviction raises
// the severity held, so at most 3 × max_alerts alerts wait for that flush.
func (e *Engine) evictFor(a contract.Alert, now time.Time) bool {
	victim, ok := contract.EvictionVictim(maps.Values(e.alerts), a.Severity,
		func(st *alertState) (string, time.Time, string, bool) {
			return st.alert.Severity, st.alert.StartsAt, st.alert.Fingerprint, st.alert.Status == contract.AlertFiring
		})
	if !ok {
		return false
	}
	victim.alert.Summary += fmt.Sprintf(" (resolved because max_alerts %d was reached by more severe alerts, not because the condition cleared)", e.cfg.MaxAlerts)
	e.resolveLocked(victim, now)
	return true
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
