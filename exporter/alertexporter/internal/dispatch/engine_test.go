package dispatch

import (
	"encoding/json"
	"math"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"

	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/channel"
	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/clock"
	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/escalation"
	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/route"
	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/state"
	"github.com/otelcol-payments/otelcol-payments/internal/contract"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC) // a Monday

type sent struct {
	channel string
	n       *channel.Notification
}

type recorder struct {
	mu   sync.Mutex
	sent []sent
}

func (r *recorder) Send(ch string, n *channel.Notification) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sent = append(r.sent, sent{ch, n})
	return true
}

// take returns and clears what was sent, as "channel:STATUS name,name".
func (r *recorder) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, s := range r.sent {
		names := []string{}
		for _, a := range s.n.Alerts {
			names = append(names, a.Status[:1]+":"+a.Name)
		}
		tag := ""
		if s.n.Acknowledged {
			tag = " ack"
		}
		if s.n.Refresh {
			tag += " refresh"
		}
		out = append(out, s.channel+tag+" L"+string(rune('0'+s.n.Level))+" "+join(names))
	}
	r.sent = nil
	sort.Strings(out)
	return out
}

func join(ss []string) string {
	out := ""
	for i, s := range ss {
		if i > 0 {
			out += ","
		}
		out += s
	}
	return out
}

type fixture struct {
	clk *clock.Fake
	rec *recorder
	e   *Engine
	cfg Config
}

func dur(d time.Duration) *time.Duration { return &d }

func newFixture(t testing.TB, mutate func(*route.Config, *Config)) *fixture {
	t.Helper()
	rc := route.Config{
		Receiver:       "default",
		GroupBy:        []string{contract.AlertName},
		GroupWait:      dur(30 * time.Second),
		GroupInterval:  dur(5 * time.Minute),
		RepeatInterval: dur(4 * time.Hour),
		Routes: []route.Config{
			{Matchers: []string{`alert.severity=~"critical|high"`}, Receiver: "ops"},
		},
	}
	channels := map[string]bool{"log": true, "slack": true, "sms": true, "pagerduty": true, "exec": true}
	policy, err := escalation.Build("payments", escalation.PolicyConfig{
		Severities: []string{contract.SeverityCritical},
		Levels: []escalation.LevelConfig{
			{Delay: 10 * time.Minute, Channels: []string{"sms", "pagerduty"}},
			{Delay: 30 * time.Minute, Channels: []string{"exec"}},
		},
	}, channels)
	require.NoError(t, err)
	cfg := Config{
		Receivers: map[string]Receiver{
			"default": {Channels: []string{"log"}},
			"ops":     {Channels: []string{"slack"}, Policy: policy},
		},
		MaxAlerts: 100,
	}
	if mutate != nil {
		mutate(&rc, &cfg)
	}
	recv := map[string]bool{}
	for n := range cfg.Receivers {
		recv[n] = true
	}
	intervals := map[string]bool{}
	for n := range cfg.Intervals {
		intervals[n] = true
	}
	root, err := route.Build(rc, recv, intervals)
	require.NoError(t, err)
	cfg.Route = root
	f := &fixture{clk: clock.NewFake(t0), rec: &recorder{}, cfg: cfg}
	f.e = New(cfg, f.clk, f.rec, zap.NewNop())
	return f
}

func alert(name, severity, service string) contract.Alert {
	labels := map[string]string{"service.name": service}
	return contract.Alert{
		Name: name, Status: contract.AlertFiring, Severity: severity, Labels: labels,
		Fingerprint: contract.ComputeFingerprint(name, labels), Summary: name + " on " + service,
		StartsAt: t0, Value: math.NaN(), Threshold: math.NaN(),
	}
}

func resolved(a contract.Alert, at time.Time) contract.Alert {
	a.Status = contract.AlertResolved
	a.EndsAt = at
	return a
}

func (f *fixture) ingest(t *testing.T, alerts ...contract.Alert) {
	t.Helper()
	dropped, err := f.e.Ingest(alerts)
	require.NoError(t, err)
	require.Zero(t, dropped)
}

// at advances the fake clock to t0+d and ticks.
func (f *fixture) at(d time.Duration) []string {
	f.clk.Advance(t0.Add(d).Sub(f.clk.Now()))
	f.e.Tick()
	return f.rec.take()
}

