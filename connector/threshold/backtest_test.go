package threshold

import (
	"context"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/otelcol-payments/otelcol-payments/internal/contract"
	"github.com/otelcol-payments/otelcol-payments/internal/sim"
)

// backtest replays simulator traffic (sim.Replay) through the threshold
// engine on the simulated clock, ticking every evaluation interval. It
// stands in for processor/paymentbi, whose clock cannot be driven from
// here, for the two business metrics the rules read: the reporting
// currency revenue (cumulative sum) and each item's available stock
// (gauge), both emitted every 15 s as paymentbi does.
type backtest struct {
	t        *testing.T
	h        *harness
	interval time.Duration
	nextTick time.Time
	nextEmit time.Time
	revenue  float64
	stock    map[string]int64
	// soldOut is when each item first reached zero.
	soldOut map[string]time.Time
	start   time.Time
}

// exchangeRates are config/*.yaml's paymentbi rates to USD.
var exchangeRates = map[string]float64{"USD": 1, "EUR": 1.08, "GBP": 1.27, "JPY": 0.0067, "KWD": 3.25}

const businessEmitInterval = 15 * time.Second

func newBacktest(t *testing.T, cfg *Config, start time.Time) *backtest {
	h := newHarnessWith(t, cfg, &fakeClock{now: start}, new(consumertest.LogsSink))
	h.e.logger = h.e.logger.WithOptions() // keep the test logger
	return &backtest{
		t: t, h: h, interval: cfg.EvaluationInterval, start: start,
		nextTick: start.Add(cfg.EvaluationInterval), nextEmit: start.Add(businessEmitInterval),
		stock: map[string]int64{}, soldOut: map[string]time.Time{},
	}
}

func (b *backtest) Advance(now time.Time) {
	for {
		next := b.nextTick
		if b.nextEmit.Before(next) {
			next = b.nextEmit
		}
		if now.Before(next) {
			break
		}
		b.h.clock.now = next
		if next.Equal(b.nextEmit) {
			b.emitBusinessMetrics()
			b.nextEmit = b.nextEmit.Add(businessEmitInterval)
		}
		if next.Equal(b.nextTick) {
			b.h.tick()
			b.nextTick = b.nextTick.Add(b.interval)
		}
	}
	b.h.clock.now = now
}

func (b *backtest) emitBusinessMetrics() {
	at := b.h.clock.now
	b.h.metrics(makeCumulativeSum(b.t, "payment.revenue.reporting", b.start, at,
		gaugePoint{value: b.revenue, attrs: map[string]any{contract.PaymentCurrency: "USD"}}))
	if len(b.stock) == 0 {
		return
	}
	items := make([]string, 0, len(b.stock))
	for id := range b.stock {
		items = append(items, id)
	}
	sort.Strings(items)
	points := make([]gaugePoint, 0, len(items))
	for _, id := range items {
		points = append(points, gaugePoint{value: float64(b.stock[id]), attrs: map[string]any{contract.InventoryItemID: id}})
	}
	b.h.metrics(makeGauge(b.t, "inventory.available", at, points...))
}

// business reads a purchase or inventory event as paymentbi would.
func (b *backtest) business(name string, attrs pcommon.Map) {
	switch name {
	case contract.EventPurchase:
		m, err := contract.AmountFrom(attrs)
		if err != nil {
			return
		}
		if cur, ok := attrs.Get(contract.PaymentCurrency); ok {
			m.Currency = cur.Str()
		}
		b.revenue += contract.MinorToMajorFloat(m.Minor, m.Currency) * exchangeRates[m.Currency]
	case contract.EventInventory:
		id, ok1 := attrs.Get(contract.InventoryItemID)
		avail, ok2 := attrs.Get(contract.InventoryAvailable)
		if ok1 && ok2 {
			b.stock[id.AsString()] = avail.Int()
			if _, seen := b.soldOut[id.AsString()]; !seen && avail.Int() <= 0 {
				b.soldOut[id.AsString()] = b.h.clock.now
			}
		}
	}
}

