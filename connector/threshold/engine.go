package threshold

import (
	"context"
	"fmt"
	"math"
	"sync"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/otelcol-payments/otelcol-payments/connector/threshold/internal/metadata"
	"github.com/otelcol-payments/otelcol-payments/connector/threshold/internal/rules"
	"github.com/otelcol-payments/otelcol-payments/connector/threshold/internal/state"
	"github.com/otelcol-payments/otelcol-payments/internal/contract"
)

// Storage keys: the firing alerts (written when they change, before the
// batch that changed them is acknowledged) and the evaluation state of
// every series (written at the tick after it changed).
const (
	stateKey  = "alerts"
	seriesKey = "series"
)

// Key separators: bytes that do not occur in UTF-8 text.
const (
	sepRule    = 0xff
	sepLabel   = 0xfe
	missingVal = 0xfd
)

// engine evaluates all rules of one connector instance. Traces, metrics and
// logs pipelines share it, so one rule can count spans and log records into
// the same series and an alert fires once.
type engine struct {
	id     component.ID
	cfg    *Config
	logger *zap.Logger
	next   consumer.Logs
	now    func() time.Time
	tel    *metadata.TelemetryBuilder

	rules        []*rule
	byName       map[string]*rule
	spanByName   map[string][]*rule
	spanAny      []*rule
	eventByName  map[string][]*rule
	eventAny     []*rule
	metricByName map[string][]*rule

	mu     sync.Mutex
	store  *state.Store
	keyBuf []byte
	sumBuf []uint64
	out    []contract.Alert
	dirty  bool
	// stateGen numbers each alert state snapshot (under mu); savedGen is
	// the newest one written, under saveMu, which orders the writes made
	// after mu is released so an older state never lands over a newer.
	stateGen uint64
	saveMu   sync.Mutex
	savedGen uint64
	// seriesDirty: some series' data (windows, samples) changed since the
	// series state was saved; holdsDirty: a series began or ended a hold,
	// fired, resolved or went. seriesSavedAt is the last save (Unix ns).
	seriesDirty, holdsDirty bool
	seriesSavedAt           int64
	// per-metric scratch for summing anomaly points
	anomBuf []anomalyPoint
	anomIdx map[*state.Series]int

	// lifecycle, guarded by lifeMu; stop is nil when not running
	lifeMu  sync.Mutex
	client  storage.Client
	stop    chan struct{}
	stopped chan struct{}
}

func newEngine(set component.TelemetrySettings, id component.ID, cfg *Config, next consumer.Logs) (*engine, error) {
	compiled, err := compileRules(cfg)
	if err != nil {
		return nil, err
	}
	e := &engine{
		id: id, cfg: cfg, logger: set.Logger, next: next, now: time.Now,
		rules:        compiled,
		byName:       map[string]*rule{},
		spanByName:   map[string][]*rule{},
		eventByName:  map[string][]*rule{},
		metricByName: map[string][]*rule{},
		store:        state.NewStore(cfg.MaxSeries),
		anomIdx:      map[*state.Series]int{},
	}
	width := 0
	for _, r := range compiled {
		e.byName[r.name] = r
		width = max(width, r.window.Width)
		switch r.kind {
		case kindMetric, kindAnomaly:
			e.metricByName[r.metric] = append(e.metricByName[r.metric], r)
			if r.ref != "" {
				e.metricByName[r.ref] = append(e.metricByName[r.ref], r)
			}
			continue
		}
		if r.match.SelectsSpans() {
			if r.match.SpanNames != nil {
				for n := range r.match.SpanNames {
					e.spanByName[n] = append(e.spanByName[n], r)
				}
			} else {
				e.spanAny = append(e.spanAny, r)
			}
		}
		if r.kind != kindLatency && r.match.SelectsEvents() {
			if r.match.EventNames != nil {
				for n := range r.match.EventNames {
					e.eventByName[n] = append(e.eventByName[n], r)
				}
			} else {
				e.eventAny = append(e.eventAny, r)
			}
		}
	}
	e.sumBuf = make([]uint64, width)
	e.tel, err = metadata.NewTelemetryBuilder(set, func() int64 {
		e.mu.Lock()
		defer e.mu.Unlock()
		return int64(e.store.Len())
	})
	if err != nil {
		return nil, err
	}
	return e, nil
}