func TestGroupWaitIntervalRepeatAndResolve(t *testing.T) {
	f := newFixture(t, nil)
	a := alert("LatencyHigh", contract.SeverityWarning, "checkout")
	f.ingest(t, a)
	assert.Empty(t, f.at(29*time.Second), "group_wait not over")
	assert.Equal(t, []string{"log L1 f:LatencyHigh"}, f.at(30*time.Second))

	b := alert("LatencyHigh", contract.SeverityWarning, "cart")
	f.clk.Advance(30 * time.Second)
	f.ingest(t, b)
	assert.Empty(t, f.at(time.Minute), "a new alert in an existing group waits for group_interval")
	assert.Equal(t, []string{"log L1 f:LatencyHigh,f:LatencyHigh"}, f.at(5*time.Minute+30*time.Second))
	assert.Empty(t, f.at(10*time.Minute+30*time.Second), "nothing changed: no repeat before repeat_interval")

	// Firing again (the connector re-sends) changes nothing.
	f.ingest(t, a)
	assert.Empty(t, f.at(15*time.Minute+30*time.Second))

	assert.Equal(t, []string{"log L1 f:LatencyHigh,f:LatencyHigh"}, f.at(4*time.Hour+5*time.Minute+30*time.Second), "repeat_interval")

	f.ingest(t, resolved(a, f.clk.Now()))
	assert.Equal(t, []string{"log L1 f:LatencyHigh,r:LatencyHigh"}, f.at(4*time.Hour+10*time.Minute+30*time.Second))
	assert.Len(t, f.e.Alerts(), 1, "resolved alert forgotten after its resolve went out")

	f.ingest(t, resolved(b, f.clk.Now()))
	assert.Equal(t, []string{"log L1 r:LatencyHigh"}, f.at(4*time.Hour+15*time.Minute+30*time.Second))
	assert.Empty(t, f.e.Alerts())
	assert.Empty(t, f.at(5*time.Hour))
}

func TestSeparateGroupsAndRoutes(t *testing.T) {
	f := newFixture(t, nil)
	f.ingest(t,
		alert("LatencyHigh", contract.SeverityWarning, "checkout"),
		alert("ErrorRate", contract.SeverityWarning, "checkout"),
		alert("ErrorRate", contract.SeverityHigh, "cart"),
	)
	assert.Equal(t, []string{"log L1 f:ErrorRate", "log L1 f:LatencyHigh", "slack L1 f:ErrorRate"}, f.at(30*time.Second))
}

func TestStaleResolveAndMaxAlerts(t *testing.T) {
	f := newFixture(t, func(_ *route.Config, c *Config) { c.MaxAlerts = 1 })
	dropped, err := f.e.Ingest([]contract.Alert{resolved(alert("X", contract.SeverityInfo, "a"), t0)})
	assert.Equal(t, 1, dropped)
	require.ErrorIs(t, err, ErrStaleResolve)
	dropped, err = f.e.Ingest([]contract.Alert{alert("X", contract.SeverityInfo, "a"), alert("Y", contract.SeverityInfo, "a")})
	assert.Equal(t, 1, dropped, "the good alert is kept, the one over the bound dropped")
	require.ErrorIs(t, err, ErrTooManyAlerts)
	assert.Len(t, f.e.Alerts(), 1)
}

// At max_alerts a more severe alert makes room: a flood of low-severity
// alerts must not lock out a critical page. The oldest least severe one is
// resolved, saying why; an alert no more severe than all is still refused.
func TestFullBookEvictsLessSevereForMoreSevere(t *testing.T) {
	f := newFixture(t, func(_ *route.Config, c *Config) { c.MaxAlerts = 2 })
	f.ingest(t, alert("Noise", contract.SeverityInfo, "shop"), alert("Slow", contract.SeverityWarning, "cart"))
	assert.Equal(t, []string{"log L1 f:Noise", "log L1 f:Slow"}, f.at(30*time.Second))

	f.ingest(t, alert("PaymentsDown", contract.SeverityCritical, "checkout"))
	f.clk.Advance(t0.Add(time.Minute).Sub(f.clk.Now()))
	f.e.Tick()
	var evicted contract.Alert
	for _, s := range f.rec.sent {
		for _, a := range s.n.Alerts {
			if a.Name == "Noise" {
				evicted = a
			}
		}
	}
	assert.Equal(t, []string{"log L1 r:Noise", "slack L1 f:PaymentsDown"}, f.rec.take())
	assert.Contains(t, evicted.Summary, "resolved because max_alerts 2 was reached")

	dropped, err := f.e.Ingest([]contract.Alert{alert("Slow", contract.SeverityWarning, "search")})
	assert.Equal(t, 1, dropped, "nothing less severe than a warning is left")
	require.ErrorIs(t, err, ErrTooManyAlerts)
}

