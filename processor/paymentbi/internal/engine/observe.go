package engine

import (
	"context"
	"strconv"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/otelcol-payments/otelcol-payments/internal/contract"
)

type moneyKey struct{ currency, method, provider string }

type attemptKey struct{ status, errorType, method, provider string }

type durationKey struct{ status, method, provider string }

type failureKey struct{ errorType, method, provider string }

type invalidKey struct{ reason, event string }

type histogram struct {
	counts []uint64 // len(bounds)+1
	sum    float64
	count  uint64
}

// stock is an item's last reported levels, each with the time of the record
// that reported it: a record older than that is a late reading.
type stock struct {
	available, reserved       int64
	hasAvailable, hasReserved bool
	availableAt, reservedAt   pcommon.Timestamp
}

// aggregates are the connector's cumulative counters since start, plus
// the revenue of the current day and month. Money is kept in exact int64
// minor units per currency and converted only when metrics are emitted.
type aggregates struct {
	revenue, orders, refunds, refundAmount map[moneyKey]int64
	attempts                               map[attemptKey]int64
	failures                               map[failureKey]int64 // payment.failed events
	durations                              map[durationKey]*histogram
	funnel                                 [5]int64
	segmentOrders                          map[string]int64
	stock                                  map[string]stock
	day, month                             period
	dayRevenue, monthRevenue               map[string]int64
	invalid                                map[invalidKey]int64
	duplicates                             map[string]int64
	late                                   map[string]int64 // purchases of a closed day or month, by period
	// folded counts, by event name, the events counted under an overflow
	// series because their metric was at its series bound (series.go).
	folded map[string]int64
	// lateInventory counts inventory levels older than the item's current
	// one, which they do not override.
	lateInventory int64
	// depletion is each item's sales pace, held the stock of each open
	// checkout (forecast.go); heldDropped counts checkouts over the bound.
	depletion   map[string]*depletion
	held        map[uint64]holding
	heldDropped int64
	// experiments are the per-variant counts (experiment.go); expDropped
	// counts events beyond the cardinality bound.
	experiments map[expKey]*expStats
	expDropped  int64
	// hourly is the revenue per clock hour of the last 8 days (growth.go).
	hourly map[int64]int64
	// segments are visits, orders and revenue per segment (segments.go).
	segments map[segKey]*segStats
	// refundsSeen remembers the refunds counted recently, so a refund
	// recorded as the payment.refund span and as the ecommerce.refund event
	// counts once, and so does a refund re-sent after a kill -9 (it is in
	// the snapshot, and the journal replay rebuilds it).
	refundsSeen *dedup
	stages      stages
}

// refundWindow and maxRefundsSeen bound refundsSeen: the two forms of one
// refund come from the same request.
const (
	refundWindow   = 10 * time.Minute
	maxRefundsSeen = 20_000
)

func (a *aggregates) init(now time.Time, loc *time.Location) {
	a.revenue = map[moneyKey]int64{}
	a.orders = map[moneyKey]int64{}
	a.refunds = map[moneyKey]int64{}
	a.refundAmount = map[moneyKey]int64{}
	a.attempts = map[attemptKey]int64{}
	a.failures = map[failureKey]int64{}
	a.durations = map[durationKey]*histogram{}
	a.segmentOrders = map[string]int64{}
	a.stock = map[string]stock{}
	a.invalid = map[invalidKey]int64{}
	a.duplicates = map[string]int64{}
	a.folded = map[string]int64{}
	a.late = map[string]int64{}
	a.depletion, a.held = map[string]*depletion{}, map[uint64]holding{}
	a.experiments = map[expKey]*expStats{}
	a.hourly = map[int64]int64{}
	a.segments = map[segKey]*segStats{}
	a.refundsSeen = newDedup(refundWindow, maxRefundsSeen)
	a.stages.init()
	a.day, a.month = dayOf(now, loc), monthOf(now, loc)
	a.dayRevenue, a.monthRevenue = map[string]int64{}, map[string]int64{}
}

