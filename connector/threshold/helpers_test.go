package threshold

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.uber.org/zap/zaptest"

	"github.com/otelcol-payments/otelcol-payments/connector/threshold/internal/metadata"
	"github.com/otelcol-payments/otelcol-payments/internal/contract"
)

// t0 is slot-aligned for every window used in tests, so window edges are
// where the test says.
var t0 = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

type fakeClock struct{ now time.Time }

func (c *fakeClock) Now() time.Time          { return c.now }
func (c *fakeClock) Advance(d time.Duration) { c.now = c.now.Add(d) }

type harness struct {
	t     *testing.T
	e     *engine
	sink  *consumertest.LogsSink
	clock *fakeClock
	tel   *componenttest.Telemetry
	seen  int // alerts already returned by newAlerts
}

// parseConfig reads a connector config from YAML text.
func parseConfig(t testing.TB, text string) *Config {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.yaml")
	require.NoError(t, os.WriteFile(path, []byte(text), 0o600))
	cm, err := confmaptest.LoadConf(path)
	require.NoError(t, err)
	cfg := createDefaultConfig().(*Config)
	require.NoError(t, cm.Unmarshal(cfg))
	require.NoError(t, confmap.Validate(cfg))
	return cfg
}

func newHarness(t *testing.T, text string) *harness {
	t.Helper()
	return newHarnessWith(t, parseConfig(t, text), &fakeClock{now: t0}, new(consumertest.LogsSink))
}

func newHarnessWith(t *testing.T, cfg *Config, clock *fakeClock, sink *consumertest.LogsSink) *harness {
	t.Helper()
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	set := tel.NewTelemetrySettings()
	set.Logger = zaptest.NewLogger(t)
	e, err := newEngine(set, componentID(), cfg, sink)
	require.NoError(t, err)
	e.now = clock.Now
	return &harness{t: t, e: e, sink: sink, clock: clock, tel: tel}
}

func (h *harness) tick() { h.e.tick(context.Background()) }

// advance moves the clock in evaluation steps, ticking after each.
func (h *harness) advance(d, step time.Duration) {
	for left := d; left > 0; left -= step {
		h.clock.Advance(min(step, left))
		h.tick()
	}
}

// alerts decodes every alert record emitted so far.
func (h *harness) alerts() []contract.Alert {
	h.t.Helper()
	var out []contract.Alert
	for _, ld := range h.sink.AllLogs() {
		for _, rl := range ld.ResourceLogs().All() {
			for _, sl := range rl.ScopeLogs().All() {
				for _, lr := range sl.LogRecords().All() {
					a, err := contract.AlertFromLogRecord(lr)
					require.NoError(h.t, err)
					out = append(out, a)
				}
			}
		}
	}
	return out
}

// newAlerts returns the alerts emitted since the last call.
func (h *harness) newAlerts() []contract.Alert {
	all := h.alerts()
	out := all[h.seen:]
	h.seen = len(all)
	return out
}

func (h *harness) traces(td ptrace.Traces) { h.e.consumeTraces(context.Background(), td) }
func (h *harness) logs(ld plog.Logs)       { h.e.consumeLogs(context.Background(), ld) }
func (h *harness) metrics(md pmetric.Metrics) {
	h.e.consumeMetrics(context.Background(), md)
}

// spanSpec describes one test span.
type spanSpec struct {
	name   string
	kind   ptrace.SpanKind
	dur    time.Duration
	status ptrace.StatusCode
	attrs  map[string]any
	trace  byte // first byte of the trace id
	events []eventSpec
}

type eventSpec struct {
	name  string
	attrs map[string]any
}