func TestInhibition(t *testing.T) {
	f := newFixture(t, func(_ *route.Config, c *Config) {
		rule, err := route.BuildInhibitRule(route.InhibitRuleConfig{
			SourceMatchers: []string{`alert.severity="critical"`},
			TargetMatchers: []string{`alert.severity="warning"`},
			Equal:          []string{"service.name"},
		})
		require.NoError(t, err)
		c.Inhibit = []*route.InhibitRule{rule}
	})
	crit := alert("ErrorRate", contract.SeverityCritical, "checkout")
	f.ingest(t, crit,
		alert("LatencyHigh", contract.SeverityWarning, "checkout"),
		alert("LatencyHigh2", contract.SeverityWarning, "cart"))
	assert.Equal(t, []string{"log L1 f:LatencyHigh2", "slack L1 f:ErrorRate"}, f.at(30*time.Second),
		"the checkout warning is inhibited by the checkout critical; the cart one is not")
	views := f.e.Alerts()
	require.Len(t, views, 3)
	for _, v := range views {
		assert.Equal(t, v.Name == "LatencyHigh", v.Inhibited, v.Name)
	}

	// Once the critical resolves, the warning is notified at the next flush.
	f.clk.Advance(time.Minute)
	f.ingest(t, resolved(crit, f.clk.Now()))
	assert.Equal(t, []string{"log L1 f:LatencyHigh", "slack L1 r:ErrorRate"}, f.at(5*time.Minute+30*time.Second))
}

func TestSilenceFromAPIAndConfig(t *testing.T) {
	cfgSilence := &route.Silence{ID: "config-0", Matchers: []string{`payment.provider="legacy"`}, StartsAt: t0, EndsAt: t0.Add(24 * time.Hour)}
	require.NoError(t, cfgSilence.Compile())
	f := newFixture(t, func(_ *route.Config, c *Config) { c.Silences = []*route.Silence{cfgSilence} })

	s, snap, err := f.e.AddSilence(route.Silence{Matchers: []string{`service.name="checkout"`}, EndsAt: t0.Add(time.Hour), CreatedBy: "alice"})
	require.NoError(t, err)
	require.NotNil(t, snap)
	assert.NotEmpty(t, s.ID)
	assert.Len(t, f.e.Silences(), 2)

	legacy := alert("ErrorRate", contract.SeverityWarning, "payments")
	legacy.Labels["payment.provider"] = "legacy"
	legacy.Fingerprint = contract.ComputeFingerprint(legacy.Name, legacy.Labels)
	f.ingest(t, alert("LatencyHigh", contract.SeverityWarning, "checkout"), legacy, alert("ErrorRate", contract.SeverityWarning, "cart"))
	assert.Equal(t, []string{"log L1 f:ErrorRate"}, f.at(30*time.Second), "checkout silenced via API, legacy via config")

	// After the API silence ends the checkout alert goes out at the next flush.
	assert.Equal(t, []string{"log L1 f:LatencyHigh"}, f.at(time.Hour+30*time.Second))
	assert.Len(t, f.e.Silences(), 1, "expired silences are dropped")

	_, err = f.e.ExpireSilence("nope")
	require.ErrorIs(t, err, ErrUnknownSilence)
	_, _, err = f.e.AddSilence(route.Silence{Matchers: []string{`a="b"`}, StartsAt: t0.Add(-2 * time.Hour), EndsAt: t0.Add(-time.Hour)})
	assert.Error(t, err, "a silence in the past is refused")
}