// ---- data path ----

func (e *engine) consumeTraces(ctx context.Context, td ptrace.Traces) {
	e.mu.Lock()
	now := e.now().UnixNano()
	hasEventRules := len(e.eventByName) > 0 || len(e.eventAny) > 0
	var it rules.Item
	for _, rs := range td.ResourceSpans().All() {
		res := rs.Resource().Attributes()
		for _, ss := range rs.ScopeSpans().All() {
			for _, span := range ss.Spans().All() {
				it = rules.Item{
					Kind: rules.ItemSpan, Name: span.Name(), SpanKind: span.Kind(),
					StatusCode: span.Status().Code(), TraceID: span.TraceID(), SpanID: span.SpanID(),
				}
				if end, start := span.EndTimestamp(), span.StartTimestamp(); end > start {
					it.DurationMs = float64(end-start) / float64(time.Millisecond)
				}
				it.SetMaps(span.Attributes(), res)
				e.observe(&it, e.spanByName[it.Name], now)
				e.observe(&it, e.spanAny, now)
				if !hasEventRules {
					continue
				}
				for _, ev := range span.Events().All() {
					it = rules.Item{Kind: rules.ItemSpanEvent, Name: ev.Name(), TraceID: span.TraceID(), SpanID: span.SpanID()}
					it.SetMaps(ev.Attributes(), span.Attributes(), res)
					e.observe(&it, e.eventByName[it.Name], now)
					e.observe(&it, e.eventAny, now)
				}
			}
		}
	}
	e.emitLocked(ctx)
}

func (e *engine) consumeLogs(ctx context.Context, ld plog.Logs) {
	e.mu.Lock()
	now := e.now().UnixNano()
	var it rules.Item
	// Applications' own alert records are never evaluated (no alerting on
	// alerts) but passed on as they are, so they reach the alert exporter
	// behind this connector in every profile.
	var passOn plog.Logs
	passed := 0
	for _, rl := range ld.ResourceLogs().All() {
		res := rl.Resource().Attributes()
		for _, sl := range rl.ScopeLogs().All() {
			var out plog.LogRecordSlice
			for _, lr := range sl.LogRecords().All() {
				name := contract.LogEventName(lr)
				if name == contract.EventAlert {
					if passed == 0 {
						passOn = plog.NewLogs()
					}
					if out == (plog.LogRecordSlice{}) {
						orl := passOn.ResourceLogs().AppendEmpty()
						rl.Resource().CopyTo(orl.Resource())
						osl := orl.ScopeLogs().AppendEmpty()
						sl.Scope().CopyTo(osl.Scope())
						out = osl.LogRecords()
					}
					lr.CopyTo(out.AppendEmpty())
					passed++
					continue
				}
				it = rules.Item{Kind: rules.ItemLogRecord, Name: name, TraceID: lr.TraceID(), SpanID: lr.SpanID()}
				it.SetMaps(lr.Attributes(), res)
				e.observe(&it, e.eventByName[name], now)
				e.observe(&it, e.eventAny, now)
			}
		}
	}
	e.emitLocked(ctx)
	if passed > 0 {
		if err := e.next.ConsumeLogs(ctx, passOn); err != nil {
			e.tel.AlertsDropped.Add(ctx, int64(passed))
			e.logger.Warn("next consumer refused application alert records", zap.Int("alerts", passed), zap.Error(err))
		}
	}
}

