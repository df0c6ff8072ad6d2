package dispatch

import (
	"maps"
	"slices"

	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/channel"
	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/state"
)

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