// API silences are bounded; an expired one frees its place.
func TestAPISilencesAreBounded(t *testing.T) {
	f := newFixture(t, nil)
	add := func(until time.Duration) error {
		_, _, err := f.e.AddSilence(route.Silence{Matchers: []string{`service.name="checkout"`}, EndsAt: t0.Add(until)})
		return err
	}
	require.NoError(t, add(time.Minute))
	for range MaxSilences - 1 {
		require.NoError(t, add(time.Hour))
	}
	require.ErrorIs(t, add(time.Hour), ErrTooManySilences)
	assert.Len(t, f.e.Silences(), MaxSilences)
	f.at(2 * time.Minute) // the first one expires
	require.NoError(t, add(time.Hour))
}

func TestMuteTimeInterval(t *testing.T) {
	f := newFixture(t, func(rc *route.Config, c *Config) {
		is, err := route.CompileIntervals(map[string][]route.TimeIntervalConfig{
			"morning": {{Times: []route.TimeRange{{StartTime: "09:00", EndTime: "09:10"}}}},
		})
		require.NoError(t, err)
		c.Intervals = is
		rc.MuteTimeIntervals = []string{"morning"}
	})
	f.ingest(t, alert("LatencyHigh", contract.SeverityWarning, "checkout"))
	assert.Empty(t, f.at(30*time.Second), "muted 09:00-09:10")
	assert.Equal(t, []string{"log L1 f:LatencyHigh"}, f.at(10*time.Minute+30*time.Second))
}

func TestEscalationLevelsAndResolve(t *testing.T) {
	f := newFixture(t, nil)
	crit := alert("PaymentsDown", contract.SeverityCritical, "checkout")
	f.ingest(t, crit)
	assert.Equal(t, []string{"slack L1 f:PaymentsDown"}, f.at(30*time.Second), "level 1")
	assert.Empty(t, f.at(10*time.Minute+29*time.Second))
	assert.Equal(t, []string{"pagerduty L2 f:PaymentsDown", "sms L2 f:PaymentsDown"}, f.at(10*time.Minute+30*time.Second), "level 2 after 10m")
	assert.Empty(t, f.at(40*time.Minute+29*time.Second))
	assert.Equal(t, []string{"exec L3 f:PaymentsDown"}, f.at(40*time.Minute+30*time.Second), "level 3 30m later")
	assert.Empty(t, f.at(3*time.Hour), "no level above 3")
	views := f.e.Alerts()
	require.Len(t, views, 1)
	assert.Equal(t, 3, views[0].Level)

	f.ingest(t, resolved(crit, f.clk.Now()))
	assert.Equal(t, []string{"exec L1 r:PaymentsDown", "pagerduty L1 r:PaymentsDown", "slack L1 r:PaymentsDown", "sms L1 r:PaymentsDown"},
		f.at(3*time.Hour+5*time.Minute), "at the next flush the resolve reaches every channel that was paged")
}

func TestAcknowledgeStopsEscalation(t *testing.T) {
	f := newFixture(t, nil)
	crit := alert("PaymentsDown", contract.SeverityCritical, "checkout")
	f.ingest(t, crit)
	f.at(30 * time.Second)
	f.at(10*time.Minute + 30*time.Second)

	_, err := f.e.Acknowledge("nope", "bob")
	require.ErrorIs(t, err, ErrUnknownAlert)
	snap, err := f.e.Acknowledge(crit.Fingerprint, "bob")
	require.NoError(t, err)
	require.NotNil(t, snap)
	assert.Equal(t, []string{"pagerduty ack L2 f:PaymentsDown", "slack ack L2 f:PaymentsDown", "sms ack L2 f:PaymentsDown"}, f.rec.take())
	assert.Empty(t, f.at(2*time.Hour), "acknowledged: no level 3")
	views := f.e.Alerts()
	assert.True(t, views[0].Acked)
	assert.Equal(t, "bob", views[0].AckedBy)
}

func TestManualResolve(t *testing.T) {
	f := newFixture(t, nil)
	crit := alert("PaymentsDown", contract.SeverityCritical, "checkout")
	f.ingest(t, crit)
	f.at(30 * time.Second)
	_, err := f.e.Resolve(crit.Fingerprint)
	require.NoError(t, err)
	assert.Equal(t, []string{"slack L1 r:PaymentsDown"}, f.at(time.Minute), "a manual resolve flushes at the next tick")
	assert.Empty(t, f.at(time.Hour), "and stops escalation")
	_, err = f.e.Resolve(crit.Fingerprint)
	assert.ErrorIs(t, err, ErrUnknownAlert)
}