func (e *engine) consumeMetrics(ctx context.Context, md pmetric.Metrics) {
	e.mu.Lock()
	now := e.now().UnixNano()
	var it rules.Item
	for _, rm := range md.ResourceMetrics().All() {
		res := rm.Resource().Attributes()
		for _, sm := range rm.ScopeMetrics().All() {
			for _, m := range sm.Metrics().All() {
				rs := e.metricByName[m.Name()]
				if len(rs) == 0 {
					continue
				}
				var points pmetric.NumberDataPointSlice
				delta, monotonic := false, false
				switch m.Type() {
				case pmetric.MetricTypeGauge:
					points = m.Gauge().DataPoints()
				case pmetric.MetricTypeSum:
					points = m.Sum().DataPoints()
					delta = m.Sum().AggregationTemporality() == pmetric.AggregationTemporalityDelta
					monotonic = m.Sum().IsMonotonic()
				default:
					continue // histograms and summaries have no single value to compare
				}
				for _, p := range points.All() {
					v := p.DoubleValue()
					if p.ValueType() == pmetric.NumberDataPointValueTypeInt {
						v = float64(p.IntValue())
					}
					// Beyond int64's range a value is a producer's bug: it
					// would fire a metric rule with a 300-digit number, or
					// scale a reference threshold to ±Inf.
					if !contract.Measurable(v) || p.Flags().NoRecordedValue() {
						continue
					}
					it = rules.Item{}
					it.SetMaps(p.Attributes(), res)
					for _, r := range rs {
						if r.ref == m.Name() {
							s := e.series(r, &it, now)
							s.Ref, s.HasRef = v, true
							continue
						}
						if !rules.AttributesHold(r.attrs, &it) {
							continue
						}
						s := e.series(r, &it, now)
						if r.kind == kindMetric {
							s.Last, s.LastAt, s.HasLast = v, now, true
							continue
						}
						ts := int64(p.Timestamp())
						if ts == 0 {
							ts = now
						}
						e.addAnomalyPoint(r, s, v, ts, int64(p.StartTimestamp()))
					}
				}
				// Points of one metric that fall into the same series are
				// one sample: their sum (e.g. revenue over all methods).
				for _, a := range e.anomBuf {
					e.sampleAnomaly(a.r, a.s, a.v, a.ts, a.start, delta, monotonic)
				}
				e.anomBuf = e.anomBuf[:0]
				clear(e.anomIdx)
			}
		}
	}
	// Only evictions produce alerts here; rules are evaluated on tick.
	e.emitLocked(ctx)
}

// observe feeds one span, span event or log record to candidate rules.
func (e *engine) observe(it *rules.Item, candidates []*rule, now int64) {
	for _, r := range candidates {
		if !r.match.Matches(it) {
			continue
		}
		s := e.series(r, it, now)
		switch r.kind {
		case kindLatency:
			r.window.Add(s.Epochs, s.Counts, now, r.hist.Bucket(it.DurationMs), 1)
			r.window.Max(s.Epochs, s.Counts, now, r.maxCol, uint32(min(it.DurationMs, math.MaxUint32)))
			if it.DurationMs > r.thresholdMs {
				s.TraceID, s.SpanID = it.TraceID, it.SpanID
			}
		case kindRatio:
			r.window.Add(s.Epochs, s.Counts, now, 0, 1)
			if r.where.Matches(it) {
				r.window.Add(s.Epochs, s.Counts, now, 1, 1)
				s.TraceID, s.SpanID = it.TraceID, it.SpanID
				if r.timing.For == 0 && s.Status == state.Inactive {
					// Without a hold there is nothing to wait for: fire on
					// the item that crossed the threshold rather than up to
					// an evaluation interval later (pages within the tick).
					if cond, still := e.evaluate(r, s, now); cond == state.Bad {
						e.report(r, s, s.Step(now, cond, still, r.timing), now)
					}
				}
			}
		case kindAbsence:
			r.window.Add(s.Epochs, s.Counts, now, 0, 1)
			s.Rate.Add(now, r.loc, s.Status == state.Inactive)
			s.LastAt = now
			s.TraceID, s.SpanID = it.TraceID, it.SpanID
		case kindEvent:
			s.Last++
			s.Value = s.Last
			s.TraceID, s.SpanID = it.TraceID, it.SpanID
			e.report(r, s, s.Step(now, state.Bad, state.Bad, r.timing), now)
		}
	}
}

// anomalyPoint is the sum of one metric's points for one anomaly series.
type anomalyPoint struct {
	r         *rule
	s         *state.Series
	v         float64
	ts, start int64
}

