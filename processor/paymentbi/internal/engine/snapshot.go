package engine

import (
	"errors"
	"fmt"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.uber.org/zap"
)

// The snapshot envelope (storage key "state"): magic, version, then the
// journal position it contains, when it was taken, the cumulative start,
// and every aggregate, limiter and series stage. The customer filter and
// the dedup set keep their own keys (they are large and saved only when
// changed), written in the same storage batch.
var snapshotMagic = [4]byte{'P', 'B', 'I', 'S'}

// snapshotVersion 2 appends the inventory forecast (depletion and held
// stock), the experiment counts and the hourly revenue; a version 1
// snapshot loads without. Later additions go under keys of their own
// (state.go): a rollback to a version that reads only 1 to 2 then keeps
// its counters.
const snapshotVersion = 2

func putMap[K comparable, V any](b *enc, m map[K]V, key func(*enc, K), val func(*enc, V)) {
	b.Uvarint(uint64(len(m)))
	for k, v := range m {
		key(b, k)
		val(b, v)
	}
}

func getMap[K comparable, V any](d *dec, key func(*dec) K, val func(*dec) V) map[K]V {
	n := d.Count()
	m := make(map[K]V, n)
	for i := 0; i < n && d.Err == nil; i++ {
		k := key(d)
		m[k] = val(d)
	}
	return m
}

func putMoneyKey(b *enc, k moneyKey) { b.Str(k.currency); b.Str(k.method); b.Str(k.provider) }
func getMoneyKey(d *dec) moneyKey {
	return moneyKey{currency: d.Str(), method: d.Str(), provider: d.Str()}
}

func putAttemptKey(b *enc, k attemptKey) {
	b.Str(k.status)
	b.Str(k.errorType)
	b.Str(k.method)
	b.Str(k.provider)
}

func getAttemptKey(d *dec) attemptKey {
	return attemptKey{status: d.Str(), errorType: d.Str(), method: d.Str(), provider: d.Str()}
}
func putFailureKey(b *enc, k failureKey) { b.Str(k.errorType); b.Str(k.method); b.Str(k.provider) }
func getFailureKey(d *dec) failureKey {
	return failureKey{errorType: d.Str(), method: d.Str(), provider: d.Str()}
}
func putDurationKey(b *enc, k durationKey) { b.Str(k.status); b.Str(k.method); b.Str(k.provider) }
func getDurationKey(d *dec) durationKey {
	return durationKey{status: d.Str(), method: d.Str(), provider: d.Str()}
}
func putInvalidKey(b *enc, k invalidKey) { b.Str(k.reason); b.Str(k.event) }
func getInvalidKey(d *dec) invalidKey    { return invalidKey{reason: d.Str(), event: d.Str()} }

func putStr(b *enc, s string)  { b.Str(s) }
func getStr2(d *dec) string    { return d.Str() }
func putInt(b *enc, v int64)   { b.Varint(v) }
func getInt(d *dec) int64      { return d.Varint() }
func putStage(b *enc, v uint8) { b.Byte(v) }
func getStage(d *dec) uint8    { return d.Byte() }
func putNone(*enc, struct{})   {}
func getNone(*dec) struct{}    { return struct{}{} }
func putStock(b *enc, s stock) {
	b.Varint(s.available)
	b.Varint(s.reserved)
	b.Bool(s.hasAvailable)
	b.Bool(s.hasReserved)
	b.U64(uint64(s.availableAt))
	b.U64(uint64(s.reservedAt))
}

func getStock(d *dec) stock {
	return stock{
		available: d.Varint(), reserved: d.Varint(), hasAvailable: d.Bool(), hasReserved: d.Bool(),
		availableAt: pcommon.Timestamp(d.U64()), reservedAt: pcommon.Timestamp(d.U64()),
	}
}

func putHistogram(b *enc, h *histogram) {
	b.Uvarint(uint64(len(h.counts)))
	for _, c := range h.counts {
		b.Uvarint(c)
	}
	b.F64(h.sum)
	b.Uvarint(h.count)
}

func getHistogram(d *dec) *histogram {
	h := &histogram{counts: make([]uint64, d.Count())}
	for i := range h.counts {
		h.counts[i] = d.Uvarint()
	}
	h.sum = d.F64()
	h.count = d.Uvarint()
	return h
}

