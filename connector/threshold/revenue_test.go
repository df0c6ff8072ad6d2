package threshold

import (
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"
	"go.opentelemetry.io/collector/consumer/consumertest"

	"github.com/otelcol-payments/otelcol-payments/internal/contract"
)

var envDefault = regexp.MustCompile(`\$\{env:[A-Za-z_][A-Za-z0-9_]*:-([^}]*)\}`)

// shippedConfig loads the threshold connector of a shipped profile
// (config/<profile>.yaml), keeping only the named rules (all when none).
func shippedConfig(t testing.TB, profile string, names ...string) *Config {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "config", profile+".yaml"))
	require.NoError(t, err)
	// ${env:NAME:-default} as with an empty environment.
	raw = envDefault.ReplaceAll(raw, []byte("$1"))
	path := filepath.Join(t.TempDir(), profile+".yaml")
	require.NoError(t, os.WriteFile(path, raw, 0o600))
	cm, err := confmaptest.LoadConf(path)
	require.NoError(t, err)
	sub, err := cm.Sub("connectors::threshold")
	require.NoError(t, err)
	cfg := createDefaultConfig().(*Config)
	require.NoError(t, sub.Unmarshal(cfg))
	require.NoError(t, confmap.Validate(cfg))
	if len(names) == 0 {
		return cfg
	}
	var keep []RuleConfig
	for _, n := range names {
		found := false
		for _, rc := range cfg.Rules {
			if rc.Name == n {
				keep, found = append(keep, rc), true
			}
		}
		require.True(t, found, "%s has no rule %s", profile, n)
	}
	cfg.Rules = keep
	return cfg
}

// revenueFeed sends payment.revenue.reporting as paymentbi does: one
// cumulative sum per emit interval.
type revenueFeed struct {
	t     *testing.T
	h     *harness
	total float64
	every time.Duration
}

func (f *revenueFeed) step(ratePerSec float64) {
	f.h.clock.Advance(f.every)
	f.total += ratePerSec * f.every.Seconds()
	f.h.metrics(makeCumulativeSum(f.t, "payment.revenue.reporting", t0, f.h.clock.now,
		gaugePoint{value: f.total, attrs: map[string]any{contract.PaymentMethod: "card"}}))
	f.h.tick()
}

// A revenue stop must not teach the baseline that zero is normal: with the
// shipped revenue_anomaly rule the alert fires within its hold and stays
// firing for the whole 42-minute stop (the case that went unnoticed when
// anomalous samples still fed the variance), then resolves once revenue is
// back.
func TestRevenueAnomalyStaysFiringThroughAStop(t *testing.T) {
	for _, profile := range []string{"otelcol", "gateway"} {
		t.Run(profile, func(t *testing.T) {
			cfg := shippedConfig(t, profile, "revenue_anomaly")
			h := newHarnessWith(t, cfg, &fakeClock{now: t0}, new(consumertest.LogsSink))
			f := &revenueFeed{t: t, h: h, every: 15 * time.Second}
			rng := rand.New(rand.NewPCG(1, 2))
			for range 120 { // 30 minutes of ~12/s with Poisson-like noise
				f.step(12 + 3.5*rng.NormFloat64())
			}
			require.Empty(t, h.newAlerts(), "healthy revenue is no anomaly")

			stoppedAt := h.clock.now
			var firedAt time.Time
			for range 42 * 4 {
				f.step(0)
				for _, a := range h.newAlerts() {
					require.Equal(t, contract.AlertFiring, a.Status, "resolved at %s into the stop", h.clock.now.Sub(stoppedAt))
					firedAt = h.clock.now
				}
			}
			require.False(t, firedAt.IsZero(), "a revenue stop must fire")
			hold := cfg.Rules[0].For + cfg.EvaluationInterval + 15*time.Second
			assert.LessOrEqual(t, firedAt.Sub(stoppedAt), hold, "fired within the hold")

			for range 8 {
				f.step(12)
			}
			assert.Equal(t, []string{"revenue_anomaly:resolved"}, statuses(h.newAlerts()), "resolves once revenue is back")
		})
	}
}