func (e *engine) addAnomalyPoint(r *rule, s *state.Series, v float64, ts, start int64) {
	if i, ok := e.anomIdx[s]; ok {
		a := &e.anomBuf[i]
		a.v += v
		a.ts, a.start = max(a.ts, ts), min(a.start, start)
		return
	}
	e.anomIdx[s] = len(e.anomBuf)
	e.anomBuf = append(e.anomBuf, anomalyPoint{r: r, s: s, v: v, ts: ts, start: start})
}

// sampleAnomaly scores one metric sample against the series' baseline, then
// folds it in. Verdicts are kept for the next evaluation tick.
func (e *engine) sampleAnomaly(r *rule, s *state.Series, v float64, ts, start int64, delta, monotonic bool) {
	sample := v
	if r.useRate {
		switch {
		case delta:
			if start == 0 || ts <= start {
				return
			}
			sample = v / (float64(ts-start) / float64(time.Second))
		default:
			prev, prevAt, had := s.Last, s.LastAt, s.HasLast
			s.Last, s.LastAt, s.HasLast = v, ts, true
			if !had || ts <= prevAt || (monotonic && v < prev) {
				return // first point, out of order, or counter reset
			}
			sample = (v - prev) / (float64(ts-prevAt) / float64(time.Second))
		}
	}
	if !contract.Measurable(sample) {
		// One such sample during warm-up would leave the baseline's
		// variance infinite, and the rule silent for this series, for good.
		return
	}
	s.Value = sample
	hour := -1
	if s.Hourly != nil {
		hour = time.Unix(0, ts).In(r.loc).Hour()
	}
	if s.Baseline.N < r.warmup {
		s.Verdict, s.Still = state.Unknown, state.Unknown
		s.Baseline.Update(sample, r.alpha, 0)
		if hour >= 0 {
			s.Hourly.Update(hour, ts, sample, r.alpha, 0)
		}
		return
	}
	// With hour-of-day seasonality the sample is judged against this hour's
	// baseline once that was started on an earlier day, so the evening drop
	// of a shop is normal at 20:00 while a stop at 14:00 is not.
	b := &s.Baseline
	hourJudges := hour >= 0 && s.Hourly.Trusted(hour, ts, r.warmup)
	if hourJudges {
		b = &s.Hourly.EWMA[hour]
	}
	z := b.Deviations(sample, r.minStd)
	s.Verdict, s.Still = r.anomalyVerdict(z, r.k), r.anomalyVerdict(z, r.resolveK)
	sd := max(b.Std(), r.minStd)
	s.Threshold = b.Mean + math.Copysign(r.k*sd, z)
	if s.Verdict == state.Bad {
		// The judging baseline is frozen while samples are anomalous:
		// folding them in (even down-weighted) inflates the variance within
		// a few samples, and a revenue stop would then look normal before
		// its hold elapsed. relearn_after lets a lasting level shift become
		// the new normal: the baselines start again, with a fresh warm-up.
		if s.BadSince == 0 {
			s.BadSince = ts
		}
		if r.relearnAfter > 0 && ts-s.BadSince >= int64(r.relearnAfter) {
			s.Baseline, s.BadSince = rules.EWMA{}, 0
			s.Baseline.Update(sample, r.alpha, 0)
			if s.Hourly != nil {
				*s.Hourly = rules.HourlyBaselines{}
			}
		}
		if hour >= 0 && !hourJudges {
			// An hour that does not judge yet keeps learning, so a first
			// evening that looked anomalous against the day is known as
			// normal for its hour the next day.
			s.Hourly.Update(hour, ts, sample, r.alpha, 0)
		}
		return
	}
	s.BadSince = 0
	// Normal samples count at most k deviations away, so a wiggle in the
	// direction that is not watched cannot inflate the variance either.
	s.Baseline.Update(sample, r.alpha, r.k*max(s.Baseline.Std(), r.minStd))
	if hour >= 0 {
		clip := 0.0
		if hourJudges {
			clip = r.k * sd
		}
		s.Hourly.Update(hour, ts, sample, r.alpha, clip)
	}
}

