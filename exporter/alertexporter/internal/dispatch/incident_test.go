package dispatch

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/escalation"
	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/route"
	"github.com/otelcol-payments/otelcol-payments/internal/contract"
)

// withIncidents gives the ops receiver's policy auto_resolve_after and the
// critical route group_wait 0, as the shipped profiles do.
func withIncidents(t *testing.T, autoResolve, flap time.Duration) func(*route.Config, *Config) {
	return func(rc *route.Config, c *Config) {
		p, err := escalation.Build("payments", escalation.PolicyConfig{
			Levels: []escalation.LevelConfig{
				{Delay: 10 * time.Minute, Channels: []string{"sms", "pagerduty"}},
				{Delay: 30 * time.Minute, Channels: []string{"exec"}},
			},
			AutoResolveAfter: autoResolve,
		}, map[string]bool{"sms": true, "pagerduty": true, "exec": true})
		require.NoError(t, err)
		ops := c.Receivers["ops"]
		ops.Policy = p
		c.Receivers["ops"] = ops
		rc.Routes[0].GroupWait = dur(0)
		c.FlapWindow = flap
	}
}

// An isolated critical alert whose source resolves after 5 minutes (the
// connector's keep_firing_for) is still an open incident: it reaches level
// 2 at 10 minutes, and only the acknowledgement lets the resolve out.
func TestIncidentEscalatesUntilAcknowledged(t *testing.T) {
	f := newFixture(t, withIncidents(t, 2*time.Hour, 0))
	crit := alert("PaymentsDown", contract.SeverityCritical, "checkout")
	f.ingest(t, crit)
	assert.Equal(t, []string{"slack L1 f:PaymentsDown"}, f.at(time.Second), "group_wait 0: within the tick")

	f.clk.Advance(5 * time.Minute)
	f.ingest(t, resolved(crit, f.clk.Now()))
	assert.Empty(t, f.at(6*time.Minute), "the source's resolve does not close the incident")
	views := f.e.Alerts()
	require.Len(t, views, 1)
	assert.Equal(t, contract.AlertFiring, views[0].Status)
	assert.True(t, views[0].ConditionCleared, "the API shows that the condition cleared")
	assert.Equal(t, []string{"pagerduty L2 f:PaymentsDown", "sms L2 f:PaymentsDown"}, f.at(10*time.Minute+time.Second),
		"level 2 is reached although the source resolved")

	_, err := f.e.Acknowledge(crit.Fingerprint, "alice")
	require.NoError(t, err)
	assert.Equal(t, []string{"pagerduty ack L2 f:PaymentsDown", "slack ack L2 f:PaymentsDown", "sms ack L2 f:PaymentsDown"}, f.rec.take())
	assert.Equal(t, []string{"pagerduty L1 r:PaymentsDown", "slack L1 r:PaymentsDown", "sms L1 r:PaymentsDown"}, f.at(15*time.Minute+time.Second),
		"acknowledged: the held resolve goes out at the next flush, to every paged channel")
	assert.Empty(t, f.at(time.Hour), "no level 3")
	assert.Empty(t, f.e.Alerts())
}

// Without anyone acting, the incident runs the whole chain and closes at
// auto_resolve_after.
func TestIncidentAutoResolvesAfterTheChain(t *testing.T) {
	f := newFixture(t, withIncidents(t, 2*time.Hour, 0))
	crit := alert("PaymentsDown", contract.SeverityCritical, "checkout")
	f.ingest(t, crit)
	f.at(time.Second)
	f.clk.Advance(time.Minute)
	f.ingest(t, resolved(crit, f.clk.Now()))
	assert.Len(t, f.at(10*time.Minute+time.Second), 2, "level 2")
	assert.Equal(t, []string{"exec L3 f:PaymentsDown"}, f.at(40*time.Minute+time.Second), "level 3")
	assert.Empty(t, f.at(2*time.Hour-time.Second), "still open before auto_resolve_after")
	got := f.at(2*time.Hour + 5*time.Minute)
	assert.Equal(t, []string{"exec L1 r:PaymentsDown", "pagerduty L1 r:PaymentsDown", "slack L1 r:PaymentsDown", "sms L1 r:PaymentsDown"}, got)
}

