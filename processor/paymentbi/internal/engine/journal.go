package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.uber.org/zap"

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

// journalVersion 2 appends each event's checkout key, item units and
// experiment (extension flags below); version 1 records replay without.
const journalVersion = 2

// journalKey is the storage key of record seq; fixed width keeps the keys
// in order for a human looking at the file.
func journalKey(seq uint64) string { return fmt.Sprintf("%s%016x", journalPrefix, seq) }

const journalPrefix = "journal/"

// journalSeq is the sequence number of a journal record's key.
func journalSeq(key string) (uint64, bool) {
	hex, isRecord := strings.CutPrefix(key, journalPrefix)
	if !isRecord || len(hex) != 16 {
		return 0, false
	}
	seq, err := strconv.ParseUint(hex, 16, 64)
	return seq, err == nil && seq > 0
}

// eventNames are the only names eventKind and spanKind recognise; a record
// stores the index.
var eventNames = [...]string{
	contract.EventPurchase, contract.EventRefund, contract.EventPaymentFailed, contract.EventInventory,
	contract.EventViewItem, contract.EventAddToCart, contract.EventBeginCheckout, contract.EventAddPaymentInfo,
	contract.SpanPaymentCharge, contract.SpanInventoryCheck, contract.SpanPaymentRefund,
	contract.EventInventoryRelease,
}