func TestWarningDoesNotEscalate(t *testing.T) {
	f := newFixture(t, nil)
	f.ingest(t, alert("ErrorRate", contract.SeverityHigh, "checkout"))
	assert.Equal(t, []string{"slack L1 f:ErrorRate"}, f.at(30*time.Second))
	assert.Empty(t, f.at(2*time.Hour), "policy escalates critical only")
}

func TestRestoreKeepsProgress(t *testing.T) {
	f := newFixture(t, nil)
	crit := alert("PaymentsDown", contract.SeverityCritical, "checkout")
	warn := alert("LatencyHigh", contract.SeverityWarning, "checkout")
	f.ingest(t, crit, warn)
	f.at(30 * time.Second)
	_, _, err := f.e.AddSilence(route.Silence{Matchers: []string{`service.name="cart"`}, EndsAt: t0.Add(time.Hour)})
	require.NoError(t, err)
	snap := f.e.Snapshot()

	// A new engine (a restart) from the snapshot.
	rec := &recorder{}
	e2 := New(f.cfg, f.clk, rec, zap.NewNop())
	require.NoError(t, e2.Restore(snap))
	f.e, f.rec = e2, rec
	assert.Len(t, f.e.Silences(), 1)
	f.ingest(t, crit, warn) // the source keeps re-sending firing alerts
	assert.Empty(t, f.at(5*time.Minute+30*time.Second), "no re-page after restart")
	assert.Equal(t, []string{"pagerduty L2 f:PaymentsDown", "sms L2 f:PaymentsDown"}, f.at(10*time.Minute+30*time.Second), "pending escalation survives")
}

func TestRestoreWithChangedConfig(t *testing.T) {
	f := newFixture(t, nil)
	crit := alert("PaymentsDown", contract.SeverityCritical, "checkout")
	f.ingest(t, crit)
	f.at(30 * time.Second)
	snap := f.e.Snapshot()
	// The ops route disappeared: the group is dropped and the alert re-routed.
	snap.Groups[0].RouteID = "0.9"
	snap.Groups[0].Members[0].Notified = append(snap.Groups[0].Members[0].Notified, "gone")
	e2 := New(f.cfg, f.clk, f.rec, zap.NewNop())
	require.NoError(t, e2.Restore(snap))
	e2.FilterChannels(map[string]bool{"slack": true})
	f.e = e2
	assert.Equal(t, []string{"slack L1 f:PaymentsDown"}, f.at(time.Minute+30*time.Second))

	bad := &state.Snapshot{Silences: []route.Silence{{ID: "x"}}}
	assert.Error(t, New(f.cfg, f.clk, f.rec, zap.NewNop()).Restore(bad))
}

func TestEscalationOneLevelPerTick(t *testing.T) {
	f := newFixture(t, nil)
	f.ingest(t, alert("PaymentsDown", contract.SeverityCritical, "checkout"))
	f.at(30 * time.Second)
	// A long pause (e.g. the collector was down) climbs one level per tick,
	// in order, rather than paging every level at once.
	got := f.at(3 * time.Hour)
	assert.True(t, slices.Equal([]string{"pagerduty L2 f:PaymentsDown", "sms L2 f:PaymentsDown"}, got), "%v", got)
}

