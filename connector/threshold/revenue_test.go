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
