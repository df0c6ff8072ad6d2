package threshold

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"
	"go.opentelemetry.io/collector/consumer/consumertest"

	"github.com/otelcol-payments/otelcol-payments/internal/contract"
)

// purchases sends one purchase every gap for d, ticking every 15 s.
func purchases(t *testing.T, h *harness, d, gap time.Duration) {
	t.Helper()
	end := h.clock.now.Add(d)
	nextTick := h.clock.now.Add(15 * time.Second)
	for h.clock.now.Before(end) {
		if gap > 0 {
			h.logs(makeEventLogs(t, contract.EventPurchase, 1, nil))
		}
		step := gap
		if step <= 0 {
			step = 15 * time.Second
		}
		h.clock.Advance(step)
		for !h.clock.now.Before(nextTick) {
			h.tick()
			nextTick = nextTick.Add(15 * time.Second)
		}
	}
}

// The shipped revenue_stopped rule pages a stop within its window and
// stays firing until purchases resume, however long the stop lasts.
func TestRevenueStoppedFiresAndHoldsUntilPurchasesResume(t *testing.T) {
	for _, profile := range []string{"otelcol", "gateway"} {
		t.Run(profile, func(t *testing.T) {
			cfg := shippedConfig(t, profile, "revenue_stopped")
			window := cfg.Rules[0].Absence.Window
			h := newHarnessWith(t, cfg, &fakeClock{now: t0}, new(consumertest.LogsSink))
			purchases(t, h, 45*time.Minute, 10*time.Second) // 6 per minute
			require.Empty(t, h.newAlerts())

			stoppedAt := h.clock.now
			purchases(t, h, 3*time.Hour, 0)
			fired := h.newAlerts()
			require.Len(t, fired, 1, "one page for the whole stop")
			assert.Equal(t, contract.AlertFiring, fired[0].Status)
			assert.Equal(t, contract.SeverityCritical, fired[0].Severity)
			assert.LessOrEqual(t, fired[0].StartsAt.Sub(stoppedAt), window+cfg.EvaluationInterval, "detected within the window")
			assert.Equal(t, 0.0, fired[0].Value)
			assert.InDelta(t, 6*window.Minutes(), fired[0].Threshold, 0.3*6*window.Minutes(), "expected count in the window")
			assert.Contains(t, fired[0].Summary, "No ")

			purchases(t, h, 2*time.Minute, 10*time.Second)
			resolved := h.newAlerts()
			require.Len(t, resolved, 1)
			assert.Equal(t, contract.AlertResolved, resolved[0].Status)
		})
	}
}

// revenueStoppedRule pages when purchases stop at an hour that has them.
const revenueStoppedRule = `
rules:
  - name: revenue_stopped
    severity: critical
    absence:
      match: {event_names: [ecommerce.purchase]}
      window: 10m
      min_expected: 10
`

// Silence at hours that normally have no purchases (nights) is no alert;
// the same silence at a busy hour is, even when the hours before were quiet.
func TestAbsenceLearnsHoursOfDay(t *testing.T) {
	h := newHarness(t, "evaluation_interval: 15s\n"+revenueStoppedRule)
	// t0 is 10:00 UTC. Two days: busy 08:00–20:00, nothing at night.
	day := func() {
		purchases(t, h, 10*time.Hour, 10*time.Second)              // 10:00-20:00
		purchases(t, h, 12*time.Hour-5*time.Minute, 0)             // 20:00-07:55
		purchases(t, h, 2*time.Hour+5*time.Minute, 10*time.Second) // 07:55-10:00
	}
	day()
	alerts := h.newAlerts()
	// The first evening is not known to be quiet yet: one page then is
	// expected; it must resolve in the morning.
	require.LessOrEqual(t, len(alerts), 2)
	day()
	assert.Empty(t, h.newAlerts(), "the second night is known to be quiet")

	// Day three: a stop at 10:00, a busy hour.
	purchases(t, h, 30*time.Minute, 0)
	assert.Equal(t, []string{"revenue_stopped:firing"}, statuses(h.newAlerts()))
}

func TestAbsenceConfigErrors(t *testing.T) {
	for text, want := range map[string]string{
		`{window: 30s, match: {event_names: [x]}}`:                   "absence.window: must be at least 1m",
		`{window: 10m, match: {event_names: [x]}, timezone: Mars/X}`: "absence.timezone",
		`{window: 10m, match: {event_names: [x]}, min_expected: -1}`: "absence.min_expected: must be positive",
		`{match: {event_names: [x]}}`:                                "absence.window: must be set",
	} {
		cfg := createDefaultConfig().(*Config)
		cfg.Rules = []RuleConfig{{Name: "a"}}
		var ac AbsenceConfig
		cm := mustConf(t, "absence: "+text)
		require.NoError(t, cm.Unmarshal(&struct {
			A *AbsenceConfig `mapstructure:"absence"`
		}{A: &ac}))
		cfg.Rules[0].Absence = &ac
		err := cfg.Validate()
		require.Error(t, err, text)
		assert.Contains(t, err.Error(), want)
	}
}

func mustConf(t *testing.T, text string) *confmap.Conf {
	t.Helper()
	path := filepath.Join(t.TempDir(), "c.yaml")
	require.NoError(t, os.WriteFile(path, []byte(text), 0o600))
	cm, err := confmaptest.LoadConf(path)
	require.NoError(t, err)
	return cm
}