func (r *rule) anomalyVerdict(z, k float64) state.Verdict {
	bad := false
	switch r.direction {
	case dirAbove:
		bad = z > k
	case dirBelow:
		bad = z < -k
	default:
		bad = math.Abs(z) > k
	}
	if bad {
		return state.Bad
	}
	return state.Clear
}

// series returns the series of r for the item's grouping values, creating
// it (and evicting another when full).
func (e *engine) series(r *rule, it *rules.Item, now int64) *state.Series {
	b := append(e.keyBuf[:0], r.name...)
	b = append(b, sepRule)
	for _, k := range r.groupBy {
		if v, ok := it.Get(k); ok {
			b = append(b, groupValue(v)...)
		} else {
			b = append(b, missingVal)
		}
		b = append(b, sepLabel)
	}
	e.keyBuf = b
	e.seriesDirty = true
	s := e.store.Get(b)
	if s == nil {
		s = e.newSeries(r, string(b), labelsOf(r, it))
		e.addSeries(s, now)
	} else {
		e.store.Touch(s)
	}
	s.LastSeen = now
	return s
}

func labelsOf(r *rule, it *rules.Item) []string {
	labels := make([]string, 0, 2*len(r.groupBy))
	for _, k := range r.groupBy {
		if v, ok := it.Get(k); ok {
			labels = append(labels, k, groupValue(v))
		}
	}
	return labels
}

// groupValue is a group_by value as a label, cut to a bound: max_series
// bounds the number of series, and this their size (a 64 KiB route per
// series would be gigabytes at the default max_series).
func groupValue(v pcommon.Value) string {
	return contract.CutLabelValue(v.AsString())
}

func (e *engine) newSeries(r *rule, key string, labels []string) *state.Series {
	s := &state.Series{Rule: r.idx, Key: key, Labels: labels, Value: math.NaN(), Threshold: r.threshold}
	s.Fingerprint = contract.ComputeFingerprint(r.name, s.LabelMap())
	if r.window.Slots > 0 {
		s.Epochs, s.Counts = r.window.Alloc()
	}
	if r.kind == kindAbsence {
		s.Rate = new(rules.ArrivalRate)
	}
	if r.kind == kindAnomaly && r.seasonal {
		s.Hourly = new(rules.HourlyBaselines)
	}
	return s
}

func (e *engine) addSeries(s *state.Series, now int64) {
	ev := e.store.Add(s)
	if ev == nil {
		return
	}
	e.tel.SeriesEvicted.Add(context.Background(), 1)
	if ev.Status == state.Firing {
		// Every series is firing and one had to go: resolve it explicitly,
		// saying why, rather than leave it firing forever downstream. If the
		// condition persists it fires again once its series is back.
		r := e.rules[ev.Rule]
		a := e.alert(r, ev, contract.AlertResolved, now)
		a.Summary = fmt.Sprintf("%s (resolved because the series was evicted: max_series %d reached, not because the condition cleared)",
			a.Summary, e.cfg.MaxSeries)
		e.out = append(e.out, a)
		// Without labels: they may be high-cardinality.
		e.logger.Warn("evicted a firing alert series and sent its resolution; raise max_series",
			zap.String("rule", r.name), zap.Int("max_series", e.cfg.MaxSeries))
		e.dirty = true
	}
}

// ---- evaluation ----

// tick evaluates every series at the clock's current time and sends the
// resulting alerts; the ticker goroutine and tests call it.
func (e *engine) tick(ctx context.Context) {
	e.mu.Lock()
	now := e.now().UnixNano()
	e.store.Range(func(s *state.Series) {
		r := e.rules[s.Rule]
		cond, still := e.evaluate(r, s, now)
		status, activeAt := s.Status, s.ActiveAt
		e.report(r, s, s.Step(now, cond, still, r.timing), now)
		if s.Status != status || s.ActiveAt != activeAt {
			e.holdsDirty = true
		}
		if s.Status == state.Inactive && now-s.LastSeen > int64(r.idleAfter(e.cfg.EvaluationInterval)) {
			e.store.Delete(s)
			e.holdsDirty = true
		}
	})
	series, saveSeries := e.seriesSnapshotIfDirty(now)
	e.emitLocked(ctx)
	if saveSeries {
		_ = e.saveSeries(ctx, series) // logged and counted; retried at the next tick
	}
}

