package threshold

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/otelcol-payments/otelcol-payments/internal/contract"
)

const latencyRules = `
evaluation_interval: 15s
rules:
  - name: slow_payments
    severity: high
    group_by: [payment.provider]
    for: 1m
    span_latency:
      match: {span_names: [payment.charge]}
      threshold: 5000ms
      window: 5m
      min_samples: 10
      resolve_below: 4000ms
`

func charge(dur time.Duration, trace byte) spanSpec {
	return spanSpec{
		name: contract.SpanPaymentCharge, kind: ptrace.SpanKindClient, dur: dur, trace: trace,
		attrs: map[string]any{contract.PaymentProvider: "stripe"},
	}
}

func TestSpanLatencyQuietBelowThreshold(t *testing.T) {
	h := newHarness(t, latencyRules)
	for range 20 {
		h.traces(makeTraces(t, h.clock.now, "payment-service", repeat(5, charge(4900*time.Millisecond, 1))...))
		h.advance(15*time.Second, 15*time.Second)
	}
	assert.Empty(t, h.alerts())
}

func TestSpanLatencyOneSlowSpanDoesNotFire(t *testing.T) {
	h := newHarness(t, latencyRules)
	// min_samples 10: a handful of very slow spans is not a p95.
	h.traces(makeTraces(t, h.clock.now, "payment-service", repeat(5, charge(30*time.Second, 1))...))
	h.advance(3*time.Minute, 15*time.Second)
	assert.Empty(t, h.alerts())
}

func TestSpanLatencyFiresAfterForAndResolvesWithHysteresis(t *testing.T) {
	h := newHarness(t, latencyRules)
	// 2 of 20 spans above 5 s: p95 (the 19th value) is above the threshold.
	specs := append(repeat(18, charge(time.Second, 1)), charge(7*time.Second, 7), charge(8*time.Second, 8))
	h.traces(makeTraces(t, h.clock.now, "payment-service", specs...))
	h.tick()
	assert.Empty(t, h.newAlerts(), "pending during for")
	h.advance(45*time.Second, 15*time.Second)
	assert.Empty(t, h.newAlerts(), "still pending 45s into for: 1m")
	h.advance(15*time.Second, 15*time.Second)
	fired := h.newAlerts()
	require.Len(t, fired, 1)
	a := fired[0]
	assert.Equal(t, "slow_payments", a.Name)
	assert.Equal(t, contract.AlertFiring, a.Status)
	assert.Equal(t, contract.SeverityHigh, a.Severity)
	assert.Equal(t, map[string]string{contract.PaymentProvider: "stripe"}, a.Labels)
	assert.Equal(t, contract.ComputeFingerprint("slow_payments", a.Labels), a.Fingerprint)
	assert.Greater(t, a.Value, 5000.0, "estimated p95 lies above the threshold")
	assert.LessOrEqual(t, a.Value, 8000.0, "and not above the slowest span")
	assert.Equal(t, 5000.0, a.Threshold)
	assert.Equal(t, t0, a.StartsAt, "starts when it went pending")
	assert.Contains(t, []pcommon.TraceID{{7, 1}, {8, 1}}, a.TraceID, "example trace is a slow span")
	assert.Equal(t, fmt.Sprintf("p95 latency of span payment.charge is %s ms, above the threshold of 5,000 ms [payment.provider=stripe]",
		contract.FormatNumber(a.Value)), a.Summary, "value and threshold with unit and thousands separators, the name not repeated")
	assert.Regexp(t, `is \d,\d{3} ms`, a.Summary, "no exponent")

	// Spans at 4.5 s: below the threshold but above resolve_below; once the
	// slow spans left the window the alert must still not resolve.
	for range 24 {
		h.traces(makeTraces(t, h.clock.now, "payment-service", repeat(5, charge(4500*time.Millisecond, 2))...))
		h.advance(15*time.Second, 15*time.Second)
	}
	assert.Empty(t, h.newAlerts(), "hovering between resolve_below and threshold must not flap")

	// Back to normal: resolves once p95 is below 4 s.
	var resolved []contract.Alert
	for i := 0; i < 24 && len(resolved) == 0; i++ {
		h.traces(makeTraces(t, h.clock.now, "payment-service", repeat(5, charge(time.Second, 3))...))
		h.advance(15*time.Second, 15*time.Second)
		resolved = h.newAlerts()
	}
	require.Len(t, resolved, 1)
	assert.Equal(t, contract.AlertResolved, resolved[0].Status)
	assert.Equal(t, a.Fingerprint, resolved[0].Fingerprint)
	assert.Equal(t, t0, resolved[0].StartsAt)
	assert.Equal(t, h.clock.now, resolved[0].EndsAt)
	assert.Less(t, resolved[0].Value, 4000.0)
}

