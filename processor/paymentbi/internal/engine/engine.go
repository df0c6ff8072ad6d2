// Package engine is the shared core of the paymentbi processor and
// connector: it recognises business events and payment spans per the
// contract, normalises money to integer minor units, converts it to the
// reporting currency, drops duplicate purchases, tells new from returning
// customers, and aggregates the business metrics.
package engine

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.uber.org/zap"

	"github.com/otelcol-payments/otelcol-payments/internal/contract"
)

// Settings configure an Engine.
type Settings struct {
	ReportingCurrency string
	// ExchangeRates maps a currency to its value in the reporting currency,
	// as a decimal string.
	ExchangeRates map[string]string
	// Location sets the day and month boundaries of the revenue gauges.
	Location         *time.Location
	DedupWindow      time.Duration
	DedupMaxEntries  int
	CardinalityLimit int
	// MaxSeriesPerMetric bounds the label combinations of each metric
	// (series.go); 0 means DefaultMaxSeriesPerMetric.
	MaxSeriesPerMetric int
	// ExpectedCustomers and FalsePositiveRate size the customer filter.
	ExpectedCustomers uint
	FalsePositiveRate float64
	// DailyTarget and MonthlyTarget are in major units of the reporting
	// currency; zero leaves the target metrics out.
	DailyTarget, MonthlyTarget float64
	// DurationBounds are the payment duration histogram bounds in seconds.
	DurationBounds []float64
	// Forecast configures the inventory forecast (zero values: defaults).
	Forecast ForecastSettings
	// Experiments configure the variant comparison (zero values: defaults).
	Experiments ExperimentSettings
	// Now is the clock; time.Now when nil.
	Now    func() time.Time
	Logger *zap.Logger
}

// Engine holds the state of one processor or connector. It is safe for
// concurrent use.
type Engine struct {
	mu     sync.Mutex
	now    func() time.Time
	loc    *time.Location
	conv   *Converter
	dedup  *dedup
	cust   *customers
	logger *zap.Logger

	methods, providers, errorTypes, items *limiter
	// channels, categoriesLimit and countries bound the segment values
	// (segments.go).
	channels, categoriesLimit, countries *limiter
	// maxSeries bounds the label combinations per metric (series.go).
	maxSeries int

	fc                         ForecastSettings
	ex                         ExperimentSettings
	start                      time.Time
	dailyTarget, monthlyTarget int64
	bounds                     []float64
	agg                        aggregates
	// resent remembers the batches counted recently (resend.go).
	resent *dedup
	// scratch holds the event being visited; reusing it under e.mu keeps
	// decoding free of a heap allocation per record. While collecting, a
	// batch's events are decoded into e.pending instead (slot).
	scratch    event
	collecting bool
	// itemBuf backs the item units of the events of one batch (decode.go).
	itemBuf itemBufs

	// store is the storage client of the journal and snapshots (nil: in
	// memory only). seq is the last journal record written or replayed,
	// snapSeq the last one folded into the saved snapshot.
	store        storage.Client
	seq, snapSeq uint64
	snapshotted  bool
	recordBuf    []byte
	keyBuf       enc // batchKey's encoding (resend.go)
	// skipped counts the journal records the start could not decode.
	skipped      int
	pending      []event
	pendingAttrs []pcommon.Map
}

