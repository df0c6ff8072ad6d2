package route

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseMatcher(t *testing.T) {
	tests := []struct {
		in      string
		lset    map[string]string
		matches bool
	}{
		{`alert.severity="critical"`, map[string]string{"alert.severity": "critical"}, true},
		{`alert.severity="critical"`, map[string]string{"alert.severity": "warning"}, false},
		{`alert.severity=critical`, map[string]string{"alert.severity": "critical"}, true},
		{`service.name!="checkout"`, map[string]string{"service.name": "cart"}, true},
		{`service.name!="checkout"`, map[string]string{"service.name": "checkout"}, false},
		{`payment.provider=~"stripe|adyen"`, map[string]string{"payment.provider": "adyen"}, true},
		{`payment.provider=~"stripe|adyen"`, map[string]string{"payment.provider": "stripe-eu"}, false},
		{`payment.provider!~"stri.*"`, map[string]string{"payment.provider": "adyen"}, true},
		{`team=""`, map[string]string{}, true},
		{`team!=""`, map[string]string{}, false},
		{`msg="a \"quoted\" value"`, map[string]string{"msg": `a "quoted" value`}, true},
	}
	for _, tt := range tests {
		m, err := ParseMatcher(tt.in)
		require.NoError(t, err, tt.in)
		assert.Equal(t, tt.matches, m.Matches(tt.lset), "%s on %v", tt.in, tt.lset)
	}
	for _, bad := range []string{"", "severity", `=~"x"`, `a=~"("`, `a="unterminated`} {
		_, err := ParseMatcher(bad)
		assert.Error(t, err, bad)
	}
}

func buildTree(t *testing.T, cfg Config) *Route {
	t.Helper()
	r, err := Build(cfg, map[string]bool{"default": true, "ops": true, "db": true, "chat": true}, map[string]bool{"maint": true})
	require.NoError(t, err)
	return r
}

func dur(d time.Duration) *time.Duration { return &d }

func TestRouteMatchContinueAndInheritance(t *testing.T) {
	root := buildTree(t, Config{
		Receiver:  "default",
		GroupBy:   []string{"alert.name"},
		GroupWait: dur(5 * time.Second),
		Routes: []Config{
			{Matchers: []string{`alert.severity="critical"`}, Receiver: "ops", Continue: true, GroupInterval: dur(time.Minute)},
			{Matchers: []string{`service.name="db"`}, Receiver: "db", Routes: []Config{
				{Matchers: []string{`alert.name="Slow"`}, Receiver: "chat", GroupBy: []string{"..."}},
			}},
			{Matchers: []string{`service.name="db"`}, Receiver: "chat"},
		},
	})
	names := func(rs []*Route) []string {
		var out []string
		for _, r := range rs {
			out = append(out, r.Receiver)
		}
		return out
	}
	tests := []struct {
		lset map[string]string
		want []string
	}{
		{map[string]string{"alert.severity": "warning", "service.name": "cart"}, []string{"default"}},
		{map[string]string{"alert.severity": "critical", "service.name": "cart"}, []string{"ops"}},
		// continue on the critical route lets the db route match too; the db
		// route does not continue, so the later chat sibling is not reached.
		{map[string]string{"alert.severity": "critical", "service.name": "db"}, []string{"ops", "db"}},
		{map[string]string{"alert.severity": "warning", "service.name": "db", "alert.name": "Slow"}, []string{"chat"}},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, names(root.Match(tt.lset)), "%v", tt.lset)
	}
	ops := root.Routes[0]
	assert.Equal(t, 5*time.Second, ops.GroupWait, "inherited from parent")
	assert.Equal(t, time.Minute, ops.GroupInterval)
	assert.Equal(t, DefaultRepeatInterval, ops.RepeatInterval, "package default")
	assert.Equal(t, []string{"alert.name"}, ops.GroupBy)
	slow := root.Routes[1].Routes[0]
	assert.True(t, slow.GroupByAll)
	assert.Equal(t, "0.1.0", slow.ID)
}

func TestGroupKey(t *testing.T) {
	root := buildTree(t, Config{Receiver: "default", GroupBy: []string{"service.name", "alert.name"}})
	a := map[string]string{"alert.name": "HighErrorRate", "service.name": "checkout", "payment.provider": "stripe"}
	b := map[string]string{"alert.name": "HighErrorRate", "service.name": "checkout", "payment.provider": "adyen"}
	c := map[string]string{"alert.name": "HighErrorRate", "service.name": "cart"}
	ka := root.GroupKey(root.GroupLabels(a))
	assert.Equal(t, ka, root.GroupKey(root.GroupLabels(b)), "labels outside group_by do not split groups")
	assert.NotEqual(t, ka, root.GroupKey(root.GroupLabels(c)))
	assert.Equal(t, `0:{alert.name="HighErrorRate",service.name="checkout"}`, ka)
}

func TestBuildErrors(t *testing.T) {
	recv := map[string]bool{"default": true}
	_, err := Build(Config{}, recv, nil)
	require.ErrorContains(t, err, "route.receiver")
	_, err = Build(Config{Receiver: "default", Matchers: []string{`a="b"`}}, recv, nil)
	require.ErrorContains(t, err, "root route")
	_, err = Build(Config{Receiver: "default", GroupBy: []string{"...", "a"}}, recv, nil)
	require.ErrorContains(t, err, "cannot be combined")
	_, err = Build(Config{Receiver: "default", GroupInterval: dur(0)}, recv, nil)
	assert.ErrorContains(t, err, "group_interval: must be positive")
}

