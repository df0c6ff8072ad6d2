package threshold

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-payments/otelcol-payments/internal/contract"
)

const stockRules = `
evaluation_interval: 15s
rules:
  - name: low_stock
    group_by: [inventory.item_id]
    metric:
      name: inventory.available
      op: "<"
      threshold: 10
      resolve_above: 15
      stale_after: 5m
`

func stock(item string, v float64) gaugePoint {
	return gaugePoint{value: v, attrs: map[string]any{contract.InventoryItemID: item}}
}

func TestMetricComparisonWithHysteresis(t *testing.T) {
	h := newHarness(t, stockRules)
	h.metrics(makeGauge(t, "inventory.available", h.clock.now, stock("sku-1", 50), stock("sku-2", 10)))
	h.tick()
	assert.Empty(t, h.newAlerts(), "10 is not < 10")

	h.metrics(makeGauge(t, "inventory.available", h.clock.now, stock("sku-1", 8), stock("sku-2", 11)))
	assert.Empty(t, h.newAlerts(), "metric rules are evaluated on the tick")
	h.tick()
	fired := h.newAlerts()
	require.Len(t, fired, 1)
	assert.Equal(t, map[string]string{contract.InventoryItemID: "sku-1"}, fired[0].Labels)
	assert.Equal(t, 8.0, fired[0].Value)
	assert.Equal(t, 10.0, fired[0].Threshold)

	for _, v := range []float64{12, 9, 14, 11} { // restocked a little: between 10 and 15
		h.clock.Advance(15 * time.Second)
		h.metrics(makeGauge(t, "inventory.available", h.clock.now, stock("sku-1", v)))
		h.tick()
	}
	assert.Empty(t, h.newAlerts(), "no flapping between threshold and resolve_above")

	h.clock.Advance(15 * time.Second)
	h.metrics(makeGauge(t, "inventory.available", h.clock.now, stock("sku-1", 40)))
	h.tick()
	assert.Equal(t, []string{"low_stock:resolved"}, statuses(h.newAlerts()))
}

func TestMetricStaleSeriesResolves(t *testing.T) {
	h := newHarness(t, stockRules)
	h.metrics(makeGauge(t, "inventory.available", h.clock.now, stock("sku-9", 1)))
	h.tick()
	require.Equal(t, []string{"low_stock:firing"}, statuses(h.newAlerts()))
	h.advance(5*time.Minute, 15*time.Second)
	assert.Empty(t, h.newAlerts(), "within stale_after the last value still counts")
	h.advance(5*time.Minute+15*time.Second, 15*time.Second)
	assert.Equal(t, []string{"low_stock:resolved"}, statuses(h.newAlerts()))
}

func TestMetricOperatorsAndAttributeFilter(t *testing.T) {
	h := newHarness(t, `
rules:
  - name: card_success_low
    metric:
      name: payment.success.ratio
      attributes: [{key: payment.method, values: [card]}]
      op: "<="
      threshold: 0.9
`)
	h.metrics(makeGauge(t, "payment.success.ratio", h.clock.now,
		gaugePoint{value: 0.5, attrs: map[string]any{contract.PaymentMethod: "paypal"}},
		gaugePoint{value: 0.95, attrs: map[string]any{contract.PaymentMethod: "card"}}))
	h.tick()
	assert.Empty(t, h.newAlerts(), "paypal is filtered out, card is fine")
	h.metrics(makeGauge(t, "payment.success.ratio", h.clock.now,
		gaugePoint{value: 0.9, attrs: map[string]any{contract.PaymentMethod: "card"}}))
	h.tick()
	assert.Equal(t, []string{"card_success_low:firing"}, statuses(h.newAlerts()))
}

func TestMetricRelativeToReference(t *testing.T) {
	h := newHarness(t, `
rules:
  - name: revenue_behind_target
    metric:
      name: payment.revenue.daily.progress
      op: "<"
      threshold: 0.7
      relative_to: payment.revenue.daily.pace
      min_reference: 0.25
`)
	send := func(progress, pace float64) {
		md := makeGauge(t, "payment.revenue.daily.progress", h.clock.now, gaugePoint{value: progress})
		makeGauge(t, "payment.revenue.daily.pace", h.clock.now, gaugePoint{value: pace}).
			ResourceMetrics().MoveAndAppendTo(md.ResourceMetrics())
		h.metrics(md)
		h.tick()
	}
	send(0.01, 0.1) // early morning: pace below min_reference
	assert.Empty(t, h.newAlerts())
	send(0.30, 0.4) // 0.30 ≥ 0.7 × 0.4
	assert.Empty(t, h.newAlerts())
	send(0.30, 0.5) // 0.30 < 0.35
	fired := h.newAlerts()
	require.Len(t, fired, 1)
	assert.InDelta(t, 0.35, fired[0].Threshold, 1e-9)
}

