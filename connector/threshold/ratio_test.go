package threshold

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/otelcol-payments/otelcol-payments/internal/contract"
)

const ratioRules = `
evaluation_interval: 15s
rules:
  - name: payment_failure_rate
    severity: critical
    group_by: [payment.provider]
    ratio:
      of: {span_names: [payment.charge]}
      where:
        attributes: [{key: payment.status, values: [failed]}]
      window: 5m
      min_samples: 20
      op: ">"
      threshold: 0.2
      resolve_below: 0.1
`

// attempts returns ok succeeded and failed failed charge spans.
func attempts(ok, failed int) []spanSpec {
	spec := func(status string, trace byte) spanSpec {
		return spanSpec{
			name: contract.SpanPaymentCharge, kind: ptrace.SpanKindClient, dur: time.Second, trace: trace,
			attrs: map[string]any{contract.PaymentProvider: "adyen", contract.PaymentStatus: status},
		}
	}
	return append(repeat(ok, spec(contract.StatusSucceeded, 1)), repeat(failed, spec(contract.StatusFailed, 2))...)
}

func TestRatioMinSamples(t *testing.T) {
	h := newHarness(t, ratioRules)
	// 1 failure out of 2 is 50 % but far below min_samples.
	h.traces(makeTraces(t, h.clock.now, "payment-service", attempts(1, 1)...))
	h.advance(time.Minute, 15*time.Second)
	assert.Empty(t, h.alerts())
}

func TestRatioFiresDoesNotFlapAndResolves(t *testing.T) {
	h := newHarness(t, ratioRules)
	h.traces(makeTraces(t, h.clock.now, "payment-service", attempts(85, 15)...)) // 15 %
	h.tick()
	assert.Empty(t, h.newAlerts(), "15 % is below the 20 % threshold")

	h.traces(makeTraces(t, h.clock.now, "payment-service", attempts(0, 20)...)) // 35 of 120 ≈ 29 %
	h.tick()
	fired := h.newAlerts()
	require.Len(t, fired, 1)
	assert.Equal(t, contract.AlertFiring, fired[0].Status)
	// Without for, it fires on the attempt that crossed 20 %, not at the tick.
	assert.InDelta(t, 22.0/107, fired[0].Value, 1e-9)
	assert.Equal(t, 0.2, fired[0].Threshold)
	assert.Equal(t, pcommon.TraceID{2, 1}, fired[0].TraceID, "example trace is a failed attempt")
	assert.Equal(t, map[string]string{contract.PaymentProvider: "adyen"}, fired[0].Labels)

	// Hover around the threshold (15 %) for two windows: still firing, no
	// new records.
	for range 40 {
		h.traces(makeTraces(t, h.clock.now, "payment-service", attempts(17, 3)...))
		h.advance(15*time.Second, 15*time.Second)
	}
	assert.Empty(t, h.newAlerts())

	// Well below resolve_below: resolves once the window holds only that.
	var got []string
	for i := 0; i < 40 && len(got) == 0; i++ {
		h.traces(makeTraces(t, h.clock.now, "payment-service", attempts(20, 0)...))
		h.advance(15*time.Second, 15*time.Second)
		got = statuses(h.newAlerts())
	}
	assert.Equal(t, []string{"payment_failure_rate:resolved"}, got)
}

func TestRatioResolvesWhenDataStops(t *testing.T) {
	h := newHarness(t, ratioRules)
	h.traces(makeTraces(t, h.clock.now, "payment-service", attempts(10, 20)...))
	h.tick()
	require.Equal(t, []string{"payment_failure_rate:firing"}, statuses(h.newAlerts()))
	// No data at all: the window empties (unknown), and after a window's
	// worth of grace the alert resolves instead of firing forever.
	h.advance(4*time.Minute+45*time.Second, 15*time.Second)
	assert.Empty(t, h.newAlerts())
	h.advance(5*time.Minute, 15*time.Second)
	resolved := h.newAlerts()
	require.Equal(t, []string{"payment_failure_rate:resolved"}, statuses(resolved))
	assert.True(t, strings.HasPrefix(resolved[0].Summary, "Resolved for lack of data"), "a data-gap resolve says so: %q", resolved[0].Summary)
}

func TestCooldownLimitsRenotification(t *testing.T) {
	h := newHarness(t, `
evaluation_interval: 15s
rules:
  - name: failures
    cooldown: 10m
    ratio:
      of: {span_names: [payment.charge]}
      where: {attributes: [{key: payment.status, values: [failed]}]}
      window: 1m
      min_samples: 10
      op: ">"
      threshold: 0.5
`)
	var times []time.Time
	for range 4 * 25 { // 25 minutes of a steady outage
		h.traces(makeTraces(t, h.clock.now, "payment-service", attempts(2, 18)...))
		h.tick()
		for _, a := range h.newAlerts() {
			require.Equal(t, contract.AlertFiring, a.Status)
			assert.Equal(t, t0, a.StartsAt, "re-notifications keep the original start")
			times = append(times, h.clock.now)
		}
		h.clock.Advance(15 * time.Second)
	}
	assert.Equal(t, []time.Time{t0, t0.Add(10 * time.Minute), t0.Add(20 * time.Minute)}, times)
}

func TestRatioOverLogEvents(t *testing.T) {
	h := newHarness(t, `
rules:
  - name: checkout_failures
    ratio:
      of: {event_names: [ecommerce.purchase, payment.failed]}
      where: {event_names: [payment.failed]}
      window: 5m
      min_samples: 4
      op: ">="
      threshold: 0.5
`)
	h.logs(makeEventLogs(t, contract.EventPurchase, 1, nil))
	h.logs(makeEventLogs(t, contract.EventPurchase, 1, nil))
	h.logs(makeEventLogs(t, contract.EventPaymentFailed, 3, nil))
	h.tick()
	assert.Empty(t, h.newAlerts(), "three samples are below min_samples")
	h.logs(makeEventLogs(t, contract.EventPaymentFailed, 4, nil))
	h.tick()
	fired := h.newAlerts()
	require.Len(t, fired, 1)
	assert.Equal(t, 0.5, fired[0].Value)
	assert.Equal(t, pcommon.TraceID{4, 9}, fired[0].TraceID)
}

// A ratio rule without for fires on the item that crosses its threshold,
// not at the next evaluation tick.
func TestRatioWithoutForFiresOnArrival(t *testing.T) {
	h := newHarness(t, `
evaluation_interval: 15s
rules:
  - name: burst
    severity: critical
    group_by: [payment.provider]
    ratio:
      of: {span_names: [payment.charge]}
      where:
        attributes: [{key: payment.error_type, values: [processing_error]}]
      window: 1m
      min_samples: 10
      op: ">"
      threshold: 0.3
`)
	span := func(errType string) spanSpec {
		return spanSpec{
			name: "payment.charge", kind: ptrace.SpanKindClient, dur: time.Second,
			attrs: map[string]any{"payment.provider": "stripe", "payment.error_type": errType},
		}
	}
	h.traces(makeTraces(t, h.clock.now, "payment-service", repeat(9, span("processing_error"))...))
	assert.Empty(t, h.newAlerts(), "below min_samples")
	h.traces(makeTraces(t, h.clock.now, "payment-service", span("processing_error")))
	assert.Equal(t, []string{"burst:firing"}, statuses(h.newAlerts()), "fired without a tick")
	h.traces(makeTraces(t, h.clock.now, "payment-service", span("processing_error")))
	h.tick()
	assert.Empty(t, h.newAlerts(), "once")
}
