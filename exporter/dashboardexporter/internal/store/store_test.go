package store

import (
	"math"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
)

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}
func (c *fakeClock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

func newTestStore(t *testing.T, start time.Time, loc *time.Location, maxSeries int) (*Store, *fakeClock) {
	t.Helper()
	clk := &fakeClock{t: start}
	return New(Config{Location: loc, Now: clk.Now, MaxSeries: maxSeries, HistogramWindow: 15}), clk
}

// sum builds one sum data point.
func sum(name string, temporality pmetric.AggregationTemporality, start, ts time.Time, v float64, attrs map[string]string) pmetric.Metrics {
	md := pmetric.NewMetrics()
	m := md.ResourceMetrics().AppendEmpty().ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
	m.SetName(name)
	s := m.SetEmptySum()
	s.SetIsMonotonic(true)
	s.SetAggregationTemporality(temporality)
	dp := s.DataPoints().AppendEmpty()
	if !start.IsZero() {
		dp.SetStartTimestamp(pcommon.NewTimestampFromTime(start))
	}
	dp.SetTimestamp(pcommon.NewTimestampFromTime(ts))
	dp.SetDoubleValue(v)
	for k, val := range attrs {
		dp.Attributes().PutStr(k, val)
	}
	return md
}

func delta(name string, ts time.Time, v float64, attrs map[string]string) pmetric.Metrics {
	return sum(name, pmetric.AggregationTemporalityDelta, time.Time{}, ts, v, attrs)
}

func TestCumulativeDeltasAndResets(t *testing.T) {
	start := time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)
	s, clk := newTestStore(t, start, time.UTC, 100)
	cum := func(procStart time.Time, v float64) {
		s.AddMetrics(sum("payment.orders", pmetric.AggregationTemporalityCumulative, procStart, clk.Now(), v, nil))
	}
	cum(start, 5) // started today: counts in full
	clk.Advance(time.Minute)
	cum(start, 8)
	clk.Advance(time.Minute)
	cum(start, 8)
	restart := clk.Now()
	clk.Advance(time.Minute)
	cum(restart, 2) // producer restarted: the new run counted 2
	clk.Advance(time.Minute)
	cum(restart, 1) // lower value without new start: also a reset
	got := s.Counters("payment.orders", nil, time.Hour)[""]
	assert.Equal(t, 5.0+3+2+1, got.Today)
	assert.Equal(t, got.Today, got.Window)
	assert.Equal(t, []float64{5, 3, 0, 2, 1}, s.CounterMinutes("payment.orders", nil, 5, 1))
}

func TestCumulativeFirstPointFromEarlierDayIsBaseline(t *testing.T) {
	now := time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)
	s, clk := newTestStore(t, now, time.UTC, 100)
	yesterday := now.Add(-20 * time.Hour)
	s.AddMetrics(sum("payment.orders", pmetric.AggregationTemporalityCumulative, yesterday, now, 1000, nil))
	clk.Advance(time.Minute)
	s.AddMetrics(sum("payment.orders", pmetric.AggregationTemporalityCumulative, yesterday, clk.Now(), 1004, nil))
	assert.Equal(t, 4.0, s.Counters("payment.orders", nil, 0)[""].Today)
}

func TestDayAndMonthRolloverInTimeZone(t *testing.T) {
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	require.NoError(t, err)
	// 23:58 on 30 November in Tokyo is 14:58 UTC: the UTC day is not over.
	start := time.Date(2026, 11, 30, 23, 58, 0, 0, tokyo)
	s, clk := newTestStore(t, start, tokyo, 100)
	attrs := map[string]string{"payment.currency": "JPY"}
	s.AddMetrics(delta("payment.revenue", clk.Now(), 700, attrs))
	got := s.Counters("payment.revenue", nil, 0)[""]
	assert.Equal(t, Totals{Today: 700, Month: 700}, got)

	clk.Advance(3 * time.Minute) // 00:01 on 1 December in Tokyo
	s.AddMetrics(delta("payment.revenue", clk.Now(), 50, attrs))
	got = s.Counters("payment.revenue", nil, 2*time.Hour)[""]
	assert.Equal(t, Totals{Today: 50, Yesterday: 700, Month: 50, LastMonth: 700, Window: 750}, got)

	// A late point stamped before midnight still lands in yesterday.
	s.AddMetrics(delta("payment.revenue", start.Add(time.Minute), 1, attrs))
	got = s.Counters("payment.revenue", nil, 0)[""]
	assert.Equal(t, 701.0, got.Yesterday)
	assert.Equal(t, 701.0, got.LastMonth)

	// Two days later nothing is "yesterday" any more, and the month stays.
	clk.Advance(48 * time.Hour)
	got = s.Counters("payment.revenue", nil, 0)[""]
	assert.Equal(t, Totals{Month: 50, LastMonth: 701}, got)
}