// relearn_after turns a lasting level shift into the new normal.
func TestAnomalyRelearnAfter(t *testing.T) {
	h := newHarness(t, `
known_metrics: [m]
rules:
  - name: shift
    anomaly: {metric: m, warmup_samples: 5, min_deviation: 0.5, direction: below, relearn_after: 5m}
`)
	send := func(v float64, n int) {
		for range n {
			h.metrics(makeGauge(t, "m", h.clock.now, gaugePoint{value: v}))
			h.tick()
			h.clock.Advance(15 * time.Second)
		}
	}
	send(10, 20)
	send(5, 4) // one minute below: fires
	assert.Equal(t, []string{"shift:firing"}, statuses(h.newAlerts()))
	send(5, 50) // after 5m the baseline starts again at 5; warm-up; then normal
	assert.Equal(t, []string{"shift:resolved"}, statuses(h.newAlerts()))
	send(5, 20)
	assert.Empty(t, h.newAlerts())
	_ = math.Abs
}

// With hour-of-day seasonality a shop's evening drop is normal from the
// second day on, while a stop in the afternoon still fires.
func TestAnomalyHourOfDaySeasonality(t *testing.T) {
	rules := func(seasonality string) string {
		return `
evaluation_interval: 15s
rules:
  - name: revenue_anomaly
    for: 2m
    anomaly:
      metric: payment.revenue.reporting
      use_rate: true
      alpha: 0.1
      deviations: 3
      resolve_deviations: 2
      direction: below
      warmup_samples: 30
      min_deviation: 0.5
      seasonality: "` + seasonality + `"
`
	}
	// t0 is 10:00 UTC: busy (12/s) 08:00-20:00, quiet (2/s) otherwise.
	level := func(at time.Time) float64 {
		if h := at.Hour(); h >= 8 && h < 20 {
			return 12
		}
		return 2
	}
	for _, tc := range []struct {
		seasonality  string
		eveningFires bool
	}{{"", true}, {"hour_of_day", false}} {
		t.Run("seasonality="+tc.seasonality, func(t *testing.T) {
			h := newHarness(t, rules(tc.seasonality))
			f := &revenueFeed{t: t, h: h, every: 15 * time.Second}
			rng := rand.New(rand.NewPCG(3, 4))
			noisy := func(v float64) float64 { return max(0, v+0.08*v*rng.NormFloat64()) }
			for range 24 * 60 * 4 { // day one learns every hour
				f.step(noisy(level(h.clock.now)))
			}
			h.newAlerts()
			for range 12 * 60 * 4 { // day two until 22:00 (through the evening drop)
				f.step(noisy(level(h.clock.now)))
			}
			evening := h.newAlerts()
			if tc.eveningFires {
				require.NotEmpty(t, evening, "one baseline: the evening drop looks like an anomaly")
				return
			}
			assert.Empty(t, evening, "the evening drop is normal for 20:00")
			for range 16 * 60 * 4 { // on to 14:00 on day three
				f.step(noisy(level(h.clock.now)))
			}
			require.Empty(t, h.newAlerts())
			for range 4 * 4 { // revenue stops
				f.step(0)
			}
			assert.Equal(t, []string{"revenue_anomaly:firing"}, statuses(h.newAlerts()))
		})
	}
}

func TestAnomalySeasonalityConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		ac   AnomalyConfig
		want string
	}{
		{AnomalyConfig{Metric: "m", Seasonality: "weekly"}, `anomaly.seasonality: unknown seasonality "weekly"`},
		{AnomalyConfig{Metric: "m", Seasonality: "hour_of_day", Timezone: "Mars/X"}, "anomaly.timezone"},
	} {
		cfg := createDefaultConfig().(*Config)
		cfg.Rules = []RuleConfig{{Name: "a", Anomaly: &tc.ac}}
		err := cfg.Validate()
		require.Error(t, err)
		assert.Contains(t, err.Error(), tc.want)
	}
}
