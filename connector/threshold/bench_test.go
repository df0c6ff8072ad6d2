package threshold

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/storagetest"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/otelcol-payments/otelcol-payments/internal/contract"
)

// Benchmarks: 100 rules, 100,000 active series. Run with
//   go test -run '^$' -bench . -benchmem ./connector/threshold/...

const (
	benchRules     = 100
	benchSpanNames = 20 // 5 rules per span name: 3 latency, 2 ratio
	benchTenants   = 1000
	benchBatch     = 100
)

// spanRulesYAML: every rule groups by tenant, so 100 rules × 1000 tenants
// = 100,000 series.
func spanRulesYAML() string {
	var b strings.Builder
	b.WriteString("max_series: 200000\nknown_attributes: [tenant]\nrules:\n")
	for i := range benchRules {
		span := fmt.Sprintf("op.%d", i%benchSpanNames)
		if i%5 < 3 {
			fmt.Fprintf(&b, `  - name: latency_%d
    group_by: [tenant]
    span_latency: {match: {span_names: [%s]}, threshold: %dms, window: 5m, min_samples: 10}
`, i, span, 100*(i%5+1))
		} else {
			fmt.Fprintf(&b, `  - name: ratio_%d
    group_by: [tenant]
    ratio:
      of: {span_names: [%s]}
      where: {span_status: error}
      window: 5m
      min_samples: 20
      op: ">"
      threshold: 0.1
`, i, span)
		}
	}
	return b.String()
}

func metricRulesYAML() string {
	var b strings.Builder
	b.WriteString("max_series: 200000\nknown_attributes: [tenant]\nrules:\n")
	for i := range benchRules {
		fmt.Fprintf(&b, "  - name: metric_%d\n    group_by: [tenant]\n    metric: {name: m.%d, op: \"<\", threshold: 10}\n", i, i)
	}
	return b.String()
}

func benchSpans(offset int) ptrace.Traces {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr(contract.ServiceName, "payment-service")
	spans := rs.ScopeSpans().AppendEmpty().Spans()
	now := pcommon.NewTimestampFromTime(t0)
	for i := range benchBatch {
		n := offset + i
		sp := spans.AppendEmpty()
		sp.SetName(fmt.Sprintf("op.%d", n%benchSpanNames))
		sp.SetKind(ptrace.SpanKindServer)
		sp.SetStartTimestamp(now - pcommon.Timestamp(time.Duration(n%700)*time.Millisecond))
		sp.SetEndTimestamp(now)
		sp.SetTraceID(pcommon.TraceID{byte(n)})
		sp.Attributes().PutStr("tenant", fmt.Sprintf("t%d", (n/benchSpanNames)%benchTenants))
		if n%13 == 0 {
			sp.Status().SetCode(ptrace.StatusCodeError)
		}
	}
	return td
}

func benchPoints(offset int) pmetric.Metrics {
	md := pmetric.NewMetrics()
	ms := md.ResourceMetrics().AppendEmpty().ScopeMetrics().AppendEmpty().Metrics()
	for i := range benchBatch {
		n := offset + i
		m := ms.AppendEmpty()
		m.SetName(fmt.Sprintf("m.%d", n%benchRules))
		dp := m.SetEmptyGauge().DataPoints().AppendEmpty()
		dp.SetDoubleValue(float64(n % 50))
		dp.Attributes().PutStr("tenant", fmt.Sprintf("t%d", (n/benchRules)%benchTenants))
	}
	return md
}

func benchEngine(b *testing.B, text string) *engine {
	b.Helper()
	cfg := parseConfig(b, text)
	e, err := newEngine(componentTestSettings(), componentID(), cfg, consumertest.NewNop())
	require.NoError(b, err)
	clock := &fakeClock{now: t0}
	e.now = clock.Now
	return e
}

// fillPoints sends one point per metric rule and tenant.
func fillPoints(e *engine) []pmetric.Metrics {
	const batches = benchRules * benchTenants / benchBatch
	all := make([]pmetric.Metrics, batches)
	for i := range batches {
		all[i] = benchPoints(i * benchBatch)
		e.consumeMetrics(context.Background(), all[i])
	}
	return all
}

// fillSpans sends enough batches that every rule has every tenant.
func fillSpans(e *engine) []ptrace.Traces {
	const batches = benchSpanNames * benchTenants / benchBatch
	all := make([]ptrace.Traces, batches)
	for i := range batches {
		all[i] = benchSpans(i * benchBatch)
		e.consumeTraces(context.Background(), all[i])
	}
	return all
}

func BenchmarkConsumeSpans100Rules100kSeries(b *testing.B) {
	e := benchEngine(b, spanRulesYAML())
	batches := fillSpans(e)
	require.Equal(b, benchRules*benchTenants, e.store.Len())
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		e.consumeTraces(context.Background(), batches[i%len(batches)])
	}
	b.StopTimer()
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*benchBatch), "ns/span")
	require.Equal(b, benchRules*benchTenants, e.store.Len(), "no series churn while measuring")
}

func BenchmarkConsumeMetricPoints100Rules100kSeries(b *testing.B) {
	e := benchEngine(b, metricRulesYAML())
	all := fillPoints(e)
	batches := len(all)
	require.Equal(b, benchRules*benchTenants, e.store.Len())
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		e.consumeMetrics(context.Background(), all[i%batches])
	}
	b.StopTimer()
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*benchBatch), "ns/point")
}

func BenchmarkEvaluationTick100kSeries(b *testing.B) {
	e := benchEngine(b, spanRulesYAML())
	fillSpans(e)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		e.tick(context.Background())
	}
	b.StopTimer()
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*e.store.Len()), "ns/series")
}

// BenchmarkMemoryPerSeries reports heap bytes per series for each kind,
// measured once over 100,000 series.
func BenchmarkMemoryPerSeries(b *testing.B) {
	for _, tc := range []struct {
		name string
		text string
		fill func(*engine)
	}{
		{"span_rules", spanRulesYAML(), func(e *engine) { fillSpans(e) }},
		{"metric_rules", metricRulesYAML(), func(e *engine) { fillPoints(e) }},
	} {
		b.Run(tc.name, func(b *testing.B) {
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			e := benchEngine(b, tc.text)
			tc.fill(e)
			runtime.GC()
			runtime.ReadMemStats(&after)
			perSeries := float64(after.HeapAlloc-before.HeapAlloc) / float64(e.store.Len())
			runtime.KeepAlive(e)
			for b.Loop() {
			}
			b.ReportMetric(perSeries, "B/series")
		})
	}
}

// BenchmarkSaveSeriesState100kSeries is the cost of one save of the series
// state (windows, holds, baselines) at a tick after data changed it: the
// copy under the engine lock, the encoding and the storage write.
func BenchmarkSaveSeriesState100kSeries(b *testing.B) {
	e := benchEngine(b, spanRulesYAML())
	fillSpans(e)
	client := storagetest.NewInMemoryClient(component.KindConnector, componentID(), "")
	e.client = client
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		e.mu.Lock()
		e.holdsDirty = true
		snap, _ := e.seriesSnapshotIfDirty(0)
		e.mu.Unlock()
		require.NoError(b, e.saveSeries(context.Background(), snap))
	}
	b.StopTimer()
	saved, err := client.Get(context.Background(), seriesKey)
	require.NoError(b, err)
	b.ReportMetric(float64(len(saved))/float64(e.store.Len()), "B/series")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*e.store.Len()), "ns/series")
}
