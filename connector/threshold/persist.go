package threshold

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.uber.org/zap"

	"github.com/otelcol-payments/otelcol-payments/connector/threshold/internal/state"
	"github.com/otelcol-payments/otelcol-payments/internal/contract"
	"github.com/otelcol-payments/otelcol-payments/internal/statestore"
)

// Start restores persisted alerts and starts the evaluation ticker. The
// pipelines sharing the engine start it once, through sharedcomponent.
func (e *engine) Start(ctx context.Context, host component.Host) error {
	e.lifeMu.Lock()
	defer e.lifeMu.Unlock()
	if e.cfg.Storage != nil {
		client, err := storageClient(ctx, host, *e.cfg.Storage, e.id)
		if err != nil {
			return err
		}
		e.client = client
		if err := errors.Join(e.restoreSeries(ctx), e.restore(ctx)); err != nil {
			// Starting empty would overwrite the saved alerts at the
			// first save: a firing one would never resolve.
			e.client = nil
			return errors.Join(err, client.Close(ctx))
		}
	}
	e.stop, e.stopped = make(chan struct{}), make(chan struct{})
	go e.run(e.stop, e.stopped)
	return nil
}

func storageClient(ctx context.Context, host component.Host, storageID, self component.ID) (storage.Client, error) {
	return statestore.Open(ctx, host, "storage", storageID, component.KindConnector, self, "")
}

func (e *engine) run(stop <-chan struct{}, stopped chan<- struct{}) {
	defer close(stopped)
	t := time.NewTicker(e.cfg.EvaluationInterval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			e.tick(context.Background())
		case <-stop:
			return
		}
	}
}

// Shutdown stops the ticker and saves the firing alerts; the pipelines
// sharing the engine shut it down once, after the last of them.
func (e *engine) Shutdown(ctx context.Context) error {
	e.lifeMu.Lock()
	defer e.lifeMu.Unlock()
	if e.stop == nil {
		return nil // created but never started, or its start failed
	}
	close(e.stop)
	<-e.stopped
	e.stop = nil
	e.tel.Shutdown()
	if e.client == nil {
		return nil
	}
	e.mu.Lock()
	snap, gen := e.snapshot()
	e.holdsDirty = true
	series, _ := e.seriesSnapshotIfDirty(e.now().UnixNano())
	e.mu.Unlock()
	err := errors.Join(e.save(ctx, snap, gen), e.saveSeries(ctx, series))
	err = errors.Join(err, e.client.Close(ctx))
	e.client = nil
	return err
}

func (e *engine) snapshotIfDirty() (state.Snapshot, uint64, bool) {
	if !e.dirty || e.client == nil {
		return state.Snapshot{}, 0, false
	}
	e.dirty = false
	snap, gen := e.snapshot()
	return snap, gen, true
}

// snapshot collects the firing series, numbered for save; callers hold
// e.mu.
func (e *engine) snapshot() (state.Snapshot, uint64) {
	e.stateGen++
	var snap state.Snapshot
	e.store.Range(func(s *state.Series) {
		if s.Status != state.Firing {
			return
		}
		r := e.rules[s.Rule]
		snap.Alerts = append(snap.Alerts, state.FiringAlert{
			Rule: r.name, Severity: r.severity, Key: []byte(s.Key), Labels: s.Labels, Fingerprint: s.Fingerprint,
			StartsAt: s.StartsAt, LastBad: s.LastBad, LastNotified: s.LastNotified,
			Value: state.Finite(s.Value), Threshold: state.Finite(s.Threshold),
			TraceID: s.TraceID, SpanID: s.SpanID,
		})
	})
	return snap, e.stateGen
}

// save writes snapshot gen of the alert state unless a newer one is
// written already.
func (e *engine) save(ctx context.Context, snap state.Snapshot, gen uint64) error {
	e.saveMu.Lock()
	defer e.saveMu.Unlock()
	if gen < e.savedGen {
		return nil
	}
	b, err := snap.Encode()
	if err == nil && e.client != nil {
		err = e.client.Set(ctx, stateKey, b)
	}
	if err != nil {
		e.tel.StateErrors.Add(ctx, 1)
		e.logger.Warn("could not save alert state", zap.Error(err))
		e.mu.Lock()
		e.dirty = true // retried at the next tick
		e.mu.Unlock()
		return err
	}
	e.savedGen = gen
	return nil
}

// restore loads the persisted firing alerts. Their series come back firing,
// with a fresh grace period to see data, so the alert neither fires again
// nor is forgotten. Alerts of rules that no longer exist are resolved.
// State that does not decode is counted and ignored; a storage error is
// returned.
func (e *engine) restore(ctx context.Context) error {
	b, err := e.client.Get(ctx, stateKey)
	if err != nil {
		e.tel.StateErrors.Add(ctx, 1)
		return fmt.Errorf("threshold: read alert state: %w", err)
	}
	snap, err := state.DecodeSnapshot(b)
	if err != nil {
		e.tel.StateErrors.Add(ctx, 1)
		e.logger.Warn("could not load alert state; starting empty", zap.Error(err))
		return nil
	}
	e.mu.Lock()
	e.restoreSnapshot(snap)
	out := e.takeOut()
	e.mu.Unlock()
	e.send(ctx, out)
	return nil
}