// roll starts a new day or month once now has passed the current one.
func (a *aggregates) roll(now time.Time, loc *time.Location) {
	if !now.Before(a.day.end) {
		a.day = dayOf(now, loc)
		clear(a.dayRevenue)
	}
	if !now.Before(a.month.end) {
		a.month = monthOf(now, loc)
		clear(a.monthRevenue)
	}
}

// Period labels of the late-purchase counter.
const (
	periodDay   = "day"
	periodMonth = "month"
)

// maxClockSkew is how far in the future an event's time may be before it is
// treated as a wrong clock and the processing time used instead.
const maxClockSkew = 5 * time.Minute

// periodsOf says whether a purchase made at the given time belongs to the
// current day and month. Revenue counts where the purchase happened, not
// where it arrived: one replayed from a queue after an outage that crossed
// midnight belongs to the day already closed, and adding it to today's
// progress would overstate it. An unknown time, or one from a clock running
// ahead, counts as now; so does one beyond 2262, which AsTime would wrap to
// 1969.
func (a *aggregates) periodsOf(at pcommon.Timestamp, now time.Time) (inDay, inMonth bool) {
	t, known := contract.TimestampTime(at)
	if !known || t.After(now.Add(maxClockSkew)) {
		return true, true
	}
	return !t.Before(a.day.start), !t.Before(a.month.start)
}

// ObserveLogs counts the business events among ld's log records. With
// storage, the batch is journaled first: an error means nothing was
// counted and the batch may be sent again.
func (e *Engine) ObserveLogs(ctx context.Context, ld plog.Logs) error {
	return e.batch(ctx, recordObserve, func(fn visit) { e.walkLogs(ld, true, fn) })
}

// ObserveTraces counts payment spans and business span events, journaled
// like ObserveLogs.
func (e *Engine) ObserveTraces(ctx context.Context, td ptrace.Traces) error {
	return e.batch(ctx, recordObserve, func(fn visit) { e.walkTraces(td, true, fn) })
}

// batch applies one batch on the observe (connector) or enrich (processor)
// path. The decoded events are collected, journaled when there is
// storage, and only then applied, so a failed write changes nothing; the
// processor without storage applies each event as it is decoded.
func (e *Engine) batch(ctx context.Context, mode byte, walk func(visit)) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.now()
	apply := func(ev *event, attrs pcommon.Map) { e.enrich(ev, attrs, now) }
	if e.store == nil && mode == recordEnrich {
		walk(apply)
		return nil
	}
	// The connector collects the batch without storage too: recognising a
	// re-sent batch needs all of it before anything is counted.
	e.pending, e.pendingAttrs = e.pending[:0], e.pendingAttrs[:0]
	defer e.releasePending()
	e.collecting = true
	walk(e.collect)
	e.collecting = false
	if err := e.commit(ctx, mode, now); err != nil {
		return err
	}
	if mode == recordObserve {
		e.applyObserve(now)
		return nil
	}
	for i := range e.pending {
		apply(&e.pending[i], e.pendingAttrs[i])
	}
	return nil
}

// collect keeps the attributes of the event slot decoded into e.pending.
func (e *Engine) collect(_ *event, attrs pcommon.Map) {
	e.pendingAttrs = append(e.pendingAttrs, attrs)
}

// releasePending empties the batch buffers (dropping references into the
// batch's pdata) and gives back an unusually large one.
func (e *Engine) releasePending() {
	const keep = 16384
	e.collecting = false
	clear(e.pendingAttrs)
	if cap(e.pending) > keep {
		e.pending, e.pendingAttrs = nil, nil
	}
	e.pending, e.pendingAttrs = e.pending[:0], e.pendingAttrs[:0]
}

