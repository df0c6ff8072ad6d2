package threshold

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/otelcol-payments/otelcol-payments/connector/threshold/internal/state"
	"github.com/otelcol-payments/otelcol-payments/internal/contract"
)

const eventRules = `
evaluation_interval: 15s
rules:
  - name: critical_payment_failure
    severity: critical
    group_by: [payment.provider, payment.error_type]
    cooldown: 10m
    keep_firing_for: 5m
    runbook_url: https://runbooks.example.com/critical
    event:
      match:
        event_names: [payment.failed]
        attributes:
          - {key: payment.error_type, values: [processing_error, fraud_suspected, timeout]}
  - name: security_incident
    severity: critical
    group_by: [security.incident.type]
    event:
      match: {event_names: [security.incident]}
`

func failed(errType string) map[string]any {
	return map[string]any{contract.PaymentProvider: "stripe", contract.PaymentErrorType: errType}
}

func TestEventFiresAtOnceWithPerKeyCooldown(t *testing.T) {
	h := newHarness(t, eventRules)
	h.logs(makeEventLogs(t, contract.EventPaymentFailed, 1, failed(contract.ErrCardDeclined)))
	assert.Empty(t, h.newAlerts(), "a declined card is not critical")

	h.logs(makeEventLogs(t, contract.EventPaymentFailed, 2, failed(contract.ErrProcessingError)))
	fired := h.newAlerts()
	require.Len(t, fired, 1, "fires on arrival, without waiting for a tick")
	a := fired[0]
	assert.Equal(t, contract.SeverityCritical, a.Severity)
	assert.Equal(t, map[string]string{contract.PaymentProvider: "stripe", contract.PaymentErrorType: contract.ErrProcessingError}, a.Labels)
	assert.Equal(t, pcommon.TraceID{2, 9}, a.TraceID)
	assert.Equal(t, "https://runbooks.example.com/critical", a.RunbookURL)
	assert.Equal(t, 1.0, a.Value)

	// The same key again within the cooldown: rate-limited.
	for range 8 {
		h.clock.Advance(time.Minute)
		h.logs(makeEventLogs(t, contract.EventPaymentFailed, 3, failed(contract.ErrProcessingError)))
		h.tick()
	}
	assert.Empty(t, h.newAlerts())
	// Another key fires on its own.
	h.logs(makeEventLogs(t, contract.EventPaymentFailed, 4, failed(contract.ErrTimeout)))
	assert.Equal(t, []string{"critical_payment_failure:firing"}, statuses(h.newAlerts()))

	// Still happening after the cooldown: one re-notification counting the
	// events since the last one.
	h.clock.Advance(2 * time.Minute) // t0+10m
	h.logs(makeEventLogs(t, contract.EventPaymentFailed, 5, failed(contract.ErrProcessingError)))
	renotified := h.newAlerts()
	require.Len(t, renotified, 1)
	assert.Equal(t, a.Fingerprint, renotified[0].Fingerprint)
	assert.Equal(t, t0, renotified[0].StartsAt)
	assert.Equal(t, 9.0, renotified[0].Value, "8 rate-limited events plus this one")

	// Quiet: each key resolves keep_firing_for (5m) after its last event:
	// timeout (last at +8m) at +13m, processing_error (last at +10m) at +15m.
	h.advance(2*time.Minute+45*time.Second, 15*time.Second)
	assert.Empty(t, h.newAlerts())
	h.advance(15*time.Second, 15*time.Second)
	got := h.newAlerts()
	require.Len(t, got, 1)
	assert.Equal(t, contract.AlertResolved, got[0].Status)
	assert.Equal(t, contract.ErrTimeout, got[0].Labels[contract.PaymentErrorType])
	h.advance(2*time.Minute, 15*time.Second)
	got = h.newAlerts()
	require.Len(t, got, 1)
	assert.Equal(t, contract.ErrProcessingError, got[0].Labels[contract.PaymentErrorType])
	assert.Equal(t, t0.Add(15*time.Minute), got[0].EndsAt)
	assert.Equal(t, "Quiet again: no more event payment.failed [payment.error_type=processing_error, payment.provider=stripe]", got[0].Summary,
		"the name is not repeated (channels print it); the resolve says why")
}