func TestRingKeepsOnly24Hours(t *testing.T) {
	start := time.Date(2026, 11, 1, 0, 30, 0, 0, time.UTC)
	s, clk := newTestStore(t, start, time.UTC, 100)
	for i := 0; i < 2*Minutes; i++ {
		s.AddMetrics(delta("payment.orders", clk.Now(), 1, nil))
		clk.Advance(time.Minute)
	}
	clk.Advance(-time.Minute) // back onto the last booked minute
	mins := s.CounterMinutes("payment.orders", nil, 2*Minutes, 60)
	require.Len(t, mins, 24, "at most 24 hours are kept")
	for i, v := range mins {
		assert.Equal(t, 60.0, v, "hour %d", i)
	}
	got := s.Counters("payment.orders", nil, 48*time.Hour)[""]
	assert.Equal(t, float64(Minutes), got.Window)
	assert.Equal(t, float64(2*Minutes), got.Month)

	// A point older than the window is dropped, not booked into a live slot.
	s.AddMetrics(delta("payment.orders", clk.Now().Add(-25*time.Hour), 1, nil))
	assert.Equal(t, int64(1), s.Stats().DroppedPoints)
	assert.Equal(t, float64(Minutes), s.Counters("payment.orders", nil, 48*time.Hour)[""].Window)
}

func TestBoundedSeries(t *testing.T) {
	start := time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)
	s, clk := newTestStore(t, start, time.UTC, 10)
	calls := func(span string) {
		s.AddMetrics(delta("traces.span.metrics.calls", clk.Now(), 1, map[string]string{"span.name": span}))
	}
	for i := 0; i < 10; i++ {
		calls(strconv.Itoa(i))
		clk.Advance(time.Second)
	}
	// Series 0 keeps updating; 1..9 go quiet.
	calls("0")
	clk.Advance(time.Second)

	// A flood of fresh series: the store stays at its bound and makes room
	// by evicting the least recently updated, never refusing the new one.
	for i := 0; i < 15; i++ {
		calls("flood-" + strconv.Itoa(i))
		clk.Advance(time.Second)
	}
	st := s.Stats()
	assert.Equal(t, 10, st.Series)
	assert.Equal(t, int64(15), st.EvictedSeries)
	byName := s.Counters("traces.span.metrics.calls", nil, time.Hour, "span.name")
	assert.Contains(t, byName, "flood-14", "the freshest series is kept")
	assert.NotContains(t, byName, "1", "the stalest series went first")

	// Idle series that no longer count towards this month are swept.
	clk.Set(time.Date(2027, 1, 2, 12, 0, 0, 0, time.UTC))
	calls("new")
	assert.Equal(t, 1, s.Stats().Series)
}

func TestGaugesKeepLatestAndLabels(t *testing.T) {
	start := time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)
	s, clk := newTestStore(t, start, time.UTC, 100)
	gauge := func(item string, v int64) {
		md := pmetric.NewMetrics()
		rm := md.ResourceMetrics().AppendEmpty()
		rm.Resource().Attributes().PutStr("service.name", "inventory")
		m := rm.ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
		m.SetName("inventory.available")
		dp := m.SetEmptyGauge().DataPoints().AppendEmpty()
		dp.SetIntValue(v)
		dp.SetTimestamp(pcommon.NewTimestampFromTime(clk.Now()))
		dp.Attributes().PutStr("inventory.item_id", item)
		s.AddMetrics(md)
	}
	gauge("sku-1", 40)
	clk.Advance(time.Minute)
	gauge("sku-1", 3)
	gauge("sku-2", 12)
	got := map[string]float64{}
	for _, g := range s.Gauges("inventory.available", nil) {
		assert.Equal(t, "inventory", g.Labels.Get("service.name"))
		assert.Equal(t, clk.Now(), g.At)
		got[g.Labels.Get("inventory.item_id")] = g.Value
	}
	assert.Equal(t, map[string]float64{"sku-1": 3, "sku-2": 12}, got)
	assert.Len(t, s.Gauges("inventory.available", Match{"inventory.item_id": "sku-2"}), 1)
	assert.Equal(t, clk.Now(), s.Stats().LastDataAt)
}