func (b *backtest) ConsumeTraces(td ptrace.Traces) {
	for _, rs := range td.ResourceSpans().All() {
		for _, ss := range rs.ScopeSpans().All() {
			for _, sp := range ss.Spans().All() {
				for _, ev := range sp.Events().All() {
					b.business(ev.Name(), ev.Attributes())
				}
			}
		}
	}
	b.h.traces(td)
}

func (b *backtest) ConsumeLogs(ld plog.Logs) {
	for _, rl := range ld.ResourceLogs().All() {
		for _, sl := range rl.ScopeLogs().All() {
			for _, lr := range sl.LogRecords().All() {
				b.business(contract.LogEventName(lr), lr.Attributes())
			}
		}
	}
	b.h.logs(ld)
}

// run replays cfg for d and returns the alerts emitted.
func (b *backtest) run(simCfg sim.Config) []contract.Alert {
	b.t.Helper()
	_, err := sim.Replay(context.Background(), simCfg, b.start, b)
	require.NoError(b.t, err)
	b.Advance(b.h.clock.now.Add(b.interval)) // the last tick
	return b.h.newAlerts()
}

// healthyTraffic is cmd/paymentsim's default mix at a small shop's pace
// (5 checkouts/s), without the injected faults: no outage and no
// card-testing attacks (paymentsim's default of one burst per 500
// sessions is an attack every 25 s at its 20/s, a fault rather than
// background).
func healthyTraffic(seed int64, d time.Duration) sim.Config {
	return sim.Config{
		Seed: seed, Rate: 5, Duration: d,
		DuplicateRate: 0.02, SpanEventShare: sim.DefaultSpanEventShare, RefundRate: sim.DefaultRefundRate,
	}
}

// Healthy traffic pages nobody: 20 seeded half-hours of simulated traffic
// through the shipped gateway rules produce no critical alert, and the
// non-critical ones stay few (counted per rule, bounded).
func TestBacktestHealthyRunsPageNothingCritical(t *testing.T) {
	if testing.Short() {
		t.Skip("replays 10 simulated hours (about a minute)")
	}
	cfg := shippedConfig(t, "gateway")
	const seeds = 20
	type result struct {
		seed   int64
		alerts []contract.Alert
	}
	results := make(chan result, seeds)
	for seed := int64(1); seed <= seeds; seed++ {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			t.Parallel()
			b := newBacktest(t, cfg, t0)
			results <- result{seed, b.run(healthyTraffic(seed, 30*time.Minute))}
		})
	}
	t.Cleanup(func() {
		close(results)
		perRule := map[string]int{}
		for r := range results {
			for _, a := range r.alerts {
				if a.Status != contract.AlertFiring {
					continue
				}
				perRule[a.Severity+" "+a.Name]++
				if a.Severity == contract.SeverityCritical {
					t.Errorf("seed %d: critical page on healthy traffic at +%s: %s %s", r.seed, a.StartsAt.Sub(t0), a.Name, a.Summary)
				}
			}
		}
		t.Logf("alerts fired over %d healthy half-hours: %v", seeds, perRule)
		for rule, n := range perRule {
			if rule == contract.SeverityWarning+" low_stock" {
				continue // the simulator sells items down to their restock point all the time
			}
			assert.LessOrEqual(t, n, healthyFalseAlarmBudget, "false alarms of %s over %d healthy half-hours", rule, seeds)
		}
	})
}

// healthyFalseAlarmBudget bounds the non-critical false alarms of one rule
// over the 20 healthy half-hours.
const healthyFalseAlarmBudget = 5

// firstFiring returns the first firing record of rule, and whether one
// resolved before until.
func firstFiring(alerts []contract.Alert, rule string) (fired *contract.Alert, resolves []contract.Alert) {
	for i := range alerts {
		a := &alerts[i]
		if a.Name != rule {
			continue
		}
		if a.Status == contract.AlertFiring && fired == nil {
			fired = a
		}
		if a.Status == contract.AlertResolved {
			resolves = append(resolves, *a)
		}
	}
	return fired, resolves
}

