package threshold

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-payments/otelcol-payments/internal/contract"
)

// The default rules on paymentbi's sell-out forecast: an item projected to
// sell out within a day informs (info) after 15 minutes; one projected to
// have stock left at its event date warns after 30 minutes.
func TestDefaultSellOutRules(t *testing.T) {
	cfg, err := loadConfig(t, "default_rules.yaml", "")
	require.NoError(t, err)
	h := newHarnessWith(t, cfg, &fakeClock{now: t0}, h0sink())
	feed := func(d time.Duration, hours, unsold float64) {
		for end := h.clock.now.Add(d); h.clock.now.Before(end); h.clock.Advance(15 * time.Second) {
			h.metrics(makeGauge(t, "inventory.sellout.hours", h.clock.now, stock("saturday-pass", hours), stock("sunday-pass", 200)))
			h.metrics(makeGauge(t, "inventory.unsold_at_event", h.clock.now, stock("saturday-pass", 0), stock("sunday-pass", unsold)))
			h.tick()
		}
	}
	feed(14*time.Minute, 20, 40)
	assert.Empty(t, h.newAlerts(), "both hold for their for: duration")
	feed(2*time.Minute, 20, 40)
	fired := h.newAlerts()
	require.Len(t, fired, 1)
	assert.Equal(t, "sells_out_soon", fired[0].Name)
	assert.Equal(t, contract.SeverityInfo, fired[0].Severity)
	assert.Equal(t, map[string]string{contract.InventoryItemID: "saturday-pass"}, fired[0].Labels)
	feed(15*time.Minute, 20, 40)
	fired = h.newAlerts()
	require.Len(t, fired, 1)
	assert.Equal(t, "unsold_at_event", fired[0].Name)
	assert.Equal(t, contract.SeverityWarning, fired[0].Severity)
	assert.Equal(t, map[string]string{contract.InventoryItemID: "sunday-pass"}, fired[0].Labels)
	feed(time.Minute, 40, 0) // the pace picked up: both resolve
	assert.ElementsMatch(t, []string{"sells_out_soon:resolved", "unsold_at_event:resolved"}, statuses(h.newAlerts()))
}

// The default guardrail rule pages (high) for a variant paymentbi flags as
// significantly worse, per experiment, variant and metric.
func TestDefaultExperimentGuardrailRule(t *testing.T) {
	cfg, err := loadConfig(t, "default_rules.yaml", "")
	require.NoError(t, err)
	h := newHarnessWith(t, cfg, &fakeClock{now: t0}, h0sink())
	point := func(variant, metric string, v float64) gaugePoint {
		return gaugePoint{value: v, attrs: map[string]any{contract.ExperimentID: "checkout-v2", contract.ExperimentVariant: variant, "experiment.metric": metric}}
	}
	h.metrics(makeGauge(t, "experiment.guardrail", h.clock.now, point("B", "conversion", 0), point("C", "payment_success", 0)))
	h.tick()
	assert.Empty(t, h.newAlerts())
	h.clock.Advance(15 * time.Second)
	h.metrics(makeGauge(t, "experiment.guardrail", h.clock.now, point("B", "conversion", 1), point("C", "payment_success", 0)))
	h.tick()
	fired := h.newAlerts()
	require.Len(t, fired, 1)
	assert.Equal(t, "experiment_guardrail", fired[0].Name)
	assert.Equal(t, contract.SeverityHigh, fired[0].Severity)
	assert.Equal(t, map[string]string{contract.ExperimentID: "checkout-v2", contract.ExperimentVariant: "B", "experiment.metric": "conversion"}, fired[0].Labels)
}