// nameCode is the index of name in eventNames (255: none), as a switch:
// a linear scan of the names was a tenth of encoding a record.
// TestNameCodeMatchesEventNames keeps the two in step.
func nameCode(name string) byte {
	switch name {
	case contract.EventPurchase:
		return 0
	case contract.EventRefund:
		return 1
	case contract.EventPaymentFailed:
		return 2
	case contract.EventInventory:
		return 3
	case contract.EventViewItem:
		return 4
	case contract.EventAddToCart:
		return 5
	case contract.EventBeginCheckout:
		return 6
	case contract.EventAddPaymentInfo:
		return 7
	case contract.SpanPaymentCharge:
		return 8
	case contract.SpanInventoryCheck:
		return 9
	case contract.SpanPaymentRefund:
		return 10
	case contract.EventInventoryRelease:
		return 11
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

// Extension flags (journal version 2), in a second byte after the trace id.
const (
	extCheckout = 1 << iota
	extItems
	extExperiment
	extChannel
	extCountry
)

// appendEvent encodes the fields of ev the stateful paths read.
func appendEvent(b *enc, ev *event) {
	b.Byte(nameCode(ev.name))
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
	b.Byte(flags)
	if ev.moneyErr != nil {
		b.Byte(reasonCode(ev.moneyErr))
	}
	if ev.hasMoney {
		b.Str(ev.money.Currency)
		b.Varint(ev.money.Minor)
		b.Varint(ev.reporting)
	}
	b.Str(ev.method)
	b.Str(ev.provider)
	b.Str(ev.status)
	b.Str(ev.errorType)
	if ev.hasOrder {
		b.U64(ev.orderKey)
	}
	b.Str(ev.customer)
	b.Byte(segmentMemo(ev.segment))
	if ev.kind == kindInventory {
		b.Str(ev.itemID)
		b.Varint(ev.available)
		b.Varint(ev.reserved)
	}
	b.Varint(int64(ev.duration))
	b.U64(uint64(ev.at))
	if !ev.traceID.IsEmpty() {
		*b = append(*b, ev.traceID[:]...)
	}
	appendExtension(b, ev)
}

func appendExtension(b *enc, ev *event) {
	var ext byte
	if ev.hasRes {
		ext |= extCheckout
	}
	if len(ev.items) > 0 {
		ext |= extItems
	}
	if ev.expID != "" || ev.expVariant != "" {
		ext |= extExperiment
	}
	if ev.channel != "" {
		ext |= extChannel
	}
	if ev.country != "" {
		ext |= extCountry
	}
	b.Byte(ext)
	if ev.hasRes {
		b.U64(ev.resKey)
	}
	if len(ev.items) > 0 {
		b.Uvarint(uint64(len(ev.items)))
		for _, it := range ev.items {
			b.Str(it.id)
			b.Varint(it.qty)
			b.Str(it.category)
			b.Varint(it.lineMinor)
		}
	}
	if ext&extExperiment != 0 {
		b.Str(ev.expID)
		b.Str(ev.expVariant)
	}
	if ev.channel != "" {
		b.Str(ev.channel)
	}
	if ev.country != "" {
		b.Str(ev.country)
	}
}

func readExtension(d *dec, ev *event) {
	ext := d.Byte()
	if ext&extCheckout != 0 {
		ev.resKey, ev.hasRes = d.U64(), true
	}
	if ext&extItems != 0 {
		n := d.Count()
		ev.items = make([]itemQty, 0, n)
		for i := 0; i < n && d.Err == nil; i++ {
			ev.items = append(ev.items, itemQty{id: d.Str(), qty: d.Varint(), category: d.Str(), lineMinor: d.Varint()})
		}
	}
	if ext&extExperiment != 0 {
		ev.expID, ev.expVariant = d.Str(), d.Str()
	}
	if ext&extChannel != 0 {
		ev.channel = d.Str()
	}
	if ext&extCountry != 0 {
		ev.country = d.Str()
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

func readEvent(d *dec, version byte, ev *event) {
	code := d.Byte()
	if int(code) >= len(eventNames) {
		d.Fail()
		return
	}
	name := eventNames[code]
	k := eventKind(name)
	if k == kindNone {
		k = spanKind(name)
	}
	*ev = event{kind: k, name: name, step: contract.FunnelStep(name)}
	flags := d.Byte()
	if flags&flagMoneyErr != 0 {
		if c := d.Byte(); int(c) < len(knownReasons) {
			ev.moneyErr = knownReasons[c]
		} else {
			ev.moneyErr = errReasonInvalid
		}
	}
	if flags&flagMoney != 0 {
		ev.hasMoney = true
		ev.money.Currency = d.Str()
		ev.money.Minor = d.Varint()
		ev.reporting = d.Varint()
	}
	ev.method, ev.provider, ev.status, ev.errorType = d.Str(), d.Str(), d.Str(), d.Str()
	if flags&flagOrder != 0 {
		ev.hasOrder, ev.orderKey = true, d.U64()
	}
	ev.customer = d.Str()
	ev.segment = memoSegment(d.Byte())
	ev.spanError = flags&flagSpanError != 0
	if k == kindInventory {
		ev.itemID = d.Str()
		ev.available, ev.hasAvailable = d.Varint(), flags&flagAvailable != 0
		ev.reserved, ev.hasReserved = d.Varint(), flags&flagReserved != 0
	}
	ev.duration = time.Duration(d.Varint())
	ev.at = pcommon.Timestamp(d.U64())
	ev.fromSpan = flags&flagFromSpan != 0
	if flags&flagTrace != 0 {
		if len(d.B) < len(ev.traceID) {
			d.Fail()
			return
		}
		copy(ev.traceID[:], d.B)
		d.B = d.B[len(ev.traceID):]
	}
	if version >= 2 {
		readExtension(d, ev)
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
	n := 0
	for i := range e.pending {
		if journaled(mode, &e.pending[i]) {
			n++
		}
	}
	if n == 0 && mode != recordEmit && mode != recordRestart {
		return nil
	}
	b := appendRecord(e.recordBuf[:0], mode, now, e.pending, n)
	e.recordBuf = b
	// The storage API does not promise to copy the value (file_storage
	// does, contrib's in-memory storage does not) and recordBuf is reused
	// by the next batch: hand over a copy.
	if err := e.store.Set(ctx, journalKey(e.seq+1), bytes.Clone(b)); err != nil {
		return fmt.Errorf("paymentbi: journal write failed, batch not accepted: %w", err)
	}
	e.seq++
	return nil
}

// appendRecord encodes the journal record of the n events of events that
// the mode journals.
func appendRecord(b enc, mode byte, now time.Time, events []event, n int) enc {
	b.Byte(journalVersion)
	b.Byte(mode)
	b.Varint(now.UnixNano())
	b.Uvarint(uint64(n))
	for i := range events {
		if journaled(mode, &events[i]) {
			appendEvent(&b, &events[i])
		}
	}
	return b
}

// readRecord decodes a journal record of any version into e.pending.
func (e *Engine) readRecord(data []byte) (mode byte, now time.Time, err error) {
	d := &dec{B: data}
	v := d.Byte()
	if v < 1 || v > journalVersion {
		return 0, now, fmt.Errorf("journal record version %d", v)
	}
	mode = d.Byte()
	now = time.Unix(0, d.Varint())
	n := d.Count()
	if d.Err != nil {
		return 0, now, d.Err
	}
	e.pending = e.pending[:0]
	for i := 0; i < n && d.Err == nil; i++ {
		e.pending = append(e.pending, event{})
		readEvent(d, v, &e.pending[len(e.pending)-1])
	}
	return mode, now, d.Err
}

// replayRecord applies one journal record as the live path did.
func (e *Engine) replayRecord(data []byte) error {
	mode, now, err := e.readRecord(data)
	if err != nil {
		return err
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
// first missing one. It returns how many were applied. A record that does
// not decode (corrupt, or written by another version) is skipped and
// counted in e.skipped, the first one logged: stopping there would lose
// every acknowledged batch after it, and leave those records on disk where
// the keys of new records would interleave with them. Decoding fails
// before a record changes any state.
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
				if e.skipped == 0 {
					e.logger.Warn("paymentbi: skipping journal records that do not decode; their events are not counted",
						zap.Uint64("first_record", e.seq+1), zap.Error(err))
				}
				e.skipped++
			} else {
				applied++
			}
			e.seq++
		}
	}
}

// SkippedJournalRecords is how many journal records the start skipped
// because they did not decode.
func (e *Engine) SkippedJournalRecords() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.skipped
}

// LastRecordBytes is the last journal record written (benchmarks report
// its size).
func (e *Engine) LastRecordBytes() []byte {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.recordBuf
}