// applyObserve counts e.pending at now: the live path after its journal
// write, and the replay of a journal record. A re-sent batch (resend.go)
// counts as duplicates only.
func (e *Engine) applyObserve(now time.Time) {
	e.agg.roll(now, e.loc)
	if e.resentBatch(now) {
		for i := range e.pending {
			e.agg.duplicates[e.pending[i].name]++
		}
		return
	}
	for i := range e.pending {
		e.observe(&e.pending[i], now)
	}
}

func (e *Engine) countInvalid(ev *event, err error) {
	ev.moneyErr = err
	e.agg.invalid[invalidKey{reason: reason(err), event: ev.name}]++
	e.logInvalid(ev)
}

func (e *Engine) observe(ev *event, now time.Time) {
	if ev.moneyErr != nil {
		e.countInvalid(ev, ev.moneyErr)
		if ev.kind.moneyRequired() || ev.kind == kindInventory {
			return
		}
	}
	a := &e.agg
	switch ev.kind {
	case kindFunnel:
		a.funnel[ev.step]++
		e.observeForecast(ev, now)
		e.observeExperiment(ev)
		if ev.step == 0 {
			e.observeSegmentVisit(ev)
		}
	case kindRelease:
		e.observeForecast(ev, now)
	case kindPurchase:
		e.observePurchase(ev, now)
	case kindRefund:
		if ev.spanRefundFailed() || e.agg.seenRefund(ev, now) {
			return
		}
		key, folded := boundedKey(a.refunds, e.moneyKey(ev), e.maxSeries, foldMoney)
		amount, ok := addInt64(a.refundAmount[key], ev.money.Minor)
		if !ok {
			e.countInvalid(ev, contract.ErrAmountOverflow)
			return
		}
		a.refundAmount[key] = amount
		a.refunds[key]++
		e.countFolded(ev, folded)
	case kindCharge:
		e.observeCharge(ev)
	case kindPaymentFailed:
		// Counted apart from attempts: services that record the charge span
		// and the event (the contract's trackPaymentFailed) would otherwise
		// count each failure twice.
		key, folded := boundedKey(a.failures, failureKey{
			errorType: e.errorTypes.value(ev.errorType),
			method:    e.methods.value(ev.method), provider: e.providers.value(ev.provider),
		}, e.maxSeries, foldFailure)
		a.failures[key]++
		e.countFolded(ev, folded)
	case kindInventory:
		if ev.itemID == "" || (!ev.hasAvailable && !ev.hasReserved) {
			return
		}
		item := e.items.value(ev.itemID)
		s := a.stock[item]
		// Levels are ordered by the record's own time, not by arrival: a
		// stale inventory.check delivered after a newer inventory.update
		// must not set the stock back.
		at := ev.at
		if at == 0 {
			at = pcommon.NewTimestampFromTime(now)
		}
		late := false
		if ev.hasAvailable {
			if s.hasAvailable && at < s.availableAt {
				late = true
			} else {
				s.available, s.hasAvailable, s.availableAt = ev.available, true, at
			}
		}
		if ev.hasReserved {
			if s.hasReserved && at < s.reservedAt {
				late = true
			} else {
				s.reserved, s.hasReserved, s.reservedAt = ev.reserved, true, at
			}
		}
		if late {
			a.lateInventory++
		}
		a.stock[item] = s
		e.observeForecast(ev, now)
	}
}

// spanRefundFailed: a payment.refund span that did not refund anything.
func (ev *event) spanRefundFailed() bool {
	return ev.fromSpan && (ev.status == contract.StatusFailed || ev.status == contract.StatusCanceled ||
		(ev.status == "" && ev.spanError))
}

// seenRefund reports whether this refund was already counted in its other
// form (span or event): same trace, order, currency and amount. Without
// trace and order id there is nothing to match on.
func (a *aggregates) seenRefund(ev *event, now time.Time) bool {
	if ev.traceID.IsEmpty() && !ev.hasOrder {
		return false
	}
	d := a.refundsSeen
	// The order's key, not its id: a journal replay has only the key.
	key := d.hash(string(ev.traceID[:]) + "\x00" + strconv.FormatUint(ev.orderKey, 16) + "\x00" + ev.money.Currency + "\x00" + strconv.FormatInt(ev.money.Minor, 10))
	if _, dup := d.lookup(key, now); dup {
		return true
	}
	d.add(key, 0, now)
	return false
}

