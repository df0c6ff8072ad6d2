package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/otelcol-payments/otelcol-payments/internal/contract"
)

// The journal makes an acknowledged batch durable before it is acknowledged:
// each batch that changes the state is written to the storage extension as
// one small record (the decoded business events and the clock reading used),
// under the engine lock and before the state changes, so records are in the
// order the state saw them. A snapshot at each sync is tagged with the last
// record it contains and deletes those records in the same storage batch; a
// start loads the snapshot and replays the records after it through the same
// code as live traffic, which is deterministic given the events and `now`.

// Journal record modes: which engine path applied the events.
const (
	recordObserve byte = 1 + iota // connector: counters
	recordEnrich                  // processor: dedup and customers
	recordEmit                    // connector: an emission advanced series stages
	// recordRestart marks a start that sent zeroed series back to new: the
	// emissions journaled before and after it belong to different processes,
	// and replaying them back to back would make a series live that no
	// process ever showed at 0 and then with its value.
	recordRestart
)

const journalVersion = 1

// journalKey is the storage key of record seq; fixed width keeps the keys
// in order for a human looking at the file.
func journalKey(seq uint64) string { return fmt.Sprintf("journal/%016x", seq) }

// eventNames are the only names eventKind and spanKind recognise; a record
// stores the index.
var eventNames = [...]string{
	contract.EventPurchase, contract.EventRefund, contract.EventPaymentFailed, contract.EventInventory,
	contract.EventViewItem, contract.EventAddToCart, contract.EventBeginCheckout, contract.EventAddPaymentInfo,
	contract.SpanPaymentCharge, contract.SpanInventoryCheck, contract.SpanPaymentRefund,
}

func nameCode(name string) byte {
	for i, n := range eventNames {
		if n == name {
			return byte(i)
		}
	}
	return 255
}

// errReasonInvalid stands for an error outside knownReasons after replay:
// reason() maps both to "invalid".
var errReasonInvalid = errors.New("invalid")

const (
	flagMoney = 1 << iota
	flagMoneyErr
	flagSpanError
	flagAvailable
	flagReserved
	flagOrder
	flagFromSpan
	flagTrace
)

// appendEvent encodes the fields of ev the stateful paths read.
func appendEvent(b *enc, ev *event) {
	b.byte(nameCode(ev.name))
	var flags byte
	if ev.hasMoney {
		flags |= flagMoney
	}
	if ev.moneyErr != nil {
		flags |= flagMoneyErr
	}
	if ev.spanError {
		flags |= flagSpanError
	}
	if ev.hasAvailable {
		flags |= flagAvailable
	}
	if ev.hasReserved {
		flags |= flagReserved
	}
	if ev.hasOrder {
		flags |= flagOrder
	}
	if ev.fromSpan {
		flags |= flagFromSpan
	}
	if !ev.traceID.IsEmpty() {
		flags |= flagTrace
	}
	b.byte(flags)
	if ev.moneyErr != nil {
		b.byte(reasonCode(ev.moneyErr))
	}
	if ev.hasMoney {
		b.str(ev.money.Currency)
		b.varint(ev.money.Minor)
		b.varint(ev.reporting)
	}
	b.str(ev.method)
	b.str(ev.provider)
	b.str(ev.status)
	b.str(ev.errorType)
	if ev.hasOrder {
		b.u64(ev.orderKey)
	}
	b.str(ev.customer)
	b.byte(segmentMemo(ev.segment))
	if ev.kind == kindInventory {
		b.str(ev.itemID)
		b.varint(ev.available)
		b.varint(ev.reserved)
	}
	b.varint(int64(ev.duration))
	b.u64(uint64(ev.at))
	if !ev.traceID.IsEmpty() {
		*b = append(*b, ev.traceID[:]...)
	}
}

func reasonCode(err error) byte {
	for i, known := range knownReasons {
		if errors.Is(err, known) {
			return byte(i)
		}
	}
	return 255
}