// An Alertmanager channel gets the firing alerts every resend interval so
// that Alertmanager does not resolve them; the human channel in the same
// receiver is paged per repeat_interval only.
func TestResendToAlertmanagerIndependentOfRepeat(t *testing.T) {
	f := newFixture(t, func(rc *route.Config, c *Config) {
		rc.RepeatInterval = dur(10 * time.Minute)
		c.Receivers["ops"] = Receiver{Channels: []string{"slack", "am"}}
		c.Resend = map[string]time.Duration{"am": time.Minute}
	})
	crit := alert("PaymentsDown", contract.SeverityCritical, "checkout")
	f.ingest(t, crit)
	assert.Empty(t, f.at(29*time.Second), "group_wait holds the first post as for any channel")
	assert.Equal(t, []string{"am L1 f:PaymentsDown", "slack L1 f:PaymentsDown"}, f.at(30*time.Second))
	assert.Empty(t, f.at(89*time.Second), "not due before one resend interval")
	for m := 1; m < 10; m++ {
		assert.Equal(t, []string{"am refresh L1 f:PaymentsDown"}, f.at(30*time.Second+time.Duration(m)*time.Minute), "resend %d", m)
	}
	assert.Equal(t, []string{"am L1 f:PaymentsDown", "slack L1 f:PaymentsDown"}, f.at(10*time.Minute+30*time.Second),
		"repeat_interval re-pages Slack; the repeat also counts as Alertmanager's resend")
	assert.Empty(t, f.at(11*time.Minute))

	// Silenced: no resends (Alertmanager lets it expire); afterwards they resume.
	s, _, err := f.e.AddSilence(route.Silence{Matchers: []string{`service.name="checkout"`}, EndsAt: t0.Add(time.Hour)})
	require.NoError(t, err)
	assert.Empty(t, f.at(11*time.Minute+30*time.Second))
	assert.Empty(t, f.at(13*time.Minute))
	_, err = f.e.ExpireSilence(s.ID)
	require.NoError(t, err)
	assert.Equal(t, []string{"am refresh L1 f:PaymentsDown"}, f.at(13*time.Minute+10*time.Second))

	// A restart refreshes Alertmanager at the first tick; the resends stay
	// out of the persisted outbox.
	snap := f.e.Snapshot()
	assert.Len(t, snap.Pending, 4, "only the two flushes (am + slack each) wait for delivery; the recorder never reports any")
	rec := &recorder{}
	e2 := New(f.cfg, f.clk, rec, zap.NewNop())
	require.NoError(t, e2.Restore(snap))
	f.e, f.rec = e2, rec
	assert.Equal(t, []string{"am refresh L1 f:PaymentsDown"}, f.at(13*time.Minute+20*time.Second))
	assert.Empty(t, f.at(14*time.Minute))

	f.ingest(t, resolved(crit, f.clk.Now()))
	assert.Empty(t, f.at(14*time.Minute+30*time.Second), "a resolved alert is not resent as firing")
	assert.Equal(t, []string{"am L1 r:PaymentsDown", "slack L1 r:PaymentsDown"}, f.at(15*time.Minute+30*time.Second), "resolve goes out once at the group flush")
	assert.Empty(t, f.at(16*time.Minute+30*time.Second))
	assert.Empty(t, f.at(30*time.Minute))
	assert.Empty(t, f.e.Alerts())
}

// The recipients a notification already reached are part of its persisted
// outbox entry; snapshots written before they were recorded still load.
func TestOutboxKeepsDeliveredRecipientsAcrossRestore(t *testing.T) {
	f := newFixture(t, nil)
	f.ingest(t, alert("PaymentsDown", contract.SeverityCritical, "checkout"))
	f.clk.Advance(30 * time.Second)
	f.e.Tick()
	f.rec.mu.Lock()
	require.NotEmpty(t, f.rec.sent)
	inFlight := f.rec.sent[0].n
	f.rec.mu.Unlock()
	inFlight.MarkDelivered("+4915100000001")
	require.NotNil(t, f.e.Progress(inFlight.ID))
	assert.Nil(t, f.e.Progress(1<<60), "unknown outbox entry: nothing to persist")

	b, err := json.Marshal(f.e.Snapshot())
	require.NoError(t, err)
	old := strings.ReplaceAll(string(b), `,"delivered":["+4915100000001"]`, "")
	require.NotEqual(t, string(b), old, "the snapshot records the recipient")

	for name, tt := range map[string]struct {
		json string
		want []string
	}{"current": {string(b), []string{"+4915100000001"}}, "before delivered was recorded": {old, nil}} {
		var snap state.Snapshot
		require.NoError(t, json.Unmarshal([]byte(tt.json), &snap), name)
		rec := &recorder{}
		e2 := New(f.cfg, f.clk, rec, zap.NewNop())
		require.NoError(t, e2.Restore(&snap), name)
		e2.Redeliver()
		var got []string
		found := false
		for _, s := range rec.sent {
			if s.n.ID == inFlight.ID {
				got, found = s.n.DeliveredTo(), true
			}
		}
		require.True(t, found, "%s: the outbox entry is sent again", name)
		assert.Equal(t, tt.want, got, name)
	}
}
