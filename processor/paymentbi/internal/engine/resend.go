package engine

import "time"

// A batch whose acknowledgement was lost — the process was killed after
// journaling it, or another exporter of the pipeline failed it — is sent
// again whole by the client: the OTel SDKs and a sidecar's exporter retry
// the same request. The connector recognises such a re-send by a hash of
// its decoded events in order and counts it once: its events are counted
// as duplicates instead. This covers the events without an id of their
// own (funnel steps, charge attempts, failures, inventory readings, held
// stock), which the purchase and refund sets cannot recognise.
//
// The hash covers only fields the journal keeps, under the conditions it
// keeps them, so a replayed record yields the key its live batch had and
// the set is rebuilt by the replay; the set itself is saved with each
// snapshot under its own key (keyResent), which a version without it
// ignores. Derived fields the pipeline may decide differently the second
// time (the customer segment, the reporting amount) are left out.
const (
	// resendWindow covers a client's retries and a restart after a kill.
	resendWindow = 15 * time.Minute
	// maxResentBatches bounds the set: 17 B per batch saved, ≤ 1.6 MiB.
	maxResentBatches = 100_000
)

// batchKey hashes the events of e.pending. ok is false for a batch with
// no event, or none with a timestamp: two such batches with the same
// content may be two real ones.
func (e *Engine) batchKey() (key uint64, ok bool) {
	d := e.resent
	if !d.enabled() || len(e.pending) == 0 {
		return 0, false
	}
	b := e.keyBuf[:0]
	for i := range e.pending {
		ev := &e.pending[i]
		ok = ok || ev.at != 0
		appendKeyFields(&b, ev)
	}
	e.keyBuf = b
	d.digest.ResetWithSeed(d.seed)
	_, _ = d.digest.Write(b)
	return d.digest.Sum64(), ok
}

// appendKeyFields encodes the fields of ev that identify it in a re-sent
// batch: appendEvent's, under its conditions, less the segment and the
// reporting amount.
func appendKeyFields(b *enc, ev *event) {
	b.Str(ev.name)
	var flags byte
	for i, set := range [...]bool{ev.hasMoney, ev.moneyErr != nil, ev.spanError, ev.hasOrder, ev.fromSpan} {
		if set {
			flags |= 1 << i
		}
	}
	b.Byte(flags)
	if ev.moneyErr != nil {
		b.Byte(reasonCode(ev.moneyErr)) // 255 live and replayed for an unknown one
	}
	if ev.hasMoney {
		b.Str(ev.money.Currency)
		b.Varint(ev.money.Minor)
	}
	b.Str(ev.method)
	b.Str(ev.provider)
	b.Str(ev.status)
	b.Str(ev.errorType)
	if ev.hasOrder {
		b.U64(ev.orderKey)
	}
	b.Str(ev.customer)
	if ev.kind == kindInventory {
		b.Str(ev.itemID)
		b.Varint(ev.available)
		b.Varint(ev.reserved)
		b.Bool(ev.hasAvailable)
		b.Bool(ev.hasReserved)
	}
	b.Varint(int64(ev.duration))
	b.U64(uint64(ev.at))
	*b = append(*b, ev.traceID[:]...)
}

// resentBatch reports whether e.pending is a batch already counted within
// the window, and remembers it if not.
func (e *Engine) resentBatch(now time.Time) bool {
	key, ok := e.batchKey()
	if !ok {
		return false
	}
	if _, dup := e.resent.lookup(key, now); dup {
		return true
	}
	e.resent.add(key, 0, now)
	return false
}
