package engine

import (
	"encoding/binary"
	"time"

	"github.com/cespare/xxhash/v2"
)

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
	h := &d.digest
	h.ResetWithSeed(d.seed)
	var scratch [binary.MaxVarintLen64]byte
	putInt := func(v int64) { _, _ = h.Write(binary.AppendVarint(scratch[:0], v)) }
	putStr := func(s string) {
		putInt(int64(len(s)))
		_, _ = h.WriteString(s)
	}
	for i := range e.pending {
		ev := &e.pending[i]
		ok = ok || ev.at != 0
		hashEvent(h, ev, putInt, putStr)
	}
	return h.Sum64(), ok
}

func hashEvent(h *xxhash.Digest, ev *event, putInt func(int64), putStr func(string)) {
	putStr(ev.name)
	var flags int64
	for i, set := range []bool{ev.hasMoney, ev.moneyErr != nil, ev.spanError, ev.hasOrder, ev.fromSpan} {
		if set {
			flags |= 1 << i
		}
	}
	putInt(flags)
	if ev.moneyErr != nil {
		putInt(int64(reasonCode(ev.moneyErr))) // 255 live and replayed for an unknown one
	}
	if ev.hasMoney {
		putStr(ev.money.Currency)
		putInt(ev.money.Minor)
	}
	putStr(ev.method)
	putStr(ev.provider)
	putStr(ev.status)
	putStr(ev.errorType)
	if ev.hasOrder {
		putInt(int64(ev.orderKey))
	}
	putStr(ev.customer)
	if ev.kind == kindInventory {
		putStr(ev.itemID)
		putInt(ev.available)
		putInt(ev.reserved)
		putInt(boolInt(ev.hasAvailable) | boolInt(ev.hasReserved)<<1)
	}
	putInt(int64(ev.duration))
	putInt(int64(ev.at))
	_, _ = h.Write(ev.traceID[:])
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
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
