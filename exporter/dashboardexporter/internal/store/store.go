// Package store is the dashboard's bounded rolling view of metrics: per
// series the last 24 hours at minute resolution, today, yesterday, this month
// and last month for sums; the latest value for gauges; recent bucket counts
// for histograms. Day and month boundaries follow a configured time zone.
// It knows no metric names: the dashboard view queries it by name.
package store

import (
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/otelcol-payments/otelcol-payments/internal/contract"
)

// Kind is how a series aggregates.
type Kind uint8

const (
	KindCounter Kind = iota + 1
	KindGauge
	KindHistogram
)

// Config configures a Store.
type Config struct {
	// Location sets the day and month boundaries.
	Location *time.Location
	// Now is the clock.
	Now func() time.Time
	// MaxSeries bounds the number of series; beyond it the least recently
	// updated series are evicted and counted.
	MaxSeries int
	// HistogramWindow is how many minutes of bucket counts a histogram keeps
	// for percentiles.
	HistogramWindow int
	// Keep, when set, selects the metrics worth a series by name; the
	// others are skipped and counted in Stats.IgnoredMetrics, so metrics
	// the views never read cannot evict the ones they do.
	Keep func(name string) bool
}

// Stats are the store's own counters, for health and tests.
type Stats struct {
	Series        int   `json:"series"`
	DroppedSeries int64 `json:"dropped_series"`
	// EvictedSeries counts series removed, least recently updated first, to
	// make room for new ones when MaxSeries is reached.
	EvictedSeries int64 `json:"evicted_series"`
	DroppedPoints int64 `json:"dropped_points"`
	// IgnoredMetrics counts metrics Config.Keep turned away.
	IgnoredMetrics int64     `json:"ignored_metrics"`
	LastDataAt     time.Time `json:"last_data_at"`
}

// Label is one attribute of a series.
type Label struct{ Key, Value string }

// Labels are sorted by key.
type Labels []Label

// Get returns the value of key, or "".
func (l Labels) Get(key string) string {
	for _, kv := range l {
		if kv.Key == key {
			return kv.Value
		}
	}
	return ""
}

type series struct {
	name     string
	labels   Labels
	kind     Kind
	unit     string
	lastSeen time.Time

	// Cumulative input: the last value and start time, to compute deltas.
	hasCum   bool
	cumStart pcommon.Timestamp
	cumLast  float64
	cumHist  []float64 // last cumulative bucket counts

	// Counter totals. today/yesterday and month/lastMonth shift on rollover.
	today, yesterday, month, lastMonth float64
	ring                               *minuteRing

	gauge   float64
	gaugeAt time.Time

	hist *histWindow
}

// Store is safe for concurrent use.
type Store struct {
	mu     sync.Mutex
	cfg    Config
	series map[string]*series
	byName map[string][]*series

	dayStart, monthStart time.Time
	stats                Stats
	lastSweep            time.Time
}

// New returns an empty store.
func New(cfg Config) *Store {
	if cfg.Location == nil {
		cfg.Location = time.UTC
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.HistogramWindow <= 0 {
		cfg.HistogramWindow = 15
	}
	s := &Store{cfg: cfg, series: map[string]*series{}, byName: map[string][]*series{}}
	now := cfg.Now().In(cfg.Location)
	s.dayStart, s.monthStart = dayStart(now), monthStart(now)
	return s
}

// Location is the store's time zone.
func (s *Store) Location() *time.Location { return s.cfg.Location }

// Now is the store's clock.
func (s *Store) Now() time.Time { return s.cfg.Now().In(s.cfg.Location) }

func dayStart(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, t.Location())
}

func monthStart(t time.Time) time.Time {
	y, m, _ := t.Date()
	return time.Date(y, m, 1, 0, 0, 0, 0, t.Location())
}

func unixMinute(t time.Time) int64 { return int64(math.Floor(float64(t.Unix()) / 60)) }

