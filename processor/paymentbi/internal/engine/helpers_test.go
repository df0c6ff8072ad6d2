package engine

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/otelcol-payments/otelcol-payments/internal/contract"
)

// fakeClock is an injectable clock moved by hand.
type fakeClock struct{ t time.Time }

func (c *fakeClock) Now() time.Time          { return c.t }
func (c *fakeClock) Advance(d time.Duration) { c.t = c.t.Add(d) }

func testSettings(clock *fakeClock) Settings {
	return Settings{
		ReportingCurrency: "USD",
		ExchangeRates:     map[string]string{"EUR": "1.08", "JPY": "0.0067", "KWD": "3.25"},
		Location:          time.UTC,
		DedupWindow:       time.Hour,
		DedupMaxEntries:   1000,
		CardinalityLimit:  10,
		ExpectedCustomers: 10000,
		FalsePositiveRate: 0.001,
		DailyTarget:       50000,
		MonthlyTarget:     1500000,
		DurationBounds:    []float64{0.1, 0.5, 1, 5},
		Now:               clock.Now,
	}
}

func newTestEngine(t testing.TB, mutate ...func(*Settings)) (*Engine, *fakeClock) {
	t.Helper()
	clock := &fakeClock{t: time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)}
	return newEngineAt(t, clock, mutate...), clock
}

// newEngineAt builds an engine on an existing clock.
func newEngineAt(t testing.TB, clock *fakeClock, mutate ...func(*Settings)) *Engine {
	t.Helper()
	s := testSettings(clock)
	for _, m := range mutate {
		m(&s)
	}
	e, err := New(s)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// logs builds log records, one per attribute map; event.name is in the map.
func logs(records ...map[string]any) plog.Logs {
	ld := plog.NewLogs()
	lrs := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
	for _, r := range records {
		if err := lrs.AppendEmpty().Attributes().FromRaw(r); err != nil {
			panic(err)
		}
	}
	return ld
}

func purchase(order, currency string, amount any, extra ...any) map[string]any {
	m := map[string]any{
		contract.EventName:       contract.EventPurchase,
		contract.OrderID:         order,
		contract.PaymentCurrency: currency,
		contract.PaymentAmount:   amount,
		contract.PaymentMethod:   "card",
		contract.PaymentProvider: "stripe",
	}
	for i := 0; i+1 < len(extra); i += 2 {
		m[extra[i].(string)] = extra[i+1]
	}
	return m
}

type span struct {
	name   string
	attrs  map[string]any
	dur    time.Duration
	err    bool
	events map[string]map[string]any
}

// tracesBuilt numbers the batches traces builds: each starts its spans a
// nanosecond later than the one before, so two calls are two real batches
// and not a re-send (resend.go), as in live traffic.
var tracesBuilt atomic.Int64

func traces(spans ...span) ptrace.Traces {
	td := ptrace.NewTraces()
	ss := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans()
	start := time.Date(2026, 3, 10, 11, 0, 0, 0, time.UTC).Add(time.Duration(tracesBuilt.Add(1)))
	for i, sp := range spans {
		s := ss.AppendEmpty()
		s.SetName(sp.name)
		s.SetSpanID(pcommon.SpanID{byte(i + 1)})
		s.SetTraceID(pcommon.TraceID{byte(i + 1)})
		s.SetStartTimestamp(pcommon.NewTimestampFromTime(start))
		s.SetEndTimestamp(pcommon.NewTimestampFromTime(start.Add(sp.dur)))
		if sp.err {
			s.Status().SetCode(ptrace.StatusCodeError)
		}
		if err := s.Attributes().FromRaw(sp.attrs); err != nil {
			panic(err)
		}
		for name, attrs := range sp.events {
			ev := s.Events().AppendEmpty()
			ev.SetName(name)
			if err := ev.Attributes().FromRaw(attrs); err != nil {
				panic(err)
			}
		}
	}
	return td
}

// collect emits e's metrics as a name → data points map. New series are
// emitted at 0 once (stages.go); collect emits twice and returns the
// second, so figures read as they will from the next emission on.
func collect(e *Engine) map[string]pmetric.Metric {
	e.AppendMetrics(pmetric.NewScopeMetrics())
	return emitOnce(e)
}

// emitOnce is one emission, new series at 0.
func emitOnce(e *Engine) map[string]pmetric.Metric {
	ms := pmetric.NewMetrics()
	sm := ms.ResourceMetrics().AppendEmpty().ScopeMetrics().AppendEmpty()
	e.AppendMetrics(sm)
	out := map[string]pmetric.Metric{}
	for i := 0; i < sm.Metrics().Len(); i++ {
		m := sm.Metrics().At(i)
		out[m.Name()] = m
	}
	return out
}

func numberPoints(m pmetric.Metric) pmetric.NumberDataPointSlice {
	if m.Type() == pmetric.MetricTypeSum {
		return m.Sum().DataPoints()
	}
	return m.Gauge().DataPoints()
}

func matches(attrs pcommon.Map, want []string) bool {
	if attrs.Len() != len(want)/2 {
		return false
	}
	for i := 0; i+1 < len(want); i += 2 {
		v, ok := attrs.Get(want[i])
		if !ok || v.AsString() != want[i+1] {
			return false
		}
	}
	return true
}

// value returns the value of the data point of metric name with exactly
// the attributes attrs (key, value pairs), failing the test if absent.
func value(t testing.TB, ms map[string]pmetric.Metric, name string, attrs ...string) float64 {
	t.Helper()
	v, ok := lookup(ms, name, attrs...)
	if !ok {
		t.Fatalf("no data point %s%v", name, attrs)
	}
	return v
}

func lookup(ms map[string]pmetric.Metric, name string, attrs ...string) (float64, bool) {
	m, ok := ms[name]
	if !ok {
		return 0, false
	}
	dps := numberPoints(m)
	for i := 0; i < dps.Len(); i++ {
		dp := dps.At(i)
		if !matches(dp.Attributes(), attrs) {
			continue
		}
		return pointValue(dp), true
	}
	return 0, false
}

func pointValue(dp pmetric.NumberDataPoint) float64 {
	if dp.ValueType() == pmetric.NumberDataPointValueTypeInt {
		return float64(dp.IntValue())
	}
	return dp.DoubleValue()
}

func pointCount(ms map[string]pmetric.Metric, name string) int {
	m, ok := ms[name]
	if !ok {
		return 0
	}
	return numberPoints(m).Len()
}

func dump(ms map[string]pmetric.Metric, name string) string {
	m, ok := ms[name]
	if !ok {
		return "absent"
	}
	s := ""
	dps := numberPoints(m)
	for i := 0; i < dps.Len(); i++ {
		s += fmt.Sprintf("%v=%v %v; ", dps.At(i).Attributes().AsRaw(), dps.At(i).DoubleValue(), dps.At(i).IntValue())
	}
	return s
}

var bg = context.Background()