func (e *Engine) moneyKey(ev *event) moneyKey {
	return moneyKey{currency: ev.money.Currency, method: e.methods.value(ev.method), provider: e.providers.value(ev.provider)}
}

// countFolded counts an event that was counted under an overflow series.
func (e *Engine) countFolded(ev *event, folded bool) {
	if folded {
		e.agg.folded[ev.name]++
	}
}

func (e *Engine) observePurchase(ev *event, now time.Time) {
	a := &e.agg
	// revenue and orders always share their keys
	key, folded := boundedKey(a.revenue, e.moneyKey(ev), e.maxSeries, foldMoney)
	cur, minor := ev.money.Currency, ev.money.Minor
	// all sums are checked before any changes, so an overflowing purchase
	// leaves every figure untouched
	inDay, inMonth := a.periodsOf(ev.at, now)
	revenue, ok1 := addInt64(a.revenue[key], minor)
	day, ok2 := addInt64(a.dayRevenue[cur], minor)
	month, ok3 := addInt64(a.monthRevenue[cur], minor)
	if !ok1 || (inDay && !ok2) || (inMonth && !ok3) {
		e.countInvalid(ev, contract.ErrAmountOverflow)
		return
	}
	if e.resolve(ev, now, true) {
		a.duplicates[ev.name]++
		return
	}
	a.revenue[key] = revenue
	if inDay {
		a.dayRevenue[cur] = day
	} else {
		a.late[periodDay]++
	}
	if inMonth {
		a.monthRevenue[cur] = month
	} else {
		a.late[periodMonth]++
	}
	a.orders[key]++
	e.countFolded(ev, folded)
	a.funnel[ev.step]++
	e.observeForecast(ev, now)
	e.observeExperiment(ev)
	e.addHourly(ev, now)
	e.observeSegmentPurchase(ev)
	seg := ev.segment
	if !validSegment(seg) {
		seg = Unknown
	}
	a.segmentOrders[seg]++
}

// outcome maps a charge span to succeeded or failed: payment.status when
// set, else the span status. Other statuses (pending, canceled) are kept.
func outcome(ev *event) string {
	switch ev.status {
	case contract.StatusSucceeded, contract.StatusFailed, contract.StatusPending, contract.StatusCanceled:
		return ev.status
	case "":
		if ev.spanError {
			return contract.StatusFailed
		}
		return contract.StatusSucceeded
	}
	return Unknown
}

func (e *Engine) observeCharge(ev *event) {
	a := &e.agg
	status := outcome(ev)
	method, provider := e.methods.value(ev.method), e.providers.value(ev.provider)
	errType := ""
	if status == contract.StatusFailed {
		errType = e.errorTypes.value(ev.errorType)
	}
	key, folded := boundedKey(a.attempts, attemptKey{status: status, errorType: errType, method: method, provider: provider},
		e.maxSeries, foldAttempt)
	a.attempts[key]++
	e.observeExperiment(ev)
	if ev.duration <= 0 || len(e.bounds) == 0 {
		e.countFolded(ev, folded)
		return
	}
	// the histogram has its own bound; the event counts as folded once
	dk, foldedDuration := boundedKey(a.durations, durationKey{status: status, method: method, provider: provider},
		e.maxSeries, foldDuration)
	e.countFolded(ev, folded || foldedDuration)
	h := a.durations[dk]
	if h == nil {
		h = &histogram{counts: make([]uint64, len(e.bounds)+1)}
		a.durations[dk] = h
	}
	secs := ev.duration.Seconds()
	i := 0
	for i < len(e.bounds) && secs > e.bounds[i] {
		i++
	}
	h.counts[i]++
	h.sum += secs
	h.count++
}