func (e *engine) restoreSnapshot(snap state.Snapshot) {
	now := e.now()
	nowNs := now.UnixNano()
	for _, a := range snap.Alerts {
		r, ok := e.byName[a.Rule]
		if !ok {
			e.out = append(e.out, contract.Alert{
				Name: a.Rule, Status: contract.AlertResolved, Severity: a.Severity, Fingerprint: a.Fingerprint,
				Value: state.OrNaN(a.Value), Threshold: state.OrNaN(a.Threshold),
				Summary:  a.Rule + " resolved: the rule was removed from the configuration",
				Labels:   (&state.Series{Labels: a.Labels}).LabelMap(),
				StartsAt: time.Unix(0, a.StartsAt), EndsAt: now, TraceID: a.TraceID, SpanID: a.SpanID,
			})
			e.dirty = true
			continue
		}
		// the series snapshot may hold it already (older, not firing)
		s := e.store.Get(a.Key)
		if s == nil {
			s = e.newSeries(r, string(a.Key), a.Labels)
			e.addSeries(s, nowNs)
		}
		s.Fingerprint = a.Fingerprint
		s.Status, s.StartsAt, s.LastNotified = state.Firing, a.StartsAt, a.LastNotified
		s.LastBad = max(a.LastBad, nowNs)
		s.LastSeen = nowNs
		s.Value, s.Threshold = state.OrNaN(a.Value), state.OrNaN(a.Threshold)
		s.TraceID, s.SpanID = a.TraceID, a.SpanID
	}
}

// seriesSaveEvery bounds how often data alone (window counts, samples)
// makes a tick save the series state: a save covers every series (about
// 250 bytes each), and a kill -9 then loses at most this much of the
// windows' data. A hold that begins or ends is saved at its tick.
const seriesSaveEvery = time.Minute

// seriesSnapshotIfDirty copies the evaluation state of every series when
// it is due (see seriesSaveEvery); callers hold e.mu.
func (e *engine) seriesSnapshotIfDirty(now int64) (state.SeriesSnapshot, bool) {
	due := e.holdsDirty || (e.seriesDirty && now-e.seriesSavedAt >= int64(seriesSaveEvery))
	if !due || e.client == nil {
		return state.SeriesSnapshot{}, false
	}
	e.seriesDirty, e.holdsDirty, e.seriesSavedAt = false, false, now
	snap := state.SeriesSnapshot{Series: make([]state.SavedSeries, 0, e.store.Len())}
	e.store.Range(func(s *state.Series) {
		r := e.rules[s.Rule]
		snap.Series = append(snap.Series, state.Save(r.name, r.window.SlotNanos, s))
	})
	return snap, true
}

func (e *engine) saveSeries(ctx context.Context, snap state.SeriesSnapshot) error {
	b, err := snap.Encode()
	if err == nil && e.client != nil {
		err = e.client.Set(ctx, seriesKey, b)
	}
	if err != nil {
		e.tel.StateErrors.Add(ctx, 1)
		e.logger.Warn("could not save alert series state", zap.Error(err))
		e.mu.Lock()
		e.holdsDirty = true // retried at the next tick
		e.mu.Unlock()
	}
	return err
}

// restoreSeries loads the evaluation state of the series saved before the
// restart: windows, pending holds, samples, baselines, arrival rates.
// Series of removed rules, or whose rule's window changed shape, start
// fresh. Firing state comes from the alerts snapshot (restore), written
// more often: a series saved firing whose alert is not there any more has
// resolved since. State that does not decode is counted and ignored; a
// storage error is returned.
func (e *engine) restoreSeries(ctx context.Context) error {
	b, err := e.client.Get(ctx, seriesKey)
	if err != nil {
		e.tel.StateErrors.Add(ctx, 1)
		return fmt.Errorf("threshold: read alert series state: %w", err)
	}
	snap, err := state.DecodeSeriesSnapshot(b)
	if err != nil {
		e.tel.StateErrors.Add(ctx, 1)
		e.logger.Warn("could not load alert series state; windows and baselines start empty", zap.Error(err))
		return nil
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	nowNs := e.now().UnixNano()
	skipped := 0
	for i := range snap.Series {
		v := &snap.Series[i]
		r, ok := e.byName[v.Rule]
		if !ok || e.store.Get([]byte(v.Key)) != nil || !seriesFits(r, v) {
			skipped++
			continue
		}
		s := e.newSeries(r, v.Key, v.Labels)
		v.Apply(s)
		if s.Status == state.Firing {
			s.Status = state.Inactive
		}
		e.addSeries(s, nowNs)
	}
	if skipped > 0 {
		e.logger.Info("alert series not restored: their rule was removed or changed", zap.Int("series", skipped))
	}
	return nil
}

// seriesFits reports whether a saved series' state has the shape r keeps.
func seriesFits(r *rule, v *state.SavedSeries) bool {
	if len(v.Epochs) != r.window.Slots || len(v.Counts) != r.window.Slots*r.window.Width ||
		(r.window.Slots > 0 && v.SlotNanos != r.window.SlotNanos) {
		return false
	}
	if (r.kind == kindAbsence) != (v.Rate != nil) {
		return false
	}
	return (r.kind == kindAnomaly && r.seasonal) == (v.Hourly != nil)
}