func TestInhibition(t *testing.T) {
	rule, err := BuildInhibitRule(InhibitRuleConfig{
		SourceMatchers: []string{`alert.severity="critical"`},
		TargetMatchers: []string{`alert.severity="warning"`},
		Equal:          []string{"service.name"},
	})
	require.NoError(t, err)
	rules := []*InhibitRule{rule}
	critCheckout := Candidate{Fingerprint: "c1", Labels: map[string]string{"alert.severity": "critical", "service.name": "checkout"}}
	warnCheckout := map[string]string{"alert.severity": "warning", "service.name": "checkout"}
	warnCart := map[string]string{"alert.severity": "warning", "service.name": "cart"}
	infoCheckout := map[string]string{"alert.severity": "info", "service.name": "checkout"}

	assert.True(t, Inhibited(rules, "w1", warnCheckout, []Candidate{critCheckout}))
	assert.False(t, Inhibited(rules, "w2", warnCart, []Candidate{critCheckout}), "equal labels differ")
	assert.False(t, Inhibited(rules, "i1", infoCheckout, []Candidate{critCheckout}), "target matchers do not match")
	assert.False(t, Inhibited(rules, "w1", warnCheckout, nil), "no firing source")

	self, err := BuildInhibitRule(InhibitRuleConfig{SourceMatchers: []string{`a="x"`}, TargetMatchers: []string{`a="x"`}})
	require.NoError(t, err)
	lset := map[string]string{"a": "x"}
	assert.False(t, Inhibited([]*InhibitRule{self}, "f", lset, []Candidate{{Fingerprint: "f", Labels: lset}}), "an alert never inhibits itself")
}

func TestSilence(t *testing.T) {
	start := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	s := &Silence{Matchers: []string{`payment.provider="adyen"`}, StartsAt: start, EndsAt: start.Add(time.Hour)}
	require.NoError(t, s.Compile())
	lset := map[string]string{"payment.provider": "adyen"}
	assert.False(t, s.Mutes(start.Add(-time.Second), lset), "not started")
	assert.True(t, s.Mutes(start, lset))
	assert.False(t, s.Mutes(start.Add(30*time.Minute), map[string]string{"payment.provider": "stripe"}))
	assert.False(t, s.Mutes(start.Add(time.Hour), lset), "end is exclusive")
	assert.True(t, s.Expired(start.Add(time.Hour)))

	require.Error(t, (&Silence{StartsAt: start, EndsAt: start.Add(time.Hour)}).Compile(), "no matchers")
	assert.Error(t, (&Silence{Matchers: []string{`a="b"`}, StartsAt: start, EndsAt: start}).Compile(), "empty window")
}

func TestTimeIntervals(t *testing.T) {
	is, err := CompileIntervals(map[string][]TimeIntervalConfig{
		"maint": {{
			Location: "Europe/Berlin",
			Weekdays: []string{"sunday"},
			Times:    []TimeRange{{StartTime: "02:00", EndTime: "04:00"}},
		}},
		"business": {{Weekdays: []string{"monday:friday"}, Times: []TimeRange{{StartTime: "09:00", EndTime: "17:00"}}}},
		"monthend": {{DaysOfMonth: []string{"-1"}}},
	})
	require.NoError(t, err)
	berlin, _ := time.LoadLocation("Europe/Berlin")
	// Sunday 1 March 2026, 02:30 in Berlin is 01:30 UTC.
	assert.True(t, is.Active("maint", time.Date(2026, 3, 1, 1, 30, 0, 0, time.UTC)))
	assert.True(t, is.Active("maint", time.Date(2026, 3, 1, 2, 30, 0, 0, berlin)))
	assert.False(t, is.Active("maint", time.Date(2026, 3, 1, 3, 30, 0, 0, time.UTC)), "04:30 Berlin")
	assert.False(t, is.Active("maint", time.Date(2026, 3, 2, 1, 30, 0, 0, time.UTC)), "Monday")
	assert.True(t, is.Active("business", time.Date(2026, 3, 4, 12, 0, 0, 0, time.UTC)))
	assert.False(t, is.Active("business", time.Date(2026, 3, 7, 12, 0, 0, 0, time.UTC)), "Saturday")
	assert.True(t, is.Active("monthend", time.Date(2026, 2, 28, 12, 0, 0, 0, time.UTC)))
	assert.False(t, is.Active("monthend", time.Date(2026, 3, 28, 12, 0, 0, 0, time.UTC)))

	r := &Route{MuteTimeIntervals: []string{"maint"}}
	assert.True(t, is.Muted(r, time.Date(2026, 3, 1, 1, 30, 0, 0, time.UTC)))
	active := &Route{ActiveTimeIntervals: []string{"business"}}
	assert.True(t, is.Muted(active, time.Date(2026, 3, 7, 12, 0, 0, 0, time.UTC)), "outside active intervals")
	assert.False(t, is.Muted(active, time.Date(2026, 3, 4, 12, 0, 0, 0, time.UTC)))

	for _, bad := range []TimeIntervalConfig{
		{Weekdays: []string{"funday"}},
		{Times: []TimeRange{{StartTime: "10:00", EndTime: "09:00"}}},
		{DaysOfMonth: []string{"0"}},
		{Location: "Nowhere/Land"},
	} {
		_, err := CompileTimeInterval(bad)
		assert.Error(t, err, "%+v", bad)
	}
}