func TestSpanLatencyPendingClearsWithoutFiring(t *testing.T) {
	h := newHarness(t, latencyRules)
	h.traces(makeTraces(t, h.clock.now, "payment-service", repeat(20, charge(9*time.Second, 1))...))
	h.tick()
	// The slow spans age out before for elapses; fast spans follow.
	h.clock.Advance(5 * time.Minute)
	h.traces(makeTraces(t, h.clock.now, "payment-service", repeat(20, charge(time.Second, 1))...))
	h.advance(5*time.Minute, 15*time.Second)
	assert.Empty(t, h.alerts())
}

func TestSpanLatencyCountMode(t *testing.T) {
	h := newHarness(t, `
evaluation_interval: 15s
rules:
  - name: slow_inventory
    group_by: [service.name]
    span_latency:
      match: {span_names: [inventory.check]}
      threshold: 500ms
      min_slow_count: 3
      window: 1m
`)
	check := func(d time.Duration) spanSpec {
		return spanSpec{name: contract.SpanInventoryCheck, kind: ptrace.SpanKindInternal, dur: d, trace: 4}
	}
	// Two slow spans among many fast ones: below the count.
	h.traces(makeTraces(t, h.clock.now, "shop", append(repeat(50, check(100*time.Millisecond)), check(time.Second), check(time.Second))...))
	h.tick()
	assert.Empty(t, h.newAlerts())
	h.traces(makeTraces(t, h.clock.now, "shop", check(600*time.Millisecond)))
	h.tick()
	fired := h.newAlerts()
	require.Len(t, fired, 1)
	assert.Equal(t, 3.0, fired[0].Value)
	assert.Equal(t, 3.0, fired[0].Threshold)
	assert.Equal(t, map[string]string{contract.ServiceName: "shop"}, fired[0].Labels, "group_by falls back to resource attributes")
	// No more slow spans: the window slides past them even without data.
	h.advance(2*time.Minute, 15*time.Second)
	assert.Equal(t, []string{"slow_inventory:resolved"}, statuses(h.newAlerts()))
}

func TestSpanLatencyMatchesServerSpansAndDBSpans(t *testing.T) {
	cfg := parseConfig(t, `
rules:
  - name: api
    span_latency: {match: {span_kind: server}, threshold: 2s, min_slow_count: 1, window: 1m}
  - name: db
    span_latency: {match: {attributes: [{key: db.system.name}]}, threshold: 1s, min_slow_count: 1, window: 1m}
`)
	h := newHarnessWith(t, cfg, &fakeClock{now: t0}, h0sink())
	h.traces(makeTraces(t, h.clock.now, "svc",
		spanSpec{name: "GET /x", kind: ptrace.SpanKindClient, dur: 5 * time.Second},                                                               // client: not API
		spanSpec{name: "SELECT", kind: ptrace.SpanKindClient, dur: 500 * time.Millisecond, attrs: map[string]any{"db.system.name": "postgresql"}}, // fast query
	))
	h.tick()
	assert.Empty(t, h.newAlerts())
	h.traces(makeTraces(t, h.clock.now, "svc",
		spanSpec{name: "GET /x", kind: ptrace.SpanKindServer, dur: 3 * time.Second},
		spanSpec{name: "SELECT", kind: ptrace.SpanKindClient, dur: 1500 * time.Millisecond, attrs: map[string]any{"db.system.name": "postgresql"}},
	))
	h.tick()
	assert.ElementsMatch(t, []string{"api:firing", "db:firing"}, statuses(h.newAlerts()))
}