// A warning is no incident: its resolve applies at once.
func TestIncidentHoldOnlyForEscalatingSeverities(t *testing.T) {
	f := newFixture(t, withIncidents(t, 2*time.Hour, 0))
	high := alert("ErrorRate", contract.SeverityHigh, "checkout")
	f.ingest(t, high)
	f.at(time.Second)
	f.ingest(t, resolved(high, f.clk.Now()))
	assert.Equal(t, []string{"slack L1 r:ErrorRate"}, f.at(5*time.Minute+time.Second))
}

func TestAutoResolveMustOutlastTheChain(t *testing.T) {
	_, err := escalation.Build("p", escalation.PolicyConfig{
		Levels:           []escalation.LevelConfig{{Delay: 10 * time.Minute, Channels: []string{"sms"}}, {Delay: 30 * time.Minute, Channels: []string{"sms"}}},
		AutoResolveAfter: 40 * time.Minute,
	}, map[string]bool{"sms": true})
	assert.ErrorContains(t, err, "auto_resolve_after: 40m0s must be longer than the escalation chain (40m0s)")
}

// A condition that resolves and fires again within the flap window is one
// incident: no resolved/firing ping-pong, and the re-fire is counted.
func TestFlapDampingMergesRefires(t *testing.T) {
	flaps := 0
	f := newFixture(t, func(rc *route.Config, c *Config) {
		c.FlapWindow = 5 * time.Minute
		c.OnFlapDamped = func() { flaps++ }
	})
	low := alert("LowStock", contract.SeverityWarning, "shop")
	f.ingest(t, low)
	assert.Equal(t, []string{"log L1 f:LowStock"}, f.at(30*time.Second))
	for i := range 5 { // resolve, re-fire 45 s later, for 7.5 minutes
		base := time.Minute + time.Duration(i)*90*time.Second
		f.clk.Advance(t0.Add(base).Sub(f.clk.Now()))
		f.ingest(t, resolved(low, f.clk.Now()))
		assert.Empty(t, f.at(base+time.Second))
		f.clk.Advance(45 * time.Second)
		f.ingest(t, low)
		assert.Empty(t, f.at(base+46*time.Second))
	}
	assert.Equal(t, 5, flaps)

	// It really clears: the resolve goes out once the window is over, at
	// the group's next flush.
	f.clk.Advance(time.Minute)
	f.ingest(t, resolved(low, f.clk.Now()))
	var got []string
	for m := time.Duration(0); m < 12*time.Minute && len(got) == 0; m += 15 * time.Second {
		got = f.at(10*time.Minute + m)
	}
	assert.Equal(t, []string{"log L1 r:LowStock"}, got)
	assert.Empty(t, f.at(time.Hour))
}

// A group that emptied keeps its group_interval: an alert joining it soon
// after waits for the interval rather than notifying after group_wait.
func TestEmptyGroupKeepsThrottling(t *testing.T) {
	f := newFixture(t, nil)
	a := alert("LatencyHigh", contract.SeverityWarning, "checkout")
	f.ingest(t, a)
	assert.Equal(t, []string{"log L1 f:LatencyHigh"}, f.at(30*time.Second))
	f.clk.Advance(time.Minute)
	f.ingest(t, resolved(a, f.clk.Now()))
	assert.Equal(t, []string{"log L1 r:LatencyHigh"}, f.at(5*time.Minute+30*time.Second))

	b := alert("LatencyHigh", contract.SeverityWarning, "cart")
	f.clk.Advance(time.Minute)
	f.ingest(t, b)
	assert.Empty(t, f.at(7*time.Minute), "past group_wait, but within the emptied group's group_interval")
	assert.Equal(t, []string{"log L1 f:LatencyHigh"}, f.at(10*time.Minute+30*time.Second))
}

// A held resolve survives a restart.
func TestHeldResolveIsRestored(t *testing.T) {
	f := newFixture(t, withIncidents(t, 2*time.Hour, 0))
	crit := alert("PaymentsDown", contract.SeverityCritical, "checkout")
	f.ingest(t, crit)
	f.at(time.Second)
	f.ingest(t, resolved(crit, f.clk.Now()))
	snap := f.e.Snapshot()

	g := newFixture(t, withIncidents(t, 2*time.Hour, 0))
	g.clk.Advance(f.clk.Now().Sub(t0))
	require.NoError(t, g.e.Restore(snap))
	assert.Len(t, g.at(10*time.Minute+time.Second), 2, "still escalates after the restart")
	_, err := g.e.Acknowledge(crit.Fingerprint, "bob")
	require.NoError(t, err)
	g.rec.take()
	assert.Len(t, g.at(15*time.Minute+time.Second), 3, "and the restored held resolve goes out after the ack")
}