func TestAnomalyWarmupFireAndResolve(t *testing.T) {
	h := newHarness(t, `
evaluation_interval: 15s
rules:
  - name: revenue_anomaly
    anomaly:
      metric: payment.revenue.reporting
      use_rate: true
      alpha: 0.2
      deviations: 3
      resolve_deviations: 2
      direction: below
      warmup_samples: 10
      min_deviation: 0.1
`)
	var total float64
	sample := func(rate float64) {
		total += rate * 15
		// Two methods: their points are summed into one series per export.
		h.metrics(makeCumulativeSum(t, "payment.revenue.reporting", t0, h.clock.now,
			gaugePoint{value: total * 0.75, attrs: map[string]any{contract.PaymentMethod: "card"}},
			gaugePoint{value: total * 0.25, attrs: map[string]any{contract.PaymentMethod: "paypal"}}))
		h.tick()
		h.clock.Advance(15 * time.Second)
	}
	// Warm-up: wild swings (including a zero) while the baseline forms.
	for _, r := range []float64{10, 0, 25, 3, 10, 10, 9, 11, 10} {
		sample(r)
	}
	assert.Empty(t, h.newAlerts(), "no anomaly during warm-up")
	for i := range 40 {
		sample(10 + math.Sin(float64(i))) // steady ~10/s
	}
	assert.Empty(t, h.newAlerts(), "steady revenue is no anomaly")

	sample(0) // revenue stops
	fired := h.newAlerts()
	require.Len(t, fired, 1)
	assert.Equal(t, 0.0, fired[0].Value)
	assert.Less(t, fired[0].Threshold, 10.0, "threshold is the lower bound that was crossed")
	assert.Greater(t, fired[0].Threshold, 0.0)
	for range 4 { // the outage goes on: stays firing, baseline barely moves
		sample(0)
	}
	assert.Empty(t, h.newAlerts())
	sample(10)
	assert.Equal(t, []string{"revenue_anomaly:resolved"}, statuses(h.newAlerts()))
}

func TestAnomalyAboveIgnoresDrops(t *testing.T) {
	h := newHarness(t, `
rules:
  - name: refund_spike
    anomaly: {metric: payment.refunds, direction: above, warmup_samples: 5, min_deviation: 0.5}
`)
	for i := range 20 {
		v := 5.0
		if i == 15 {
			v = 0
		}
		h.metrics(makeGauge(t, "payment.refunds", h.clock.now, gaugePoint{value: v}))
		h.tick()
		h.clock.Advance(15 * time.Second)
	}
	assert.Empty(t, h.newAlerts())
	h.metrics(makeGauge(t, "payment.refunds", h.clock.now, gaugePoint{value: 50}))
	h.tick()
	assert.Equal(t, []string{"refund_spike:firing"}, statuses(h.newAlerts()))
}

// One absurd sample during warm-up (a producer's 1e308, or two points of a
// series summing beyond int64's range) made the baseline's variance
// infinite or vast: every later sample was 0 deviations away and the rule
// never fired again for the series. Such samples are now ignored.
func TestAnomalyIgnoresSamplesBeyondInt64Range(t *testing.T) {
	for name, first := range map[string][]gaugePoint{
		"huge":       {{value: math.MaxFloat64}},
		"sum beyond": {{value: 6e18, attrs: map[string]any{"a": "1"}}, {value: 6e18, attrs: map[string]any{"a": "2"}}},
	} {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t, `
rules:
  - name: refund_spike
    anomaly: {metric: payment.refunds, direction: above, warmup_samples: 5, min_deviation: 0.5}
`)
			h.metrics(makeGauge(t, "payment.refunds", h.clock.now, first...))
			for range 20 {
				h.tick()
				h.clock.Advance(15 * time.Second)
				h.metrics(makeGauge(t, "payment.refunds", h.clock.now, gaugePoint{value: 5}))
			}
			h.tick()
			assert.Empty(t, h.newAlerts())
			h.metrics(makeGauge(t, "payment.refunds", h.clock.now, gaugePoint{value: 50}))
			h.tick()
			assert.Equal(t, []string{"refund_spike:firing"}, statuses(h.newAlerts()))
		})
	}
}

// A point beyond int64's range is no stock level: it neither fires the
// rule nor replaces the last real value.
func TestMetricIgnoresPointsBeyondInt64Range(t *testing.T) {
	h := newHarness(t, stockRules)
	h.metrics(makeGauge(t, "inventory.available", h.clock.now, stock("sku-1", 50)))
	h.tick()
	h.clock.Advance(15 * time.Second)
	h.metrics(makeGauge(t, "inventory.available", h.clock.now, stock("sku-1", -math.MaxFloat64)))
	h.tick()
	assert.Empty(t, h.newAlerts())
	h.clock.Advance(15 * time.Second)
	h.metrics(makeGauge(t, "inventory.available", h.clock.now, stock("sku-1", 3)))
	h.tick()
	assert.Equal(t, []string{"low_stock:firing"}, statuses(h.newAlerts()), "real values still count")
}
