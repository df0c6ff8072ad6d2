package seriesbudget

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/processor/processortest"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/otelcol-payments/otelcol-payments/processor/seriesbudget/internal/metadata"
)

type harness struct {
	b    *budget
	tel  *componenttest.Telemetry
	logs *observer.ObservedLogs
	now  time.Time
}

func newHarness(t *testing.T, cfg Config) *harness {
	t.Helper()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	h := &harness{tel: componenttest.NewTelemetry(), now: time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)}
	core, logs := observer.New(zap.WarnLevel)
	h.logs = logs
	set := processortest.NewNopSettings(metadata.Type)
	set.TelemetrySettings = h.tel.NewTelemetrySettings()
	set.Logger = zap.New(core)
	b, err := newBudget(&cfg, set)
	if err != nil {
		t.Fatal(err)
	}
	b.now = func() time.Time { return h.now }
	h.b = b
	t.Cleanup(func() {
		_ = b.shutdown(context.Background())
		_ = h.tel.Shutdown(context.Background())
	})
	return h
}

// process runs md through the budget and returns the series (metric name
// and "k=v" of the first attribute) that passed.
func (h *harness) process(t *testing.T, md pmetric.Metrics) []string {
	t.Helper()
	out, err := h.b.processMetrics(context.Background(), md)
	if err != nil {
		return nil
	}
	var got []string
	for _, rm := range out.ResourceMetrics().All() {
		for _, sm := range rm.ScopeMetrics().All() {
			for _, m := range sm.Metrics().All() {
				forEachAttrs(m, func(attrs map[string]any) {
					got = append(got, fmt.Sprintf("%s%v", m.Name(), attrs))
				})
			}
		}
	}
	return got
}

func forEachAttrs(m pmetric.Metric, f func(map[string]any)) {
	switch m.Type() {
	case pmetric.MetricTypeSum:
		for _, dp := range m.Sum().DataPoints().All() {
			f(dp.Attributes().AsRaw())
		}
	case pmetric.MetricTypeGauge:
		for _, dp := range m.Gauge().DataPoints().All() {
			f(dp.Attributes().AsRaw())
		}
	case pmetric.MetricTypeHistogram:
		for _, dp := range m.Histogram().DataPoints().All() {
			f(dp.Attributes().AsRaw())
		}
	}
}

// counter builds one sum metric name with a data point per value of attr.
func counter(service, name, attr string, values ...string) pmetric.Metrics {
	md := pmetric.NewMetrics()
	rm := md.ResourceMetrics().AppendEmpty()
	rm.Resource().Attributes().PutStr("service.name", service)
	m := rm.ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
	m.SetName(name)
	s := m.SetEmptySum()
	s.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
	for _, v := range values {
		dp := s.DataPoints().AppendEmpty()
		dp.SetIntValue(1)
		dp.Attributes().PutStr(attr, v)
		dp.Attributes().PutStr("route", "/checkout")
	}
	return md
}

func values(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s%d", prefix, i)
	}
	return out
}

func (h *harness) refused(t *testing.T, reason string) int64 {
	t.Helper()
	m, err := h.tel.GetMetric(metadata.RefusedMetric)
	if err != nil {
		return 0
	}
	var n int64
	for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
		if v, _ := dp.Attributes.Value(attribute.Key("reason")); v.AsString() == reason {
			n += dp.Value
		}
	}
	return n
}

func (h *harness) inUse(t *testing.T) int64 {
	t.Helper()
	m, err := h.tel.GetMetric(metadata.SeriesMetric)
	if err != nil {
		t.Fatal(err)
	}
	return m.Data.(metricdata.Gauge[int64]).DataPoints[0].Value
}

// The first series up to the budget pass, later new ones are removed and
// counted, and admitted series keep passing while the budget is full.
func TestTotalBudget(t *testing.T) {
	h := newHarness(t, Config{MaxSeries: 10, MaxSeriesPerMetric: 10, Idle: time.Minute})
	if got := h.process(t, counter("checkout", "requests", "customer", values("c", 8)...)); len(got) != 8 {
		t.Fatalf("first 8 series: %d passed", len(got))
	}
	got := h.process(t, counter("checkout", "requests", "customer", values("c", 20)...))
	if len(got) != 10 {
		t.Fatalf("20 series with 8 known and 2 places left: %d passed: %v", len(got), got)
	}
	if n := h.refused(t, reasonTotal) + h.refused(t, reasonPerMetric); n != 10 {
		t.Errorf("refused %d data points, want 10", n)
	}
	if n := h.inUse(t); n != 10 {
		t.Errorf("series in use %d, want 10", n)
	}
	// A full budget: known series still pass, a new one does not.
	if got := h.process(t, counter("checkout", "requests", "customer", "c3", "new")); len(got) != 1 || got[0] != "requestsmap[customer:c3 route:/checkout]" {
		t.Errorf("known and new series on a full budget: %v", got)
	}
}