func histogram(name string, temporality pmetric.AggregationTemporality, start, ts time.Time, bounds []float64, counts []uint64, attrs map[string]string) pmetric.Metrics {
	md := pmetric.NewMetrics()
	m := md.ResourceMetrics().AppendEmpty().ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
	m.SetName(name)
	m.SetUnit("ms")
	h := m.SetEmptyHistogram()
	h.SetAggregationTemporality(temporality)
	dp := h.DataPoints().AppendEmpty()
	dp.SetStartTimestamp(pcommon.NewTimestampFromTime(start))
	dp.SetTimestamp(pcommon.NewTimestampFromTime(ts))
	dp.ExplicitBounds().FromRaw(bounds)
	dp.BucketCounts().FromRaw(counts)
	var n uint64
	for _, c := range counts {
		n += c
	}
	dp.SetCount(n)
	for k, v := range attrs {
		dp.Attributes().PutStr(k, v)
	}
	return md
}

func TestHistogramQuantileFromCumulativeDeltas(t *testing.T) {
	start := time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)
	s, clk := newTestStore(t, start, time.UTC, 100)
	bounds := []float64{100, 200, 400}
	op := map[string]string{"span.name": "payment.charge"}
	cum := pmetric.AggregationTemporalityCumulative
	s.AddMetrics(histogram("traces.span.metrics.duration", cum, start, clk.Now(), bounds, []uint64{10, 0, 0, 0}, op))
	clk.Advance(time.Minute)
	// 100 new observations: 50 in (100,200], 50 in (200,400].
	s.AddMetrics(histogram("traces.span.metrics.duration", cum, start, clk.Now(), bounds, []uint64{10, 50, 50, 0}, op))
	q := s.Quantiles("traces.span.metrics.duration", 0.95, 5*time.Minute, nil, "span.name")["payment.charge"]
	assert.Equal(t, "ms", q.Unit)
	assert.Equal(t, 110.0, q.Count)
	// rank 104.5: 60 below 200, 44.5 of 50 into (200,400].
	assert.InDelta(t, 200+200*44.5/50, q.Value, 1e-9)

	// Outside the window the percentile has no observations.
	clk.Advance(20 * time.Minute)
	q = s.Quantiles("traces.span.metrics.duration", 0.95, 5*time.Minute, nil, "span.name")["payment.charge"]
	assert.True(t, math.IsNaN(q.Value))
	assert.Zero(t, q.Count)
}

func TestQuantileOverflowBucketAnswersLowerBound(t *testing.T) {
	v, n := quantile(0.99, map[float64]float64{10: 1, math.Inf(1): 99})
	assert.Equal(t, 10.0, v)
	assert.Equal(t, 100.0, n)
}

func TestUnsupportedAndBadPointsAreCounted(t *testing.T) {
	start := time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)
	s, clk := newTestStore(t, start, time.UTC, 100)
	md := pmetric.NewMetrics()
	ms := md.ResourceMetrics().AppendEmpty().ScopeMetrics().AppendEmpty().Metrics()
	ms.AppendEmpty().SetEmptySummary().DataPoints().AppendEmpty()
	m := ms.AppendEmpty()
	m.SetName("payment.revenue")
	dp := m.SetEmptySum().DataPoints().AppendEmpty()
	m.Sum().SetAggregationTemporality(pmetric.AggregationTemporalityDelta)
	dp.SetDoubleValue(math.NaN())
	ok := ms.AppendEmpty()
	ok.SetName("payment.orders")
	ok.SetEmptySum().SetAggregationTemporality(pmetric.AggregationTemporalityDelta)
	okdp := ok.Sum().DataPoints().AppendEmpty()
	okdp.SetIntValue(2)
	okdp.SetTimestamp(pcommon.NewTimestampFromTime(clk.Now()))
	s.AddMetrics(md)
	assert.Equal(t, int64(2), s.Stats().DroppedPoints)
	assert.Equal(t, 2.0, s.Counters("payment.orders", nil, 0)[""].Today, "good data next to bad is kept")
}

