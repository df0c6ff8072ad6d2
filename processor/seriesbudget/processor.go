package seriesbudget

import (
	"context"
	"encoding/binary"
	"hash/maphash"
	"slices"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/processorhelper"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/otelcol-payments/otelcol-payments/processor/seriesbudget/internal/metadata"
)

// Reasons of the refused counter.
const (
	reasonTotal     = "max_series"
	reasonPerMetric = "max_series_per_metric"
)

// budget admits series first come, first served: a series keeps its place
// while it reports within Idle; one that does not fit is refused (its data
// points removed and counted) until places free up. Values of refused
// series cannot be folded into an overflow series here: for cumulative
// data that would need the last value of every refused series, the very
// state the budget bounds.
type budget struct {
	cfg     Config
	logger  *zap.Logger
	refused metric.Int64Counter
	reasons map[string]metric.AddOption
	// telemetry owns refused and the series gauge's callback.
	telemetry *metadata.TelemetryBuilder
	now       func() time.Time
	seed      maphash.Seed

	mu        sync.Mutex
	series    map[uint64]*entry
	perMetric map[string]int
	used      int
	swept     time.Time
	lastWarn  time.Time
	// refused since the last warning, by reason, and one metric name
	// refused (names are sanitized upstream or our own).
	pending       map[string]int64
	pendingMetric string
	batch         map[string]int64 // refused in the batch being processed
}

type entry struct {
	seen   time.Time
	cost   int
	metric string
}

func newBudget(cfg *Config, set processor.Settings) (*budget, error) {
	b := &budget{
		cfg: *cfg, logger: set.Logger, now: time.Now, seed: maphash.MakeSeed(),
		series: map[uint64]*entry{}, perMetric: map[string]int{}, pending: map[string]int64{}, batch: map[string]int64{},
		reasons: map[string]metric.AddOption{},
	}
	for _, r := range []string{reasonTotal, reasonPerMetric} {
		b.reasons[r] = metric.WithAttributeSet(attribute.NewSet(attribute.String("reason", r)))
	}
	tb, err := metadata.NewTelemetryBuilder(set.TelemetrySettings, func() int64 {
		b.mu.Lock()
		defer b.mu.Unlock()
		return int64(b.used)
	})
	if err != nil {
		return nil, err
	}
	b.telemetry, b.refused = tb, tb.Refused
	return b, nil
}

func (b *budget) shutdown(context.Context) error {
	return b.telemetry.Shutdown()
}

func (b *budget) processMetrics(ctx context.Context, md pmetric.Metrics) (pmetric.Metrics, error) {
	now := b.now()
	var h maphash.Hash
	h.SetSeed(b.seed)
	b.mu.Lock()
	md.ResourceMetrics().RemoveIf(func(rm pmetric.ResourceMetrics) bool {
		h.Reset()
		hashMap(&h, rm.Resource().Attributes())
		resource := h.Sum64()
		rm.ScopeMetrics().RemoveIf(func(sm pmetric.ScopeMetrics) bool {
			h.Reset()
			writeUint64(&h, resource)
			h.WriteString(sm.Scope().Name())
			h.WriteByte(0)
			h.WriteString(sm.Scope().Version())
			scope := h.Sum64()
			sm.Metrics().RemoveIf(func(m pmetric.Metric) bool {
				name := m.Name()
				refuse := func(attrs pcommon.Map, cost int) bool {
					h.Reset()
					writeUint64(&h, scope)
					h.WriteString(name)
					h.WriteByte(0)
					hashMap(&h, attrs)
					return !b.admit(h.Sum64(), name, cost, now)
				}
				return b.filter(m, refuse)
			})
			return sm.Metrics().Len() == 0
		})
		return rm.ScopeMetrics().Len() == 0
	})
	warn := b.warnDue(now)
	for reason, n := range b.batch {
		b.refused.Add(ctx, n, b.reasons[reason])
	}
	clear(b.batch)
	b.mu.Unlock()
	if warn != nil {
		b.logger.Warn("series budget full: data points of new series removed and counted in "+metadata.RefusedMetric+
			" (this warning repeats at most once a minute)", warn...)
	}
	if md.ResourceMetrics().Len() == 0 {
		return md, processorhelper.ErrSkipProcessingData
	}
	return md, nil
}