func makeTraces(t *testing.T, now time.Time, service string, specs ...spanSpec) ptrace.Traces {
	t.Helper()
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr(contract.ServiceName, service)
	spans := rs.ScopeSpans().AppendEmpty().Spans()
	for _, s := range specs {
		sp := spans.AppendEmpty()
		sp.SetName(s.name)
		sp.SetKind(s.kind)
		sp.SetTraceID(pcommon.TraceID{s.trace, 1})
		sp.SetSpanID(pcommon.SpanID{s.trace, 2})
		sp.SetStartTimestamp(pcommon.NewTimestampFromTime(now.Add(-s.dur)))
		sp.SetEndTimestamp(pcommon.NewTimestampFromTime(now))
		sp.Status().SetCode(s.status)
		require.NoError(t, sp.Attributes().FromRaw(s.attrs))
		for _, ev := range s.events {
			se := sp.Events().AppendEmpty()
			se.SetName(ev.name)
			require.NoError(t, se.Attributes().FromRaw(ev.attrs))
		}
	}
	return td
}

// repeat returns n copies of a span spec.
func repeat(n int, s spanSpec) []spanSpec {
	out := make([]spanSpec, n)
	for i := range out {
		out[i] = s
	}
	return out
}

func makeEventLogs(t *testing.T, name string, traceByte byte, attrs map[string]any) plog.Logs {
	t.Helper()
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr(contract.ServiceName, "payment-service")
	lr := rl.ScopeLogs().AppendEmpty().LogRecords().AppendEmpty()
	lr.Attributes().PutStr(contract.EventName, name)
	require.NoError(t, lr.Attributes().FromRaw(withEventName(attrs, name)))
	lr.SetTraceID(pcommon.TraceID{traceByte, 9})
	lr.SetSpanID(pcommon.SpanID{traceByte, 9})
	return ld
}

func withEventName(attrs map[string]any, name string) map[string]any {
	out := map[string]any{contract.EventName: name}
	for k, v := range attrs {
		out[k] = v
	}
	return out
}

// gaugePoint is one data point of a gauge or sum.
type gaugePoint struct {
	value float64
	attrs map[string]any
}

func makeGauge(t *testing.T, name string, at time.Time, points ...gaugePoint) pmetric.Metrics {
	t.Helper()
	md := pmetric.NewMetrics()
	m := md.ResourceMetrics().AppendEmpty().ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
	m.SetName(name)
	dps := m.SetEmptyGauge().DataPoints()
	for _, p := range points {
		dp := dps.AppendEmpty()
		dp.SetDoubleValue(p.value)
		dp.SetTimestamp(pcommon.NewTimestampFromTime(at))
		require.NoError(t, dp.Attributes().FromRaw(p.attrs))
	}
	return md
}

func makeCumulativeSum(t *testing.T, name string, start, at time.Time, points ...gaugePoint) pmetric.Metrics {
	t.Helper()
	md := pmetric.NewMetrics()
	m := md.ResourceMetrics().AppendEmpty().ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
	m.SetName(name)
	sum := m.SetEmptySum()
	sum.SetIsMonotonic(true)
	sum.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
	for _, p := range points {
		dp := sum.DataPoints().AppendEmpty()
		dp.SetDoubleValue(p.value)
		dp.SetStartTimestamp(pcommon.NewTimestampFromTime(start))
		dp.SetTimestamp(pcommon.NewTimestampFromTime(at))
		require.NoError(t, dp.Attributes().FromRaw(p.attrs))
	}
	return md
}

func statuses(alerts []contract.Alert) []string {
	out := make([]string, len(alerts))
	for i, a := range alerts {
		out[i] = a.Name + ":" + a.Status
	}
	return out
}

func componentID() component.ID { return component.NewID(metadata.Type) }

func h0sink() *consumertest.LogsSink { return new(consumertest.LogsSink) }

// counterValue reads an int64 counter of the connector's own telemetry,
// summed over attributes.
func counterValue(t *testing.T, h *harness, name string) int64 {
	t.Helper()
	m, err := h.tel.GetMetric(name)
	require.NoError(t, err)
	sum, ok := m.Data.(metricdata.Sum[int64])
	require.True(t, ok, "%s is not an int64 sum", name)
	var total int64
	for _, dp := range sum.DataPoints {
		total += dp.Value
	}
	return total
}

func componentTestSettings() component.TelemetrySettings {
	return componenttest.NewNopTelemetrySettings()
}