// New validates s and builds an Engine.
func New(s Settings) (*Engine, error) {
	conv, err := NewConverter(s.ReportingCurrency, s.ExchangeRates)
	if err != nil {
		return nil, err
	}
	if s.Location == nil {
		s.Location = time.UTC
	}
	if s.Now == nil {
		s.Now = time.Now
	}
	if s.Logger == nil {
		s.Logger = zap.NewNop()
	}
	if s.MaxSeriesPerMetric <= 0 {
		s.MaxSeriesPerMetric = DefaultMaxSeriesPerMetric
	}
	if s.ExpectedCustomers == 0 || s.FalsePositiveRate <= 0 || s.FalsePositiveRate >= 1 {
		return nil, errors.New("customer state needs expected customers > 0 and a false positive rate in (0, 1)")
	}
	e := &Engine{
		now:        s.Now,
		loc:        s.Location,
		conv:       conv,
		dedup:      newDedup(s.DedupWindow, s.DedupMaxEntries),
		resent:     newDedup(resendWindow, maxResentBatches),
		cust:       newCustomers(s.ExpectedCustomers, s.FalsePositiveRate, conv.Reporting()),
		logger:     s.Logger,
		methods:    newLimiter(s.CardinalityLimit),
		providers:  newLimiter(s.CardinalityLimit),
		errorTypes: newLimiter(s.CardinalityLimit),
		items:      newLimiter(s.CardinalityLimit),
		channels:   newLimiter(s.CardinalityLimit),
		// categories share the item limit
		categoriesLimit: newLimiter(s.CardinalityLimit),
		countries:       newLimiter(min(s.CardinalityLimit, maxCountries)),
		maxSeries:       s.MaxSeriesPerMetric,
		bounds:          s.DurationBounds,
		fc:              s.Forecast.withDefaults(),
		ex:              s.Experiments.withDefaults(),
	}
	exp, _ := contract.CurrencyExponent(conv.Reporting())
	if e.dailyTarget, err = contract.MajorFloatToMinor(s.DailyTarget, exp); err != nil {
		return nil, fmt.Errorf("daily revenue target: %w", err)
	}
	if e.monthlyTarget, err = contract.MajorFloatToMinor(s.MonthlyTarget, exp); err != nil {
		return nil, fmt.Errorf("monthly revenue target: %w", err)
	}
	e.start = e.now()
	e.agg.init(e.start, e.loc)
	return e, nil
}

// Reporting returns the reporting currency.
func (e *Engine) Reporting() string { return e.conv.Reporting() }

// CustomerStateBytes is the memory of the customer filter.
func (e *Engine) CustomerStateBytes() uint64 { return e.cust.memoryBytes() }

// visit is called with each recognised record, its attributes (which the
// processor may modify), and the decoded event.
type visit func(ev *event, attrs pcommon.Map)

// walkLogs decodes every log record that is a business event; items says
// whether to read the units of order.items, which only the connector's
// counts use. e.mu must be held.
func (e *Engine) walkLogs(ld plog.Logs, items bool, fn visit) {
	var bufs *itemBufs
	if items {
		bufs = e.itemBuf.reset()
	}
	rls := ld.ResourceLogs()
	for i := 0; i < rls.Len(); i++ {
		sls := rls.At(i).ScopeLogs()
		for j := 0; j < sls.Len(); j++ {
			lrs := sls.At(j).LogRecords()
			for k := 0; k < lrs.Len(); k++ {
				lr := lrs.At(k)
				name := contract.LogEventName(lr)
				kd := eventKind(name)
				if kd == kindNone {
					continue
				}
				attrs := lr.Attributes()
				ev := e.slot()
				decode(ev, kd, name, attrs, e.conv, bufs)
				e.keyOrder(ev)
				ev.at, ev.traceID = lr.Timestamp(), lr.TraceID()
				if ev.at == 0 {
					ev.at = lr.ObservedTimestamp()
				}
				fn(ev, attrs)
			}
		}
	}
}

// walkTraces decodes payment spans and business span events, items as in
// walkLogs. e.mu must be held.
func (e *Engine) walkTraces(td ptrace.Traces, items bool, fn visit) {
	var bufs *itemBufs
	if items {
		bufs = e.itemBuf.reset()
	}
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		sss := rss.At(i).ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			spans := sss.At(j).Spans()
			for k := 0; k < spans.Len(); k++ {
				span := spans.At(k)
				if kd := spanKind(span.Name()); kd != kindNone {
					ev := e.slot()
					decode(ev, kd, span.Name(), span.Attributes(), e.conv, bufs)
					if end, start := span.EndTimestamp(), span.StartTimestamp(); end > start && start > 0 {
						ev.duration = time.Duration(end - start)
					}
					ev.spanError = span.Status().Code() == ptrace.StatusCodeError
					ev.at, ev.traceID, ev.fromSpan = span.EndTimestamp(), span.TraceID(), true
					if kd == kindRefund {
						e.keyOrder(ev) // matches the refund's event form
					}
					fn(ev, span.Attributes())
				}
				events := span.Events()
				for l := 0; l < events.Len(); l++ {
					se := events.At(l)
					if kd := eventKind(se.Name()); kd != kindNone {
						ev := e.slot()
						decode(ev, kd, se.Name(), se.Attributes(), e.conv, bufs)
						e.keyOrder(ev)
						ev.at, ev.traceID = se.Timestamp(), span.TraceID()
						fn(ev, se.Attributes())
					}
				}
			}
		}
	}
}