// Two finite doubles near the top of the range sum to +Inf, and one +Inf
// in a total makes the dashboard's JSON fail to encode: values beyond
// int64's range are no counts or amounts and are dropped and counted.
func TestPointsBeyondInt64RangeAreCounted(t *testing.T) {
	start := time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)
	s, clk := newTestStore(t, start, time.UTC, 100)
	attrs := map[string]string{"payment.method": "card"}
	s.AddMetrics(delta("payment.attempts", clk.Now(), math.MaxFloat64, attrs))
	s.AddMetrics(delta("payment.attempts", clk.Now(), math.MaxFloat64, attrs))
	s.AddMetrics(delta("payment.attempts", clk.Now(), -1e19, attrs))
	s.AddMetrics(delta("payment.attempts", clk.Now(), 3, attrs))
	md := pmetric.NewMetrics()
	g := md.ResourceMetrics().AppendEmpty().ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
	g.SetName("payment.revenue.target.daily")
	gdp := g.SetEmptyGauge().DataPoints().AppendEmpty()
	gdp.SetDoubleValue(-math.MaxFloat64)
	gdp.SetTimestamp(pcommon.NewTimestampFromTime(clk.Now()))
	s.AddMetrics(md)

	assert.Equal(t, int64(4), s.Stats().DroppedPoints)
	assert.Equal(t, 3.0, s.Counters("payment.attempts", nil, 0)[""].Today, "good points next to the bad ones are kept")
	assert.Empty(t, s.Gauges("payment.revenue.target.daily", nil))
}

// A series keeps its buckets for every minute of the window: a point with
// a hundred thousand bounds would hold megabytes, per series.
func TestHistogramWithTooManyBucketsIsCounted(t *testing.T) {
	start := time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)
	s, clk := newTestStore(t, start, time.UTC, 100)
	many := func(n int) ([]float64, []uint64) {
		bounds := make([]float64, n-1)
		for i := range bounds {
			bounds[i] = float64(i + 1)
		}
		counts := make([]uint64, n)
		counts[0] = 5
		return bounds, counts
	}
	cum := pmetric.AggregationTemporalityCumulative
	bounds, counts := many(MaxHistogramBuckets + 1)
	s.AddMetrics(histogram("traces.span.metrics.duration", cum, start, clk.Now(), bounds, counts, map[string]string{"span.name": "flood"}))
	bounds, counts = many(MaxHistogramBuckets)
	s.AddMetrics(histogram("traces.span.metrics.duration", cum, start, clk.Now(), bounds, counts, map[string]string{"span.name": "payment.charge"}))

	assert.Equal(t, int64(1), s.Stats().DroppedPoints)
	q := s.Quantiles("traces.span.metrics.duration", 0.5, 5*time.Minute, nil, "span.name")
	assert.NotContains(t, q, "flood")
	assert.Equal(t, 5.0, q["payment.charge"].Count, "a histogram within the bound is kept")
}

// max_series bounds memory only if a series' labels are bounded too: the
// edge lets 128 attributes of 64 KiB through.
func TestPointWithOversizedLabelsIsCounted(t *testing.T) {
	start := time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)
	s, clk := newTestStore(t, start, time.UTC, 100)
	huge := map[string]string{"payment.method": "card"}
	for i := range 4 {
		huge["blob"+strconv.Itoa(i)] = strings.Repeat("x", MaxLabelBytes/4)
	}
	s.AddMetrics(delta("payment.attempts", clk.Now(), 1, huge))
	s.AddMetrics(delta("payment.attempts", clk.Now(), 2, map[string]string{"payment.method": "card", "note": strings.Repeat("y", MaxLabelBytes/2)}))

	assert.Equal(t, int64(1), s.Stats().DroppedPoints)
	assert.Equal(t, 1, s.Stats().Series)
	assert.Equal(t, 2.0, s.Counters("payment.attempts", nil, 0)[""].Today, "the point within the bound is kept")
}