// Every injected fault is detected by the shipped rules, on time.
func TestBacktestFaultsAreDetected(t *testing.T) {
	if testing.Short() {
		t.Skip("replays simulated hours")
	}
	cfg := shippedConfig(t, "gateway")

	t.Run("provider outage", func(t *testing.T) {
		t.Parallel()
		c := healthyTraffic(1, 30*time.Minute)
		c.Outage = &sim.Outage{Start: 10 * time.Minute, Length: 10 * time.Minute, FailureRate: 0.6}
		alerts := newBacktest(t, cfg, t0).run(c)
		outage := t0.Add(10 * time.Minute)
		burst, _ := firstFiring(alerts, "critical_payment_failure")
		require.NotNil(t, burst, "the burst pages")
		assert.Less(t, burst.StartsAt.Sub(outage), 90*time.Second, "within a minute and a tick")
		rate, resolves := firstFiring(alerts, "payment_failure_rate")
		require.NotNil(t, rate)
		assert.Less(t, rate.StartsAt.Sub(outage), 3*time.Minute)
		require.NotEmpty(t, resolves, "resolves after the outage")
		assert.True(t, resolves[0].EndsAt.After(outage.Add(10*time.Minute)), "not before the outage ended")
	})

	t.Run("revenue stop", func(t *testing.T) {
		t.Parallel()
		// Every payment fails for 20 minutes after 35 minutes of trade.
		c := healthyTraffic(2, 60*time.Minute)
		c.Outage = &sim.Outage{Start: 35 * time.Minute, Length: 20 * time.Minute, FailureRate: 1}
		alerts := newBacktest(t, cfg, t0).run(c)
		stop, resume := t0.Add(35*time.Minute), t0.Add(55*time.Minute)
		for _, rc := range []struct {
			rule string
			hold time.Duration
		}{
			{"revenue_stopped", 10*time.Minute + cfg.EvaluationInterval},
			{"revenue_anomaly", 2*time.Minute + 2*businessEmitInterval + cfg.EvaluationInterval},
		} {
			fired, resolves := firstFiring(alerts, rc.rule)
			require.NotNil(t, fired, "%s fires", rc.rule)
			firedAt := fired.StartsAt
			if rc.rule == "revenue_anomaly" {
				firedAt = firedAt.Add(2 * time.Minute) // starts_at is when it went pending
			}
			assert.LessOrEqual(t, firedAt.Sub(stop), rc.hold, "%s detected within its hold", rc.rule)
			require.NotEmpty(t, resolves, "%s resolves once revenue is back", rc.rule)
			assert.True(t, resolves[0].EndsAt.After(resume), "%s stays firing until revenue resumes (resolved at +%s)", rc.rule, resolves[0].EndsAt.Sub(t0))
		}
	})

	t.Run("card testing", func(t *testing.T) {
		t.Parallel()
		c := healthyTraffic(3, 30*time.Minute)
		c.CardTestingRate = sim.DefaultCardTestingRate
		alerts := newBacktest(t, cfg, t0).run(c)
		fired, _ := firstFiring(alerts, "security_incident")
		require.NotNil(t, fired)
		assert.Equal(t, "card_testing", fired.Labels[contract.SecurityIncidentType])
		_, _ = firstFiring(alerts, "payment_failure_rate")
		for _, a := range alerts {
			assert.NotEqual(t, "payment_failure_rate", a.Name, "customers' declines from the attack are not a provider outage")
		}
	})

	t.Run("stock-out", func(t *testing.T) {
		t.Parallel()
		b := newBacktest(t, cfg, t0)
		alerts := b.run(healthyTraffic(4, 30*time.Minute))
		require.NotEmpty(t, b.soldOut, "the simulator sells items out")
		for item, at := range b.soldOut {
			warned := false
			for _, a := range alerts {
				if a.Name == "low_stock" && a.Status == contract.AlertFiring && a.Labels[contract.InventoryItemID] == item &&
					!a.StartsAt.After(at.Add(businessEmitInterval+cfg.EvaluationInterval)) {
					warned = true
				}
			}
			assert.True(t, warned, "%s sold out at +%s without low_stock firing", item, at.Sub(t0))
		}
	})
}
