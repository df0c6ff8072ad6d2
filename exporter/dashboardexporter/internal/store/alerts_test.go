package store

import (
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-payments/otelcol-payments/internal/contract"
)

func alert(name, status, severity string, start time.Time) contract.Alert {
	labels := map[string]string{"service.name": "checkout"}
	return contract.Alert{
		Name: name, Status: status, Severity: severity, Labels: labels,
		Fingerprint: contract.ComputeFingerprint(name, labels), StartsAt: start, Summary: name,
	}
}

func TestAlertsLifecycleAndAck(t *testing.T) {
	clk := &fakeClock{t: time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)}
	a := NewAlerts(clk.Now, 10, 5)
	t0 := clk.Now()
	a.Apply(alert("HighLatency", contract.AlertFiring, contract.SeverityWarning, t0))
	a.Apply(alert("PaymentFailureRate", contract.AlertFiring, contract.SeverityCritical, t0.Add(time.Second)))
	active := a.Active()
	require.Len(t, active, 2)
	assert.Equal(t, "PaymentFailureRate", active[0].Name, "most severe first")

	fp := active[1].Fingerprint
	assert.True(t, a.Ack(fp))
	assert.False(t, a.Ack("unknown"))
	clk.Advance(time.Minute)
	// Re-sent at the same severity: still acknowledged, first start kept.
	a.Apply(alert("HighLatency", contract.AlertFiring, contract.SeverityWarning, clk.Now()))
	got := a.Active()[1]
	assert.False(t, got.AckedAt.IsZero())
	assert.Equal(t, t0, got.StartsAt)
	// Escalated: the acknowledgement no longer holds.
	a.Apply(alert("HighLatency", contract.AlertFiring, contract.SeverityHigh, clk.Now()))
	assert.True(t, a.Active()[1].AckedAt.IsZero())

	a.Apply(alert("HighLatency", contract.AlertResolved, contract.SeverityHigh, t0))
	require.Len(t, a.Active(), 1)
	require.Len(t, a.Resolved(), 1)
	clk.Advance(25 * time.Hour)
	assert.Empty(t, a.Resolved(), "resolved alerts are forgotten after a day")
}

func TestAlertsBounded(t *testing.T) {
	clk := &fakeClock{t: time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)}
	a := NewAlerts(clk.Now, 3, 2)
	for i := 0; i < 5; i++ {
		a.Apply(alert("A"+strconv.Itoa(i), contract.AlertFiring, contract.SeverityInfo, clk.Now()))
	}
	assert.Len(t, a.Active(), 3)
	assert.Equal(t, int64(2), a.Dropped())
	for i := 0; i < 3; i++ {
		a.Apply(alert("A"+strconv.Itoa(i), contract.AlertResolved, contract.SeverityInfo, clk.Now()))
	}
	assert.Empty(t, a.Active())
	assert.Len(t, a.Resolved(), 2)
}

// A full book takes a more severe alert in place of the least severe one
// (counted as dropped): a flood of info alerts cannot hide a critical one.
func TestFullAlertBookKeepsTheMoreSevere(t *testing.T) {
	clk := &fakeClock{t: time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)}
	a := NewAlerts(clk.Now, 2, 2)
	a.Apply(alert("Noise", contract.AlertFiring, contract.SeverityInfo, clk.Now()))
	clk.Advance(time.Second)
	a.Apply(alert("Slow", contract.AlertFiring, contract.SeverityWarning, clk.Now()))
	a.Apply(alert("PaymentsDown", contract.AlertFiring, contract.SeverityCritical, clk.Now()))
	names := func() []string {
		var out []string
		for _, e := range a.Active() {
			out = append(out, e.Name)
		}
		return out
	}
	assert.Equal(t, []string{"PaymentsDown", "Slow"}, names())
	assert.Equal(t, int64(1), a.Dropped())
	a.Apply(alert("AlsoSlow", contract.AlertFiring, contract.SeverityWarning, clk.Now()))
	assert.Equal(t, []string{"PaymentsDown", "Slow"}, names(), "no less severe alert to give way")
	assert.Equal(t, int64(2), a.Dropped())
}