// rollover shifts counter totals when the clock has entered a new day or
// month. Called with the write lock held.
func (s *Store) rollover(now time.Time) {
	ds, ms := dayStart(now), monthStart(now)
	if ds.Equal(s.dayStart) {
		return
	}
	nextDay := ds.Equal(dayStart(s.dayStart.AddDate(0, 0, 1)))
	newMonth := !ms.Equal(s.monthStart)
	nextMonth := ms.Equal(s.monthStart.AddDate(0, 1, 0))
	for _, se := range s.series {
		if se.kind != KindCounter {
			continue
		}
		se.yesterday = 0
		if nextDay {
			se.yesterday = se.today
		}
		se.today = 0
		if newMonth {
			se.lastMonth = 0
			if nextMonth {
				se.lastMonth = se.month
			}
			se.month = 0
		}
	}
	s.dayStart, s.monthStart = ds, ms
	s.sweep(now)
}

// sweep evicts series idle for longer than the 24-hour window that no
// longer count towards today or this month.
func (s *Store) sweep(now time.Time) {
	s.lastSweep = now
	cutoff := now.Add(-(Minutes + 60) * time.Minute)
	for key, se := range s.series {
		if se.lastSeen.After(cutoff) || se.today != 0 || se.month != 0 {
			continue
		}
		s.remove(key, se)
	}
	s.stats.Series = len(s.series)
}

// evictOldest removes the least recently updated 1% of the series (at least
// one), so a flood of new series costs one sort per hundred arrivals.
func (s *Store) evictOldest() {
	all := make([]*series, 0, len(s.series))
	for _, se := range s.series {
		all = append(all, se)
	}
	slices.SortFunc(all, func(a, b *series) int { return a.lastSeen.Compare(b.lastSeen) })
	n := max(1, len(all)/100)
	for _, se := range all[:n] {
		s.remove(seriesKey(se.name, se.labels), se)
	}
	s.stats.EvictedSeries += int64(n)
	s.stats.Series = len(s.series)
}

func (s *Store) remove(key string, se *series) {
	delete(s.series, key)
	list := s.byName[se.name]
	if i := slices.Index(list, se); i >= 0 {
		list = slices.Delete(list, i, i+1)
	}
	if len(list) == 0 {
		delete(s.byName, se.name)
	} else {
		s.byName[se.name] = list
	}
}

// Tick applies day/month rollover at the current clock time. Queries see
// rolled-over totals without it; it exists so idle stores still shed state.
func (s *Store) Tick() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rollover(s.Now())
}

// Stats returns the store's counters.
func (s *Store) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats
	st.Series = len(s.series)
	return st
}

// AddMetrics folds md into the store. Sums become counters (monotonic or
// not), gauges keep their latest value, histograms keep bucket deltas;
// summaries and exponential histograms are counted as dropped points.
func (s *Store) AddMetrics(md pmetric.Metrics) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.Now()
	s.rollover(now)
	var got bool
	rms := md.ResourceMetrics()
	for i := 0; i < rms.Len(); i++ {
		rm := rms.At(i)
		var svc string
		if v, ok := rm.Resource().Attributes().Get(contract.ServiceName); ok {
			svc = v.AsString()
		}
		sms := rm.ScopeMetrics()
		for j := 0; j < sms.Len(); j++ {
			ms := sms.At(j).Metrics()
			for k := 0; k < ms.Len(); k++ {
				if s.addMetric(ms.At(k), svc, now) {
					got = true
				}
			}
		}
	}
	if got {
		s.stats.LastDataAt = now
	}
}