// marshalSnapshot encodes the engine state at journal position e.seq.
// e.mu must be held.
func (e *Engine) marshalSnapshot(now time.Time) []byte {
	a := &e.agg
	b := enc(make([]byte, 0, 4096))
	b = append(b, snapshotMagic[:]...)
	b.Byte(snapshotVersion)
	b.U64(e.seq)
	b.Varint(now.UnixNano())
	b.Varint(e.start.UnixNano())
	b.Varint(a.day.start.UnixNano())
	b.Varint(a.month.start.UnixNano())
	putMap(&b, a.dayRevenue, putStr, putInt)
	putMap(&b, a.monthRevenue, putStr, putInt)
	for _, m := range []map[moneyKey]int64{a.revenue, a.orders, a.refunds, a.refundAmount} {
		putMap(&b, m, putMoneyKey, putInt)
	}
	putMap(&b, a.attempts, putAttemptKey, putInt)
	putMap(&b, a.failures, putFailureKey, putInt)
	putMap(&b, a.durations, putDurationKey, putHistogram)
	for _, n := range a.funnel {
		b.Varint(n)
	}
	for _, m := range []map[string]int64{a.segmentOrders, a.duplicates, a.late} {
		putMap(&b, m, putStr, putInt)
	}
	putMap(&b, a.stock, putStr, putStock)
	putMap(&b, a.invalid, putInvalidKey, putInt)
	b.Varint(a.lateInventory)
	b.Str(string(a.refundsSeen.marshal(now)))
	for _, l := range []*limiter{e.methods, e.providers, e.errorTypes, e.items} {
		putMap(&b, l.seen, putStr, putNone)
	}
	st := &a.stages
	putMap(&b, st.money, putMoneyKey, putStage)
	putMap(&b, st.refund, putMoneyKey, putStage)
	putMap(&b, st.attempt, putAttemptKey, putStage)
	putMap(&b, st.failure, putFailureKey, putStage)
	putMap(&b, st.duration, putDurationKey, putStage)
	for _, m := range []map[string]uint8{st.segment, st.duplicate, st.late} {
		putMap(&b, m, putStr, putStage)
	}
	putMap(&b, st.invalid, putInvalidKey, putStage)
	for _, v := range st.funnel {
		b.Byte(v)
	}
	putMap(&b, a.depletion, putStr, putDepletion)
	putMap(&b, a.held, func(b *enc, k uint64) { b.U64(k) }, putHolding)
	b.Varint(a.heldDropped)
	putMap(&b, a.experiments, func(b *enc, k expKey) { b.Str(k.id); b.Str(k.variant) }, putExpStats)
	b.Varint(a.expDropped)
	putMap(&b, a.hourly, putInt, putInt)
	putMap(&b, a.segments, putSegKey, func(b *enc, s *segStats) { b.Varint(s.visits); b.Varint(s.orders); b.Varint(s.revenue) })
	putMap(&b, st.segments, putSegKey, putStage)
	for _, l := range []*limiter{e.channels, e.categoriesLimit} {
		putMap(&b, l.seen, putStr, putNone)
	}
	return b
}

func putSegKey(b *enc, k segKey) { b.Str(k.dim); b.Str(k.value) }
func getSegKey(d *dec) segKey    { return segKey{dim: d.Str(), value: d.Str()} }

func putExpStats(b *enc, s *expStats) {
	for _, n := range s.funnel {
		b.Varint(n)
	}
	b.Varint(s.succeeded)
	b.Varint(s.failed)
}

func getExpStats(d *dec) *expStats {
	s := &expStats{}
	for i := range s.funnel {
		s.funnel[i] = d.Varint()
	}
	s.succeeded, s.failed = d.Varint(), d.Varint()
	return s
}

func putDepletion(b *enc, d *depletion) {
	b.Varint(d.bucket)
	b.Varint(d.current)
	b.F64(d.rate)
	b.F64(d.weight)
	b.Varint(d.closed)
}

func getDepletion(d *dec) *depletion {
	return &depletion{bucket: d.Varint(), current: d.Varint(), rate: d.F64(), weight: d.F64(), closed: d.Varint()}
}

func putHolding(b *enc, h holding) {
	b.Varint(h.at)
	b.Uvarint(uint64(len(h.items)))
	for _, it := range h.items {
		b.Str(it.id)
		b.Varint(it.qty)
	}
}

