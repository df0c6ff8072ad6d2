package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.uber.org/zap"
)

// Storage keys of the persisted state.
const (
	keyCustomers = "customers"
	keyPeriods   = "revenue_periods"
	// keyDedup holds the purchase dedup set; state saved before it existed
	// simply lacks the key.
	keyDedup = "dedup"
	// keyResent holds the batches counted recently (resend.go); state
	// saved before it existed lacks the key, and such a version ignores it.
	keyResent = "resent_batches"
	// keyFolded holds the series bound's fold counts, written with every
	// snapshot; a version without it ignores it and keeps reading the
	// snapshot.
	keyFolded = "folded_events"
	// keyState is the snapshot of everything else (snapshot.go); it
	// replaces keyPeriods, which is only read from older state.
	keyState = "state"
)

// periodState is the day's and month's revenue, kept across a restart so
// progress against the targets does not start again from zero.
type periodState struct {
	DayStart   time.Time        `json:"day_start"`
	MonthStart time.Time        `json:"month_start"`
	Day        map[string]int64 `json:"day"`
	Month      map[string]int64 `json:"month"`
}

// LoadState restores the state saved by SaveState, replays the journal
// written after it, and keeps client for the journal of every later batch.
// Saved state that does not fit the configuration is ignored with a
// warning: the engine then starts empty rather than failing the collector.
// Without any saved state it saves one at once, so the cumulative start
// and the dedup hash seed are fixed before the first journal record.
func (e *Engine) LoadState(ctx context.Context, client storage.Client) error {
	ops := []*storage.Operation{
		storage.GetOperation(keyCustomers), storage.GetOperation(keyPeriods),
		storage.GetOperation(keyDedup), storage.GetOperation(keyState),
		storage.GetOperation(keyResent), storage.GetOperation(keyFolded),
	}
	if err := client.Batch(ctx, ops...); err != nil {
		return fmt.Errorf("paymentbi: load state: %w", err)
	}
	e.mu.Lock()
	if data := ops[0].Value; data != nil {
		if err := e.cust.unmarshal(data); err != nil {
			e.logger.Warn("paymentbi: ignoring saved customer state", zap.Error(err))
		}
	}
	var snap *savedSnapshot
	if data := ops[3].Value; data != nil {
		var err error
		if snap, err = unmarshalSnapshot(data); err != nil {
			e.logger.Warn("paymentbi: ignoring saved counters", zap.Error(err))
		}
	}
	// the dedup window is applied as of the snapshot: the journal replays
	// the expiry that happened after it
	dedupAt := e.now()
	if snap != nil {
		dedupAt = snap.savedAt
	}
	if data := ops[2].Value; data != nil {
		if err := e.dedup.unmarshal(data, dedupAt); err != nil {
			e.logger.Warn("paymentbi: ignoring saved dedup set", zap.Error(err))
		}
	}
	if data := ops[4].Value; data != nil {
		if err := e.resent.unmarshal(data, dedupAt); err != nil {
			e.logger.Warn("paymentbi: ignoring saved set of counted batches", zap.Error(err))
		}
	}
	switch {
	case snap != nil:
		e.restoreSnapshot(snap)
		e.snapshotted = true
		if data := ops[5].Value; data != nil {
			if err := e.restoreFolded(data, snap.seq); err != nil {
				e.logger.Warn("paymentbi: ignoring saved fold counts", zap.Error(err))
			}
		}
	case ops[3].Value != nil:
		// The snapshot is lost, the records written after it are not:
		// replay them now. Left behind, they would be replayed once the
		// new sequence reached them at some later start.
		if first, ok := e.firstJournalSeq(ctx, client); ok {
			e.seq, e.snapSeq = first-1, first-1
		}
	case ops[1].Value != nil:
		e.loadLegacyPeriods(ops[1].Value)
	}
	replayed, err := e.replay(ctx, client)
	if err != nil {
		// Starting anyway would lose the records not read yet: the next
		// batches' records take their keys. The collector refuses to
		// start instead, and the next start reads them again.
		e.mu.Unlock()
		return fmt.Errorf("%w (after %d journal records; nothing is lost, the next start replays them)", err, replayed)
	}
	e.store = client
	if e.agg.stages.restarted() {
		// journaled, so a later replay restarts these series at the same point
		e.pending = e.pending[:0]
		if err := e.commit(ctx, recordRestart, e.now()); err != nil {
			e.store = nil
			e.mu.Unlock()
			return err
		}
	}
	skipped := e.skipped
	e.mu.Unlock()
	if replayed > 0 || skipped > 0 {
		e.logger.Info("paymentbi: replayed journal", zap.Int("records", replayed),
			zap.Int("skipped_undecodable", skipped), zap.Uint64("seq", e.seq))
	}
	// (after a replay the journal stays until the next sync: writing the
	// customer filter now would slow every restart of a crash loop)
	if snap == nil {
		e.mu.Lock()
		e.dedup.dirty = true // the hash seed of the journal's order keys
		e.mu.Unlock()
		return e.SaveState(ctx, client)
	}
	return nil
}