func (s *Store) addMetric(m pmetric.Metric, svc string, now time.Time) bool {
	if s.cfg.Keep != nil && !s.cfg.Keep(m.Name()) {
		s.stats.IgnoredMetrics++
		return false
	}
	var got bool
	switch m.Type() {
	case pmetric.MetricTypeSum:
		sum := m.Sum()
		cumulative := sum.AggregationTemporality() == pmetric.AggregationTemporalityCumulative
		dps := sum.DataPoints()
		for i := 0; i < dps.Len(); i++ {
			dp := dps.At(i)
			se := s.lookup(m, KindCounter, dp.Attributes(), svc, now)
			if se == nil || dp.Flags().NoRecordedValue() {
				continue
			}
			s.addCounter(se, cumulative, dp.StartTimestamp(), numberValue(dp), dp.Timestamp(), now)
			got = true
		}
	case pmetric.MetricTypeGauge:
		dps := m.Gauge().DataPoints()
		for i := 0; i < dps.Len(); i++ {
			dp := dps.At(i)
			se := s.lookup(m, KindGauge, dp.Attributes(), svc, now)
			if se == nil || dp.Flags().NoRecordedValue() {
				continue
			}
			v := numberValue(dp)
			if !contract.Measurable(v) {
				s.stats.DroppedPoints++
				continue
			}
			se.gauge, se.gaugeAt = v, pointTime(dp.Timestamp(), now)
			got = true
		}
	case pmetric.MetricTypeHistogram:
		h := m.Histogram()
		cumulative := h.AggregationTemporality() == pmetric.AggregationTemporalityCumulative
		dps := h.DataPoints()
		for i := 0; i < dps.Len(); i++ {
			dp := dps.At(i)
			se := s.lookup(m, KindHistogram, dp.Attributes(), svc, now)
			if se == nil || dp.Flags().NoRecordedValue() {
				continue
			}
			s.addHistogram(se, cumulative, dp, now)
			got = true
		}
	default:
		s.stats.DroppedPoints++
	}
	return got
}

func numberValue(dp pmetric.NumberDataPoint) float64 {
	if dp.ValueType() == pmetric.NumberDataPointValueTypeInt {
		return float64(dp.IntValue())
	}
	return dp.DoubleValue()
}

// pointTime is the data point's time, clamped to now: a producer's clock
// running ahead must not write into the future.
func pointTime(ts pcommon.Timestamp, now time.Time) time.Time {
	t, ok := contract.TimestampTime(ts) // unset or beyond 2262: now
	if !ok {
		return now
	}
	t = t.In(now.Location())
	if t.After(now) {
		return now
	}
	return t
}

func seriesKey(name string, labels Labels) string {
	var b strings.Builder
	b.WriteString(name)
	for _, kv := range labels {
		b.WriteByte(0)
		b.WriteString(kv.Key)
		b.WriteByte(1)
		b.WriteString(kv.Value)
	}
	return b.String()
}

// MaxLabelBytes bounds the keys and values of one series' labels, so that
// max_series bounds memory: the piisanitizer's edge lets 128 attributes
// of 64 KiB through, which would be 8 MiB per series. Real series carry a
// few hundred bytes.
const MaxLabelBytes = 16 << 10

// lookup finds or creates the series of a data point; nil (the point is
// dropped and counted) when its labels are over MaxLabelBytes. A series
// that changes kind (a producer redefining a metric) starts over.
func (s *Store) lookup(m pmetric.Metric, kind Kind, attrs pcommon.Map, svc string, now time.Time) *series {
	labels := make(Labels, 0, attrs.Len()+1)
	size := 0
	attrs.Range(func(k string, v pcommon.Value) bool {
		labels = append(labels, Label{k, v.AsString()})
		size += len(k) + len(labels[len(labels)-1].Value)
		return size <= MaxLabelBytes
	})
	if svc != "" {
		if _, ok := attrs.Get(contract.ServiceName); !ok {
			labels = append(labels, Label{contract.ServiceName, svc})
			size += len(contract.ServiceName) + len(svc)
		}
	}
	if size > MaxLabelBytes {
		s.stats.DroppedPoints++
		return nil
	}
	slices.SortFunc(labels, func(a, b Label) int { return strings.Compare(a.Key, b.Key) })
	key := seriesKey(m.Name(), labels)
	se, ok := s.series[key]
	if ok && se.kind == kind {
		se.lastSeen = now
		se.unit = m.Unit()
		return se
	}
	if !ok && s.cfg.MaxSeries > 0 && len(s.series) >= s.cfg.MaxSeries {
		if now.Sub(s.lastSweep) >= time.Minute {
			s.sweep(now)
		}
		if len(s.series) >= s.cfg.MaxSeries {
			// Full of live series: make room by evicting the least recently
			// updated, never by refusing a fresh series for a stale one.
			s.evictOldest()
		}
	}
	if !ok {
		se = &series{name: m.Name(), labels: labels}
		s.series[key] = se
		s.byName[se.name] = append(s.byName[se.name], se)
	}
	*se = series{name: se.name, labels: se.labels, kind: kind, unit: m.Unit(), lastSeen: now}
	if kind == KindCounter {
		se.ring = &minuteRing{head: unixMinute(now)}
	}
	return se
}