// emitLocked sends the alerts produced under e.mu, which it releases, and
// saves the firing state when it changed: an alert that fired while a
// batch was consumed is on disk before the batch is acknowledged, so a
// kill -9 before the next tick neither forgets it is firing (and never
// resolves it) nor fires it anew.
func (e *engine) emitLocked(ctx context.Context) {
	out := e.takeOut()
	snap, gen, save := e.snapshotIfDirty()
	e.mu.Unlock()
	e.send(ctx, out)
	if save {
		e.save(ctx, snap, gen)
	}
}

// evaluate computes a series' firing and hysteresis verdicts at now and
// records its current value.
func (e *engine) evaluate(r *rule, s *state.Series, now int64) (cond, still state.Verdict) {
	switch r.kind {
	case kindLatency:
		sums := e.sumBuf[:r.window.Width]
		r.window.Sum(s.Epochs, s.Counts, now, sums, r.maxCol)
		buckets := sums[:r.hist.Buckets()]
		var n uint64
		for _, c := range buckets {
			n += c
		}
		if n == 0 || n < r.minSamples {
			return state.Unknown, state.Unknown
		}
		if r.minSlow > 0 {
			slow := n - r.hist.CountAtMost(buckets, r.thresholdMs)
			s.Value, s.Threshold = float64(slow), float64(r.minSlow)
			return verdict(slow >= uint64(r.minSlow)), verdict(n-r.hist.CountAtMost(buckets, r.resolveMs) >= uint64(r.minSlow))
		}
		s.Value = r.hist.Estimate(buckets, n, r.percentile, float64(sums[r.maxCol]))
		s.Threshold = r.thresholdMs
		return verdict(r.hist.PercentileAbove(buckets, n, r.percentile, r.thresholdMs)),
			verdict(r.hist.PercentileAbove(buckets, n, r.percentile, r.resolveMs))
	case kindRatio:
		sums := e.sumBuf[:2]
		r.window.Sum(s.Epochs, s.Counts, now, sums, -1)
		if sums[0] == 0 || sums[0] < r.minSamples {
			return state.Unknown, state.Unknown
		}
		s.Value = float64(sums[1]) / float64(sums[0])
		return verdict(r.op.Holds(s.Value, r.threshold)), verdict(r.op.Holds(s.Value, r.resolveAt))
	case kindMetric:
		if !s.HasLast || now-s.LastAt > int64(r.staleAfter) {
			return state.Unknown, state.Unknown
		}
		s.Value = s.Last
		scale := 1.0
		if r.ref != "" {
			if !s.HasRef || s.Ref < r.minRef {
				return state.Unknown, state.Unknown
			}
			scale = s.Ref
		}
		s.Threshold = r.threshold * scale
		return verdict(r.op.Holds(s.Last, s.Threshold)), verdict(r.op.Holds(s.Last, r.resolveAt*scale))
	case kindAnomaly:
		if now-s.LastSeen > int64(r.staleAfter) {
			return state.Unknown, state.Unknown
		}
		return s.Verdict, s.Still
	case kindAbsence:
		return e.evaluateAbsence(r, s, now)
	}
	// Events fired on arrival; at a tick they only age towards resolution.
	return state.Clear, state.Clear
}

// evaluateAbsence: the series is silent once no item arrived for the
// window; that fires when the learned rate expects at least min_expected
// items in a window at this hour, and keeps firing until an item arrives.
// While pending or firing the rate learns nothing, so the expectation
// holds however long the stop lasts.
func (e *engine) evaluateAbsence(r *rule, s *state.Series, now int64) (cond, still state.Verdict) {
	s.Rate.Roll(now, r.loc, s.Status == state.Inactive)
	sums := e.sumBuf[:1]
	r.window.Sum(s.Epochs, s.Counts, now, sums, -1)
	s.Value = float64(sums[0])
	silent := verdict(now-s.LastAt >= int64(r.absenceWindow))
	perMinute, ok := s.Rate.PerMinute(now, r.loc, r.rateWarmup)
	if !ok {
		return state.Unknown, silent
	}
	expected := perMinute * r.absenceWindow.Minutes()
	if s.Status == state.Inactive || expected > 0 {
		s.Threshold = expected
	}
	if silent == state.Bad && expected >= r.minExpected {
		return state.Bad, state.Bad
	}
	return state.Clear, silent
}

