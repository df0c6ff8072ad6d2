package dispatch

import (
	"maps"
	"slices"
	"sort"
	"time"

	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/channel"
	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/route"
	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/state"
	"github.com/otelcol-payments/otelcol-payments/internal/contract"
)

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