// One metric's flood takes at most its share; another metric still gets
// places.
func TestPerMetricShare(t *testing.T) {
	h := newHarness(t, Config{MaxSeries: 100, MaxSeriesPerMetric: 30, Idle: time.Minute})
	if got := h.process(t, counter("checkout", "flood", "id", values("x", 1000)...)); len(got) != 30 {
		t.Errorf("flood: %d series passed, want 30", len(got))
	}
	if n := h.refused(t, reasonPerMetric); n != 970 {
		t.Errorf("refused for the per-metric share: %d, want 970", n)
	}
	if got := h.process(t, counter("checkout", "orders", "provider", "stripe", "adyen")); len(got) != 2 {
		t.Errorf("another metric after the flood: %v", got)
	}
}

// A series is the resource, the scope, the metric name and the data point
// attributes, whatever their order; a histogram costs its buckets + 2.
func TestSeriesIdentityAndCost(t *testing.T) {
	h := newHarness(t, Config{MaxSeries: 16, MaxSeriesPerMetric: 16, Idle: time.Minute})
	md := counter("checkout", "requests", "a", "1")
	if got := h.process(t, md); len(got) != 1 {
		t.Fatal(got)
	}
	// the same attributes inserted in the other order: the same series
	same := counter("checkout", "requests", "route", "/checkout")
	dp := same.ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics().At(0).Sum().DataPoints().At(0)
	dp.Attributes().Clear()
	dp.Attributes().PutStr("route", "/checkout")
	dp.Attributes().PutStr("a", "1")
	// another service: another series
	other := counter("payments", "requests", "a", "1")
	h.process(t, same)
	h.process(t, other)
	if n := h.inUse(t); n != 2 {
		t.Errorf("in use %d, want 2 (same series twice, one other service)", n)
	}

	hist := pmetric.NewMetrics()
	m := hist.ResourceMetrics().AppendEmpty().ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
	m.SetName("duration")
	hdps := m.SetEmptyHistogram().DataPoints()
	for _, route := range []string{"/a", "/b"} {
		hdp := hdps.AppendEmpty()
		hdp.Attributes().PutStr("route", route)
		hdp.ExplicitBounds().FromRaw([]float64{5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000})
		hdp.BucketCounts().FromRaw(make([]uint64, 12))
	}
	// 12 buckets + sum + count = 14 fits the 14 places left once
	if got := h.process(t, hist); len(got) != 1 {
		t.Errorf("one 14-line histogram fits 14 places: %v", got)
	}
	if n := h.inUse(t); n != 16 {
		t.Errorf("in use %d, want 16", n)
	}
}

// A series unseen for Idle gives its place to a new one.
func TestIdleSeriesFreePlaces(t *testing.T) {
	h := newHarness(t, Config{MaxSeries: 3, MaxSeriesPerMetric: 3, Idle: 10 * time.Minute})
	h.process(t, counter("checkout", "requests", "id", "a", "b", "c"))
	h.now = h.now.Add(9 * time.Minute)
	h.process(t, counter("checkout", "requests", "id", "c")) // c stays active
	if got := h.process(t, counter("checkout", "requests", "id", "d")); len(got) != 0 {
		t.Fatalf("no place is idle yet: %v", got)
	}
	h.now = h.now.Add(2 * time.Minute) // a and b idle 11 minutes, c 2
	if got := h.process(t, counter("checkout", "requests", "id", "d", "e", "f")); len(got) != 2 {
		t.Errorf("two idle places: %v", got)
	}
	if got := h.process(t, counter("checkout", "requests", "id", "c")); len(got) != 1 {
		t.Errorf("the active series lost its place: %v", got)
	}
}

// The warning names the limits, at most once a minute, and never the
// attribute values.
func TestWarningIsRateLimited(t *testing.T) {
	h := newHarness(t, Config{MaxSeries: 1, MaxSeriesPerMetric: 1, Idle: time.Hour})
	for i := range 10 {
		h.process(t, counter("checkout", "requests", "customer", fmt.Sprintf("alice%d@example.com", i)))
		h.now = h.now.Add(10 * time.Second)
	}
	if n := h.logs.Len(); n != 2 {
		t.Errorf("%d warnings in 100 s, want 2", n)
	}
	for _, e := range h.logs.All() {
		for k, v := range e.ContextMap() {
			if strings.Contains(fmt.Sprint(v), "example.com") {
				t.Errorf("warning field %s=%v carries an attribute value", k, v)
			}
		}
	}
	if first := h.logs.All()[0].ContextMap(); first["metric"] != "requests" || first["refused_max_series"] != int64(1) {
		t.Errorf("warning fields: %v", first)
	}
}

// Through the factory: a batch left empty is not passed on.
func TestFactoryPipeline(t *testing.T) {
	sink := new(consumertest.MetricsSink)
	cfg := createDefaultConfig()
	cfg.MaxSeries, cfg.MaxSeriesPerMetric = 2, 2
	p, err := NewFactory().CreateMetrics(context.Background(), processortest.NewNopSettings(metadata.Type), cfg, sink)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Start(context.Background(), componenttest.NewNopHost()); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = p.Shutdown(context.Background()) }()
	for _, md := range []pmetric.Metrics{counter("s", "m", "id", "a", "b"), counter("s", "m", "id", "c"), counter("s", "m", "id", "a")} {
		if err := p.ConsumeMetrics(context.Background(), md); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(sink.AllMetrics()); n != 2 {
		t.Errorf("%d batches passed on, want 2 (the refused one is dropped whole)", n)
	}
	if n := sink.DataPointCount(); n != 3 {
		t.Errorf("%d data points passed on, want 3", n)
	}
}