func verdict(bad bool) state.Verdict {
	if bad {
		return state.Bad
	}
	return state.Clear
}

// idleAfter is how long an inactive series is kept without data: long enough
// that its window, staleness or baseline still matters.
func (r *rule) idleAfter(interval time.Duration) time.Duration {
	d := max(r.timing.KeepFiringFor, r.timing.For, interval)
	switch r.kind {
	case kindLatency, kindRatio:
		d = max(d, time.Duration(r.window.SlotNanos)*time.Duration(r.window.Slots))
	case kindMetric, kindAnomaly:
		d = max(d, r.staleAfter)
	case kindAbsence:
		d = max(d, absenceIdleAfter)
	}
	return d
}

// report turns a state transition into an alert record.
func (e *engine) report(r *rule, s *state.Series, tr state.Transition, now int64) {
	switch tr {
	case state.Fired, state.Renotified:
		e.out = append(e.out, e.alert(r, s, contract.AlertFiring, now))
		if r.kind == kindEvent {
			s.Last = 0
		}
	case state.Resolved:
		e.out = append(e.out, e.alert(r, s, contract.AlertResolved, now))
	default:
		return
	}
	e.dirty = true
}

func (e *engine) alert(r *rule, s *state.Series, status string, now int64) contract.Alert {
	labels := s.LabelMap()
	a := contract.Alert{
		Name: r.name, Status: status, Severity: r.severity, Fingerprint: s.Fingerprint,
		Value: s.Value, Threshold: s.Threshold, Labels: labels,
		StartsAt: time.Unix(0, s.StartsAt), RunbookURL: r.runbook, Rule: r.expr,
		TraceID: s.TraceID, SpanID: s.SpanID,
	}
	if status == contract.AlertResolved {
		a.EndsAt = time.Unix(0, now)
	}
	d := templateData{
		Name: r.name, Status: status, Severity: r.severity, Value: s.Value, Threshold: s.Threshold,
		Op: r.op.String(), Subject: r.subject, Expr: r.expr, Labels: labels, Unit: r.unit,
		Reference: math.NaN(), NoData: status == contract.AlertResolved && s.NoData,
	}
	if r.ref != "" && s.HasRef {
		d.Reference = s.Ref
	}
	a.Summary = render(r.summary, d)
	a.Description = render(r.description, d)
	return a
}

func (e *engine) takeOut() []contract.Alert {
	out := e.out
	e.out = nil
	return out
}

// send delivers alert records. A refusal is counted and logged rather than
// returned: failing the incoming batch would make it be counted twice on
// retry.
func (e *engine) send(ctx context.Context, alerts []contract.Alert) {
	if len(alerts) == 0 {
		return
	}
	ld := plog.NewLogs()
	sl := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty()
	sl.Scope().SetName(metadata.ScopeName)
	observed := pcommon.NewTimestampFromTime(e.now())
	var firing, resolved int64
	for _, a := range alerts {
		lr := sl.LogRecords().AppendEmpty()
		a.WriteTo(lr)
		lr.SetObservedTimestamp(observed)
		if a.Status == contract.AlertFiring {
			firing++
		} else {
			resolved++
		}
	}
	if err := e.next.ConsumeLogs(ctx, ld); err != nil {
		e.tel.AlertsDropped.Add(ctx, int64(len(alerts)))
		e.logger.Warn("next consumer refused alert records", zap.Int("alerts", len(alerts)), zap.Error(err))
		return
	}
	statusKey := attribute.Key(contract.AlertStatus)
	e.tel.AlertsEmitted.Add(ctx, firing, metric.WithAttributes(statusKey.String(contract.AlertFiring)))
	e.tel.AlertsEmitted.Add(ctx, resolved, metric.WithAttributes(statusKey.String(contract.AlertResolved)))
}