func readEvent(d *dec, ev *event) {
	code := d.byte()
	if int(code) >= len(eventNames) {
		d.fail()
		return
	}
	name := eventNames[code]
	k := eventKind(name)
	if k == kindNone {
		k = spanKind(name)
	}
	*ev = event{kind: k, name: name, step: contract.FunnelStep(name)}
	flags := d.byte()
	if flags&flagMoneyErr != 0 {
		if c := d.byte(); int(c) < len(knownReasons) {
			ev.moneyErr = knownReasons[c]
		} else {
			ev.moneyErr = errReasonInvalid
		}
	}
	if flags&flagMoney != 0 {
		ev.hasMoney = true
		ev.money.Currency = d.str()
		ev.money.Minor = d.varint()
		ev.reporting = d.varint()
	}
	ev.method, ev.provider, ev.status, ev.errorType = d.str(), d.str(), d.str(), d.str()
	if flags&flagOrder != 0 {
		ev.hasOrder, ev.orderKey = true, d.u64()
	}
	ev.customer = d.str()
	ev.segment = memoSegment(d.byte())
	ev.spanError = flags&flagSpanError != 0
	if k == kindInventory {
		ev.itemID = d.str()
		ev.available, ev.hasAvailable = d.varint(), flags&flagAvailable != 0
		ev.reserved, ev.hasReserved = d.varint(), flags&flagReserved != 0
	}
	ev.duration = time.Duration(d.varint())
	ev.at = pcommon.Timestamp(d.u64())
	ev.fromSpan = flags&flagFromSpan != 0
	if flags&flagTrace != 0 {
		if len(d.b) < len(ev.traceID) {
			d.fail()
			return
		}
		copy(ev.traceID[:], d.b)
		d.b = d.b[len(ev.traceID):]
	}
}

// journaled reports whether an event changes state on the given path: every
// recognised event on the connector's; on the processor's only the valid
// purchases (dedup and customer filter), the rest only read the state.
func journaled(mode byte, ev *event) bool {
	return mode == recordObserve || (ev.kind == kindPurchase && ev.moneyErr == nil)
}

// commit writes the journal record of the events in e.pending (mode, now)
// and advances the sequence. Without storage, or with nothing that changes
// state, it writes nothing. e.mu must be held.
func (e *Engine) commit(ctx context.Context, mode byte, now time.Time) error {
	if e.store == nil {
		return nil
	}
	b := enc(e.recordBuf[:0])
	b.byte(journalVersion)
	b.byte(mode)
	b.varint(now.UnixNano())
	n := 0
	for i := range e.pending {
		if journaled(mode, &e.pending[i]) {
			n++
		}
	}
	if n == 0 && mode != recordEmit && mode != recordRestart {
		return nil
	}
	b.uvarint(uint64(n))
	for i := range e.pending {
		if journaled(mode, &e.pending[i]) {
			appendEvent(&b, &e.pending[i])
		}
	}
	e.recordBuf = b
	if err := e.store.Set(ctx, journalKey(e.seq+1), b); err != nil {
		return fmt.Errorf("paymentbi: journal write failed, batch not accepted: %w", err)
	}
	e.seq++
	return nil
}

// replayRecord applies one journal record as the live path did.
func (e *Engine) replayRecord(data []byte) error {
	d := &dec{b: data}
	if v := d.byte(); v != journalVersion {
		return fmt.Errorf("journal record version %d", v)
	}
	mode := d.byte()
	now := time.Unix(0, d.varint())
	n := d.count()
	if d.err != nil {
		return d.err
	}
	e.pending = e.pending[:0]
	for i := 0; i < n && d.err == nil; i++ {
		e.pending = append(e.pending, event{})
		readEvent(d, &e.pending[len(e.pending)-1])
	}
	if d.err != nil {
		return d.err
	}
	switch mode {
	case recordObserve:
		e.applyObserve(now)
	case recordEnrich:
		for i := range e.pending {
			e.resolve(&e.pending[i], now, false)
		}
	case recordEmit:
		e.agg.roll(now, e.loc)
		e.agg.stages.advance(&e.agg)
	case recordRestart:
		e.agg.stages.restarted()
	default:
		return fmt.Errorf("journal record mode %d", mode)
	}
	return nil
}

// replayChunk is how many journal keys one storage batch reads at start.
const replayChunk = 256

// replay applies the records after the snapshot's, in order, up to the
// first missing one. It returns how many were applied.
func (e *Engine) replay(ctx context.Context, client storage.Client) (int, error) {
	applied := 0
	for {
		ops := make([]*storage.Operation, replayChunk)
		for i := range ops {
			ops[i] = storage.GetOperation(journalKey(e.seq + 1 + uint64(i)))
		}
		if err := client.Batch(ctx, ops...); err != nil {
			return applied, fmt.Errorf("paymentbi: read journal: %w", err)
		}
		for _, op := range ops {
			if op.Value == nil {
				return applied, nil
			}
			if err := e.replayRecord(op.Value); err != nil {
				return applied, fmt.Errorf("paymentbi: journal record %d: %w", e.seq+1, err)
			}
			e.seq++
			applied++
		}
	}
}

// LastRecordBytes is the last journal record written (benchmarks report
// its size).
func (e *Engine) LastRecordBytes() []byte {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.recordBuf
}