// addCounter turns the point into a delta and books it at the point's time.
// Cumulative series: the delta from the previous point; a lower value or a
// new start time is a reset, after which the value itself is the delta. The
// first point of a cumulative series counts in full only when its start time
// is today; otherwise it is a baseline, since most of it happened before the
// dashboard could place it in time.
func (s *Store) addCounter(se *series, cumulative bool, start pcommon.Timestamp, v float64, ts pcommon.Timestamp, now time.Time) {
	// A few points beyond int64's range sum to ±Inf, and one ±Inf in a
	// total would fail every JSON answer of the dashboard.
	if !contract.Measurable(v) {
		s.stats.DroppedPoints++
		return
	}
	delta := v
	if cumulative {
		switch {
		case !se.hasCum:
			if start == 0 || start.AsTime().Before(s.dayStart) {
				delta = 0
			}
		case start != se.cumStart || v < se.cumLast:
			// reset: the new run counted v since its start
		default:
			delta = v - se.cumLast
		}
		se.hasCum, se.cumStart, se.cumLast = true, start, v
	}
	if delta == 0 {
		return
	}
	s.book(se, delta, pointTime(ts, now))
}

func (s *Store) book(se *series, delta float64, t time.Time) {
	if !se.ring.add(unixMinute(t), delta) {
		s.stats.DroppedPoints++
		return
	}
	switch {
	case !t.Before(s.dayStart):
		se.today += delta
	case !t.Before(s.dayStart.AddDate(0, 0, -1)):
		se.yesterday += delta
	}
	switch {
	case !t.Before(s.monthStart):
		se.month += delta
	case !t.Before(s.monthStart.AddDate(0, -1, 0)):
		se.lastMonth += delta
	}
}

// MaxHistogramBuckets bounds the buckets of one histogram point: a series
// keeps them for every minute of the latency window, so a point with 100k
// bounds would hold megabytes per series. Real ones have a few dozen.
const MaxHistogramBuckets = 128

func (s *Store) addHistogram(se *series, cumulative bool, dp pmetric.HistogramDataPoint, now time.Time) {
	if dp.BucketCounts().Len() > MaxHistogramBuckets {
		s.stats.DroppedPoints++
		return
	}
	bounds := dp.ExplicitBounds().AsRaw()
	counts := dp.BucketCounts().AsRaw()
	if len(counts) != len(bounds)+1 || !slices.IsSorted(bounds) {
		s.stats.DroppedPoints++
		return
	}
	if se.hist == nil || !slices.Equal(se.hist.bounds, bounds) {
		se.hist = newHistWindow(bounds, s.cfg.HistogramWindow)
		se.hasCum, se.cumHist = false, nil
	}
	cur := make([]float64, len(counts))
	for i, c := range counts {
		cur[i] = float64(c)
	}
	delta := cur
	if cumulative {
		start := dp.StartTimestamp()
		switch {
		case !se.hasCum:
			if start == 0 || start.AsTime().Before(now.Add(-time.Duration(s.cfg.HistogramWindow)*time.Minute)) {
				delta = nil
			}
		case start != se.cumStart || float64(dp.Count()) < se.cumLast:
		default:
			delta = make([]float64, len(cur))
			for i := range cur {
				delta[i] = max(0, cur[i]-se.cumHist[i])
			}
		}
		se.hasCum, se.cumStart, se.cumLast, se.cumHist = true, start, float64(dp.Count()), cur
	}
	if delta != nil {
		se.hist.add(unixMinute(pointTime(dp.Timestamp(), now)), delta)
	}
}