// filter removes the data points refuse refuses and reports whether the
// metric is left empty.
func (b *budget) filter(m pmetric.Metric, refuse func(pcommon.Map, int) bool) bool {
	switch m.Type() {
	case pmetric.MetricTypeGauge:
		dps := m.Gauge().DataPoints()
		dps.RemoveIf(func(dp pmetric.NumberDataPoint) bool { return refuse(dp.Attributes(), 1) })
		return dps.Len() == 0
	case pmetric.MetricTypeSum:
		dps := m.Sum().DataPoints()
		dps.RemoveIf(func(dp pmetric.NumberDataPoint) bool { return refuse(dp.Attributes(), 1) })
		return dps.Len() == 0
	case pmetric.MetricTypeHistogram:
		dps := m.Histogram().DataPoints()
		dps.RemoveIf(func(dp pmetric.HistogramDataPoint) bool {
			// a line per bucket (+Inf included), _sum and _count
			buckets := max(dp.ExplicitBounds().Len()+1, dp.BucketCounts().Len())
			return refuse(dp.Attributes(), buckets+2)
		})
		return dps.Len() == 0
	case pmetric.MetricTypeExponentialHistogram:
		dps := m.ExponentialHistogram().DataPoints()
		dps.RemoveIf(func(dp pmetric.ExponentialHistogramDataPoint) bool {
			buckets := dp.Positive().BucketCounts().Len() + dp.Negative().BucketCounts().Len() + 1
			return refuse(dp.Attributes(), buckets+2)
		})
		return dps.Len() == 0
	case pmetric.MetricTypeSummary:
		dps := m.Summary().DataPoints()
		dps.RemoveIf(func(dp pmetric.SummaryDataPoint) bool {
			return refuse(dp.Attributes(), dp.QuantileValues().Len()+2)
		})
		return dps.Len() == 0
	}
	return false
}

// admit reports whether the series key (of metric, costing cost) holds or
// gets a place. Called with b.mu held.
func (b *budget) admit(key uint64, metric string, cost int, now time.Time) bool {
	if e, ok := b.series[key]; ok {
		e.seen = now
		return true
	}
	reason := b.misfit(metric, cost)
	if reason != "" && now.Sub(b.swept) >= time.Second {
		b.sweep(now)
		reason = b.misfit(metric, cost)
	}
	if reason != "" {
		b.batch[reason]++
		b.pending[reason]++
		if b.pendingMetric == "" {
			b.pendingMetric = strings.Clone(metric)
		}
		return false
	}
	e := &entry{seen: now, cost: cost, metric: strings.Clone(metric)}
	b.series[key] = e
	b.used += cost
	b.perMetric[e.metric] += cost
	return true
}

// misfit names the limit a new series would exceed, or "".
func (b *budget) misfit(metric string, cost int) string {
	switch {
	case b.used+cost > b.cfg.MaxSeries:
		return reasonTotal
	case b.perMetric[metric]+cost > b.cfg.MaxSeriesPerMetric:
		return reasonPerMetric
	}
	return ""
}

// sweep frees the places of series idle for Idle.
func (b *budget) sweep(now time.Time) {
	b.swept = now
	for key, e := range b.series {
		if now.Sub(e.seen) < b.cfg.Idle {
			continue
		}
		delete(b.series, key)
		b.used -= e.cost
		if b.perMetric[e.metric] -= e.cost; b.perMetric[e.metric] <= 0 {
			delete(b.perMetric, e.metric)
		}
	}
}

// warnDue returns the fields of a warning when series were refused and the
// last warning is a minute old. Called with b.mu held.
func (b *budget) warnDue(now time.Time) []zap.Field {
	if len(b.pending) == 0 || now.Sub(b.lastWarn) < time.Minute {
		return nil
	}
	b.lastWarn = now
	fields := []zap.Field{
		zap.Int("series_in_use", b.used), zap.Int("max_series", b.cfg.MaxSeries),
		zap.Int("max_series_per_metric", b.cfg.MaxSeriesPerMetric), zap.String("metric", b.pendingMetric),
	}
	for _, r := range []string{reasonTotal, reasonPerMetric} {
		if n := b.pending[r]; n > 0 {
			fields = append(fields, zap.Int64("refused_"+r, n))
		}
	}
	clear(b.pending)
	b.pendingMetric = ""
	return fields
}

// hashMap writes m to h independently of its entries' order.
func hashMap(h *maphash.Hash, m pcommon.Map) {
	keys := make([]string, 0, m.Len())
	for k := range m.All() {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		v, _ := m.Get(k)
		h.WriteString(k)
		h.WriteByte(0)
		h.WriteByte(byte(v.Type()))
		if v.Type() == pcommon.ValueTypeMap {
			hashMap(h, v.Map())
		} else {
			h.WriteString(v.AsString())
		}
		h.WriteByte(0)
	}
}

func writeUint64(h *maphash.Hash, v uint64) {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], v)
	h.Write(b[:])
}