// firstJournalSeq is the lowest journal record on client, for a start
// without a usable snapshot; ok is false when there is none or client
// cannot list its keys.
func (e *Engine) firstJournalSeq(ctx context.Context, client storage.Client) (first uint64, ok bool) {
	w, canWalk := client.(storage.Walker)
	if !canWalk {
		e.logger.Warn("paymentbi: the storage cannot list the journal records after the lost snapshot; they stay on disk")
		return 0, false
	}
	err := w.Walk(ctx, func(key string, _ []byte) ([]*storage.Operation, error) {
		if seq, isRecord := journalSeq(key); isRecord && (!ok || seq < first) {
			first, ok = seq, true
		}
		return nil, nil
	})
	if err != nil {
		e.logger.Warn("paymentbi: listing the journal records after the lost snapshot failed; they stay on disk", zap.Error(err))
		return 0, false
	}
	return first, ok
}

// loadLegacyPeriods reads the day and month revenue saved by versions
// before the snapshot key.
func (e *Engine) loadLegacyPeriods(data []byte) {
	var ps periodState
	if err := json.Unmarshal(data, &ps); err != nil {
		e.logger.Warn("paymentbi: ignoring saved revenue periods", zap.Error(err))
		return
	}
	if ps.DayStart.Equal(e.agg.day.start) {
		e.agg.dayRevenue = nonNil(ps.Day)
	}
	if ps.MonthStart.Equal(e.agg.month.start) {
		e.agg.monthRevenue = nonNil(ps.Month)
	}
}

func nonNil(m map[string]int64) map[string]int64 {
	if m == nil {
		return map[string]int64{}
	}
	return m
}

// SaveState writes a snapshot of the whole state, tagged with the last
// journal record it contains, and deletes those records, in one storage
// batch taken under one lock: after a crash the snapshot plus the records
// left give exactly the state of the last acknowledged batch. The customer
// filter and the dedup set are written when they changed. Nothing is
// written when nothing happened since the last snapshot.
func (e *Engine) SaveState(ctx context.Context, client storage.Client) error {
	e.mu.Lock()
	if e.seq == e.snapSeq && !e.dedup.dirty && !e.resent.dirty && !e.cust.dirty && e.snapshotted {
		e.mu.Unlock()
		return nil
	}
	now := e.now()
	var ops []*storage.Operation
	dedupDirty := e.dedup.dirty
	if dedupDirty {
		ops = append(ops, storage.SetOperation(keyDedup, e.dedup.marshal(now)))
	}
	resentDirty := e.resent.dirty
	if resentDirty {
		ops = append(ops, storage.SetOperation(keyResent, e.resent.marshal(now)))
	}
	if e.cust.dirty {
		data, err := e.cust.marshal()
		if err != nil {
			e.mu.Unlock()
			return fmt.Errorf("paymentbi: encode customer state: %w", err)
		}
		ops = append(ops, storage.SetOperation(keyCustomers, data))
	}
	ops = append(ops, storage.SetOperation(keyState, e.marshalSnapshot(now)),
		storage.SetOperation(keyFolded, e.marshalFolded()), storage.DeleteOperation(keyPeriods))
	seq, from := e.seq, e.snapSeq
	for s := from + 1; s <= seq; s++ {
		ops = append(ops, storage.DeleteOperation(journalKey(s)))
	}
	custDirty := e.cust.dirty
	e.cust.dirty, e.dedup.dirty, e.resent.dirty = false, false, false
	e.mu.Unlock()
	if err := client.Batch(ctx, ops...); err != nil {
		e.mu.Lock()
		e.cust.dirty = e.cust.dirty || custDirty
		e.dedup.dirty = e.dedup.dirty || dedupDirty
		e.resent.dirty = e.resent.dirty || resentDirty
		e.mu.Unlock()
		return fmt.Errorf("paymentbi: save state: %w", err)
	}
	e.mu.Lock()
	e.snapSeq = max(e.snapSeq, seq)
	e.snapshotted = true
	e.mu.Unlock()
	return nil
}

// Detach stops journaling (the storage client is about to close).
func (e *Engine) Detach() {
	e.mu.Lock()
	e.store = nil
	e.mu.Unlock()
}