func TestEventFromSpanEventsAndAlertsPassedOn(t *testing.T) {
	h := newHarness(t, eventRules)
	// The incident arrives as a span event; grouping reads the event's
	// attributes, the example trace is the span's.
	h.traces(makeTraces(t, h.clock.now, "payment-service", spanSpec{
		name: "POST /checkout", kind: ptrace.SpanKindServer, trace: 6,
		events: []eventSpec{{name: contract.EventSecurity, attrs: map[string]any{contract.SecurityIncidentType: "card_testing"}}},
	}))
	fired := h.newAlerts()
	require.Len(t, fired, 1)
	assert.Equal(t, "security_incident", fired[0].Name)
	assert.Equal(t, map[string]string{contract.SecurityIncidentType: "card_testing"}, fired[0].Labels)
	assert.Equal(t, pcommon.TraceID{6, 1}, fired[0].TraceID)

	// Alert records an application sends never match a rule; they are
	// passed on unchanged (to the alert exporter), with their resource.
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr(contract.ServiceName, "shop")
	lrs := rl.ScopeLogs().AppendEmpty().LogRecords()
	appAlert := contract.Alert{
		Name: "x", Status: contract.AlertFiring, Severity: contract.SeverityCritical,
		Labels: map[string]string{contract.SecurityIncidentType: "y"}, Summary: "from the app",
	}
	appAlert.WriteTo(lrs.AppendEmpty())
	lrs.AppendEmpty().Attributes().PutStr(contract.EventName, contract.EventSecurity) // a real event next to it
	h.logs(ld)
	got := h.newAlerts()
	require.Len(t, got, 2)
	assert.Equal(t, "security_incident", got[0].Name, "the event next to it is still evaluated")
	assert.Equal(t, "x", got[1].Name)
	assert.Equal(t, "from the app", got[1].Summary)
	last := h.sink.AllLogs()[len(h.sink.AllLogs())-1]
	svc, _ := last.ResourceLogs().At(0).Resource().Attributes().Get(contract.ServiceName)
	assert.Equal(t, "shop", svc.Str())
}

func TestEventRuleRejectsFor(t *testing.T) {
	cfg := &Config{EvaluationInterval: time.Second, MaxSeries: 1, Rules: []RuleConfig{{
		Name: "e", For: time.Minute, Event: &EventConfig{Match: MatchConfig{EventNames: []string{contract.EventSecurity}}},
	}}}
	assert.ErrorContains(t, cfg.Validate(), "for: event rules fire at once")
}

// max_series bounds the number of series; their size is bounded by cutting
// group_by values (the edge lets 64 KiB values through): values that share
// their first contract.MaxLabelValueBytes bytes are one series.
func TestGroupByValuesAreCutToABound(t *testing.T) {
	h := newHarness(t, eventRules)
	prefix := strings.Repeat("i", contract.MaxLabelValueBytes)
	for i, tail := range []string{strings.Repeat("a", 64<<10), strings.Repeat("b", 64<<10)} {
		h.logs(makeEventLogs(t, contract.EventSecurity, byte(i+1), map[string]any{contract.SecurityIncidentType: prefix + tail}))
	}
	fired := h.newAlerts()
	require.Len(t, fired, 1, "one series, within its cooldown the second does not fire")
	assert.Equal(t, prefix+"…", fired[0].Labels[contract.SecurityIncidentType])
	assert.Equal(t, 1, h.e.store.Len())
	h.e.store.Range(func(s *state.Series) {
		assert.Less(t, len(s.Key), 2*contract.MaxLabelValueBytes, "the series key is cut too")
	})
}
