package threshold

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/confmap"

	"github.com/otelcol-payments/otelcol-payments/internal/contract"
	"github.com/otelcol-payments/otelcol-payments/internal/e2e"
	"github.com/otelcol-payments/otelcol-payments/internal/sim"
)

// mergedProfileConfig loads the threshold connector of config files merged
// in order, as `--config a --config b` does, with an empty environment.
func mergedProfileConfig(t *testing.T, files ...string) *Config {
	t.Helper()
	var paths []string
	for _, f := range files {
		paths = append(paths, filepath.Join("..", "..", "config", f))
	}
	cm := e2e.ResolveFiles(t, paths...)
	sub, err := cm.Sub("connectors::threshold")
	require.NoError(t, err)
	cfg := createDefaultConfig().(*Config)
	require.NoError(t, sub.Unmarshal(cfg))
	require.NoError(t, confmap.Validate(cfg))
	return cfg
}

// stampedAlert is an alert record with the simulated time it was emitted.
type stampedAlert struct {
	contract.Alert
	at time.Time
}

// demoRun replays the demo traffic through the backtest, collecting the
// alert records as they are emitted.
type demoRun struct {
	*backtest
	alerts []stampedAlert
}

func (d *demoRun) Advance(now time.Time) {
	d.backtest.Advance(now)
	for _, a := range d.h.newAlerts() {
		d.alerts = append(d.alerts, stampedAlert{a, now})
	}
}

// `make demo` tells its story: paymentsim --demo (sim.Demo) through the
// local profile with the demo overlay, on a simulated clock. Nothing fires
// on the healthy baseline; the provider outage pages within a minute; every
// alert resolves within 90 s of the recovery, so that its resolve
// notification (the overlay's 30 s group interval) arrives within two
// minutes. Four seeds, as the live demo's timing varies a little.
func TestDemoTellsTheStory(t *testing.T) {
	cfg := mergedProfileConfig(t, "otelcol.yaml", "overlays/demo.yaml")
	for _, seed := range []int64{1, 2, 3, 4} {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			t.Parallel()
			scenario := sim.Demo()
			scenario.Seed = seed
			outage := t0.Add(scenario.Outage.Start)
			recovery := outage.Add(scenario.Outage.Length)
			d := &demoRun{backtest: newBacktest(t, cfg, t0)}
			_, err := sim.Replay(context.Background(), scenario, t0, d)
			require.NoError(t, err)
			d.Advance(t0.Add(scenario.Duration + cfg.EvaluationInterval))

			firing := map[string]time.Time{} // fingerprint -> emitted
			firstFiring := map[string]time.Duration{}
			for _, a := range d.alerts {
				t.Logf("+%s %s %s %s %v", a.at.Sub(t0), a.Status, a.Severity, a.Name, a.Labels)
				switch a.Status {
				case contract.AlertFiring:
					assert.False(t, a.at.Before(outage), "%s fired at +%s, before the outage (+%s)", a.Name, a.at.Sub(t0), outage.Sub(t0))
					firing[a.Fingerprint] = a.at
					if _, seen := firstFiring[a.Name]; !seen {
						firstFiring[a.Name] = a.at.Sub(outage)
					}
				case contract.AlertResolved:
					assert.LessOrEqual(t, a.at.Sub(recovery), 90*time.Second, "%s resolved %s after the recovery", a.Name, a.at.Sub(recovery))
					delete(firing, a.Fingerprint)
				}
			}
			for _, rule := range []string{"critical_payment_failure", "payment_failure_rate"} {
				after, ok := firstFiring[rule]
				if assert.True(t, ok, "%s fires during the outage", rule) {
					assert.LessOrEqual(t, after, time.Minute, "%s fired %s after the outage began", rule, after)
				}
			}
			assert.Empty(t, firing, "alerts still firing at the end of the demo")
		})
	}
}
