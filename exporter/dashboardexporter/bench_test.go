package dashboardexporter

import (
	"runtime"
	"strconv"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/otelcol-payments/otelcol-payments/exporter/dashboardexporter/internal/fixture"
	"github.com/otelcol-payments/otelcol-payments/exporter/dashboardexporter/internal/store"
	"github.com/otelcol-payments/otelcol-payments/exporter/dashboardexporter/internal/view"
)

// benchBatch is one paymentbi emission plus span metrics for 50 operations:
// about 300 data points.
func benchBatch(start, now time.Time) pmetric.Metrics {
	md := fixture.Default().Metrics(start, now)
	ops := make([]fixture.Operation, 50)
	for i := range ops {
		ops[i] = fixture.Operation{
			Name: "op-" + strconv.Itoa(i), Bounds: []float64{5, 10, 25, 50, 100, 250, 500, 1000, 2000, 5000, 10000},
			Counts: []uint64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, Errors: 1,
		}
	}
	fixture.SpanMetrics(start, now, ops...).ResourceMetrics().MoveAndAppendTo(md.ResourceMetrics())
	return md
}

// BenchmarkConsumeMetrics: folding one batch into the store.
func BenchmarkConsumeMetrics(b *testing.B) {
	now := time.Now()
	st := store.New(store.Config{Now: func() time.Time { return now }, MaxSeries: 5000})
	md := benchBatch(now.Add(-time.Hour), now)
	b.Logf("%d data points per batch", md.DataPointCount())
	b.ReportAllocs()
	for b.Loop() {
		st.AddMetrics(md)
	}
}

// BenchmarkDashboard: building the /api/dashboard document over that state.
func BenchmarkDashboard(b *testing.B) {
	now := time.Now()
	clock := func() time.Time { return now }
	st := store.New(store.Config{Now: clock, MaxSeries: 5000})
	st.AddMetrics(benchBatch(now.Add(-time.Hour), now))
	bld := view.NewBuilder(view.Options{
		Currency: "USD", LatencyWindow: 5 * time.Minute,
		SpanMetricsNamespace: "traces.span.metrics", StaleAfter: time.Minute,
	}, st, store.NewAlerts(clock, 10, 10))
	b.ReportAllocs()
	for b.Loop() {
		_ = bld.Dashboard()
	}
}

// BenchmarkStoreMemoryPerSeries reports the heap per counter series.
func BenchmarkStoreMemoryPerSeries(b *testing.B) {
	const n = 2000
	for b.Loop() {
		now := time.Now()
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		st := store.New(store.Config{Now: func() time.Time { return now }, MaxSeries: n})
		md := pmetric.NewMetrics()
		sum := md.ResourceMetrics().AppendEmpty().ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
		sum.SetName("payment.attempts")
		sum.SetEmptySum().SetAggregationTemporality(pmetric.AggregationTemporalityDelta)
		for i := 0; i < n; i++ {
			dp := sum.Sum().DataPoints().AppendEmpty()
			dp.SetIntValue(1)
			dp.Attributes().PutStr("payment.error_type", "e"+strconv.Itoa(i))
		}
		st.AddMetrics(md)
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "B/series")
		runtime.KeepAlive(st)
	}
}