func getHolding(d *dec) holding {
	h := holding{at: d.Varint()}
	n := d.Count()
	h.items = make([]itemQty, 0, n)
	for i := 0; i < n && d.Err == nil; i++ {
		h.items = append(h.items, itemQty{id: d.Str(), qty: d.Varint()})
	}
	return h
}

// savedSnapshot is a decoded snapshot, applied only once fully read.
type savedSnapshot struct {
	seq                  uint64
	savedAt, start       time.Time
	dayStart, monthStart time.Time
	agg                  aggregates
	limiters             [4]map[string]struct{}
	// segmentLimiters are the channel and category limiters (format 2).
	segmentLimiters [2]map[string]struct{}
	// refundsSeen is the encoded refund dedup set, loaded against the
	// engine's own window and bound.
	refundsSeen []byte
}

var errSnapshotFormat = errors.New("saved state has an unknown format")

func unmarshalSnapshot(data []byte) (*savedSnapshot, error) {
	if len(data) < 5 || [4]byte(data[:4]) != snapshotMagic {
		return nil, errSnapshotFormat
	}
	version := data[4]
	if version < 1 || version > snapshotVersion {
		return nil, fmt.Errorf("saved state version %d, this build reads 1 to %d", version, snapshotVersion)
	}
	d := &dec{B: data[5:]}
	s := &savedSnapshot{}
	s.seq = d.U64()
	s.savedAt = time.Unix(0, d.Varint())
	s.start = time.Unix(0, d.Varint())
	s.dayStart = time.Unix(0, d.Varint())
	s.monthStart = time.Unix(0, d.Varint())
	a := &s.agg
	a.dayRevenue = getMap(d, getStr2, getInt)
	a.monthRevenue = getMap(d, getStr2, getInt)
	a.revenue = getMap(d, getMoneyKey, getInt)
	a.orders = getMap(d, getMoneyKey, getInt)
	a.refunds = getMap(d, getMoneyKey, getInt)
	a.refundAmount = getMap(d, getMoneyKey, getInt)
	a.attempts = getMap(d, getAttemptKey, getInt)
	a.failures = getMap(d, getFailureKey, getInt)
	a.durations = getMap(d, getDurationKey, getHistogram)
	for i := range a.funnel {
		a.funnel[i] = d.Varint()
	}
	a.segmentOrders = getMap(d, getStr2, getInt)
	a.duplicates = getMap(d, getStr2, getInt)
	a.late = getMap(d, getStr2, getInt)
	a.stock = getMap(d, getStr2, getStock)
	a.invalid = getMap(d, getInvalidKey, getInt)
	a.lateInventory = d.Varint()
	s.refundsSeen = []byte(d.Str())
	for i := range s.limiters {
		s.limiters[i] = getMap(d, getStr2, getNone)
	}
	st := &a.stages
	st.money = getMap(d, getMoneyKey, getStage)
	st.refund = getMap(d, getMoneyKey, getStage)
	st.attempt = getMap(d, getAttemptKey, getStage)
	st.failure = getMap(d, getFailureKey, getStage)
	st.duration = getMap(d, getDurationKey, getStage)
	st.segment = getMap(d, getStr2, getStage)
	st.duplicate = getMap(d, getStr2, getStage)
	st.late = getMap(d, getStr2, getStage)
	st.invalid = getMap(d, getInvalidKey, getStage)
	for i := range st.funnel {
		st.funnel[i] = d.Byte()
	}
	if version >= 2 {
		a.depletion = getMap(d, getStr2, getDepletion)
		a.held = getMap(d, func(d *dec) uint64 { return d.U64() }, getHolding)
		a.heldDropped = d.Varint()
		a.experiments = getMap(d, func(d *dec) expKey { return expKey{id: d.Str(), variant: d.Str()} }, getExpStats)
		a.expDropped = d.Varint()
		a.hourly = getMap(d, getInt, getInt)
		a.segments = getMap(d, getSegKey, func(d *dec) *segStats { return &segStats{visits: d.Varint(), orders: d.Varint(), revenue: d.Varint()} })
		st.segments = getMap(d, getSegKey, getStage)
		s.segmentLimiters = [2]map[string]struct{}{getMap(d, getStr2, getNone), getMap(d, getStr2, getNone)}
	} else {
		a.depletion, a.held = map[string]*depletion{}, map[uint64]holding{}
		a.experiments = map[expKey]*expStats{}
		a.hourly = map[int64]int64{}
		a.segments, st.segments = map[segKey]*segStats{}, map[segKey]uint8{}
		s.segmentLimiters = [2]map[string]struct{}{{}, {}}
	}
	a.folded, st.folded = map[string]int64{}, map[string]uint8{} // keyFolded
	if d.Err != nil {
		return nil, fmt.Errorf("saved state: %w", d.Err)
	}
	if len(d.B) != 0 {
		return nil, errSnapshotFormat
	}
	return s, nil
}