// slot is where the next decoded event goes: a new element of e.pending
// while a batch is collected for its journal record (decoding in place
// instead of copying each event, a few hundred bytes, out of scratch),
// else the reused scratch. e.mu must be held.
func (e *Engine) slot() *event {
	if !e.collecting {
		return &e.scratch
	}
	n := len(e.pending)
	if n < cap(e.pending) {
		e.pending = e.pending[:n+1] // decode overwrites every field
	} else {
		e.pending = append(e.pending, event{})
	}
	return &e.pending[n]
}

// keyOrder hashes a purchase's order id for the dedup set.
func (e *Engine) keyOrder(ev *event) {
	// Refunds keep the key too: it is what matches a refund's span and
	// event forms, and what the journal keeps instead of the id.
	if (ev.kind == kindPurchase || ev.kind == kindRefund) && ev.orderID != "" {
		ev.orderKey, ev.hasOrder = e.dedup.hash(ev.orderID), true
	}
	// a checkout's held stock is named by its session id, else its order id
	if ev.kind == kindPurchase || ev.kind == kindRelease || ev.step == stepBeginCheckout {
		switch {
		case ev.checkoutID != "":
			ev.resKey, ev.hasRes = e.dedup.hash("checkout\x00"+ev.checkoutID), true
		case ev.orderID != "":
			ev.resKey, ev.hasRes = e.dedup.hash("order\x00"+ev.orderID), true
		}
	}
}

// Dedup memo values: the segment decided at first sight of a purchase, so
// a duplicate is enriched identically.
const (
	memoNone uint8 = iota
	memoNew
	memoReturning
)

func segmentMemo(seg string) uint8 {
	switch seg {
	case contract.SegmentNew:
		return memoNew
	case contract.SegmentReturning:
		return memoReturning
	}
	return memoNone
}

func memoSegment(m uint8) string {
	switch m {
	case memoNew:
		return contract.SegmentNew
	case memoReturning:
		return contract.SegmentReturning
	}
	return ""
}

func validSegment(s string) bool {
	return s == contract.SegmentNew || s == contract.SegmentReturning
}

// resolve applies the stateful rules to a valid event: a purchase already
// seen within the dedup window is a duplicate (true is returned), a first
// purchase records its customer. trustSegment keeps a segment an upstream
// paymentbi processor derived. e.mu must be held.
func (e *Engine) resolve(ev *event, now time.Time, trustSegment bool) bool {
	if ev.kind != kindPurchase {
		if ev.customer != "" && !trustSegment {
			ev.segment = e.cust.segment(ev.customer)
		}
		return false
	}
	key := ev.orderKey
	if ev.hasOrder {
		if memo, dup := e.dedup.lookup(key, now); dup {
			if !trustSegment || !validSegment(ev.segment) {
				ev.segment = memoSegment(memo)
			}
			return true
		}
	}
	if ev.customer != "" {
		seg := e.cust.purchase(ev.customer)
		if !trustSegment || !validSegment(ev.segment) {
			ev.segment = seg
		}
		e.cust.addLifetime(ev.reporting)
	} else if !trustSegment {
		ev.segment = ""
	}
	if ev.hasOrder {
		e.dedup.add(key, segmentMemo(ev.segment), now)
	}
	return false
}

func (e *Engine) logInvalid(ev *event) {
	if ce := e.logger.Check(zap.DebugLevel, "paymentbi: invalid event"); ce != nil {
		// the reason and event name only: attribute values may carry PII
		ce.Write(zap.String("event", ev.name), zap.String("reason", reason(ev.moneyErr)))
	}
}