// foldedMagic starts the fold counts saved under keyFolded.
var foldedMagic = [4]byte{'P', 'B', 'I', 'F'}

// marshalFolded encodes the series bound's fold counts and their stages,
// tagged with the journal position of the snapshot saved with them.
// e.mu must be held.
func (e *Engine) marshalFolded() []byte {
	b := enc(make([]byte, 0, 64))
	b = append(b, foldedMagic[:]...)
	b.Byte(1)
	b.U64(e.seq)
	putMap(&b, e.agg.folded, putStr, putInt)
	putMap(&b, e.agg.stages.folded, putStr, putStage)
	return b
}

// restoreFolded loads fold counts saved with the snapshot of journal
// position seq. Counts saved with another snapshot — a rollback to a
// version without them wrote snapshots since — are not this snapshot's
// and are ignored. e.mu must be held.
func (e *Engine) restoreFolded(data []byte, seq uint64) error {
	if len(data) < 5 || [4]byte(data[:4]) != foldedMagic || data[4] != 1 {
		return errSnapshotFormat
	}
	d := &dec{B: data[5:]}
	saved := d.U64()
	folded := getMap(d, getStr2, getInt)
	stages := getMap(d, getStr2, getStage)
	if d.Err != nil {
		return fmt.Errorf("saved fold counts: %w", d.Err)
	}
	if len(d.B) != 0 {
		return errSnapshotFormat
	}
	if saved != seq {
		return fmt.Errorf("saved fold counts belong to journal position %d, the snapshot to %d", saved, seq)
	}
	e.agg.folded, e.agg.stages.folded = folded, stages
	return nil
}

// restoreSnapshot replaces the engine's aggregates with s. The day and
// month continue if the time zone still draws them where they were.
// e.mu must be held.
func (e *Engine) restoreSnapshot(s *savedSnapshot) {
	day, month := dayOf(s.dayStart, e.loc), monthOf(s.monthStart, e.loc)
	fresh := e.agg
	e.agg = s.agg
	e.agg.day, e.agg.month = day, month
	if !day.start.Equal(s.dayStart) || !month.start.Equal(s.monthStart) {
		// another timezone: the saved periods mean nothing now
		e.agg.day, e.agg.month = fresh.day, fresh.month
		clear(e.agg.dayRevenue)
		clear(e.agg.monthRevenue)
	}
	// histograms counted on other duration buckets start again (as new
	// series): their counts do not fit the configured bounds
	for k, h := range e.agg.durations {
		if len(h.counts) != len(e.bounds)+1 {
			delete(e.agg.durations, k)
			delete(e.agg.stages.duration, k)
		}
	}
	e.agg.refundsSeen = fresh.refundsSeen
	if err := e.agg.refundsSeen.unmarshal(s.refundsSeen, s.savedAt); err != nil {
		e.logger.Warn("paymentbi: ignoring saved refund matches", zap.Error(err))
	}
	for i, l := range []*limiter{e.methods, e.providers, e.errorTypes, e.items} {
		l.seen = s.limiters[i]
	}
	e.channels.seen, e.categoriesLimit.seen = s.segmentLimiters[0], s.segmentLimiters[1]
	// the country limiter's values are the country segments (snapshot
	// format 2 has no room of its own for them)
	clear(e.countries.seen)
	for k := range e.agg.segments {
		if k.dim == DimensionCountry && k.value != Unknown && k.value != Overflow {
			e.countries.seen[k.value] = struct{}{}
		}
	}
	e.start = s.start
	e.seq, e.snapSeq = s.seq, s.seq
}
