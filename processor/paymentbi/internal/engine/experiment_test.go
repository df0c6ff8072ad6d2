package engine

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/otelcol-payments/otelcol-payments/internal/contract"
	"github.com/otelcol-payments/otelcol-payments/internal/sim"
)

// The false-alarm rate of the sequential test under continuous monitoring:
// 400 seeded A/A experiments (both arms convert at 30 %), each looked at
// after every 25 visitors per arm up to 4,000, are flagged as different at
// any look in at most alpha of the runs. A fixed-sample z-test looked at as
// often would flag far more (checked below, so the test can tell).
func TestSequentialTestKeepsFalseAlarmsUnderAlpha(t *testing.T) {
	const runs, alpha, maxN, every = 400, 0.05, 4000, 25
	sequential, naive := 0, 0
	for seed := uint64(1); seed <= runs; seed++ {
		rng := rand.New(rand.NewPCG(seed, 42))
		var x0, x1 int64
		flagged, naiveFlagged := false, false
		for n := int64(1); n <= maxN; n++ {
			if rng.Float64() < 0.3 {
				x0++
			}
			if rng.Float64() < 0.3 {
				x1++
			}
			if n%every != 0 || n < 100 {
				continue
			}
			uplift, lower, upper, p := SequentialTest(x1, n, x0, n, 0.05, alpha)
			if p <= alpha || lower > 0 || upper < 0 {
				flagged = true
			}
			// naive: |z| > 1.96 at any look
			p0, p1 := float64(x0)/float64(n), float64(x1)/float64(n)
			se := (p0*(1-p0) + p1*(1-p1)) / float64(n)
			if uplift*uplift > 1.96*1.96*se {
				naiveFlagged = true
			}
		}
		if flagged {
			sequential++
		}
		if naiveFlagged {
			naive++
		}
	}
	t.Logf("A/A runs flagged: sequential %d of %d (%.1f %%), naive repeated z-test %d (%.1f %%)",
		sequential, runs, 100*float64(sequential)/runs, naive, 100*float64(naive)/runs)
	if float64(sequential) > alpha*runs {
		t.Errorf("sequential test flagged %d of %d A/A runs, over alpha %.2f", sequential, runs, alpha)
	}
	if float64(naive) <= alpha*runs*2 {
		t.Errorf("the naive repeated test flagged only %d: the setup no longer shows the peeking problem", naive)
	}
}

func runExperiment(t *testing.T, seed int64, effect float64) (*Engine, map[string]bool) {
	start := time.Date(2026, 7, 16, 9, 0, 0, 0, time.UTC)
	clock := &fakeClock{t: start}
	e := newEngineAt(t, clock)
	// the guardrail is looked at once a simulated minute, as the
	// connector's emissions would show it
	fired := map[string]bool{}
	sink := &engineSink{t: t, e: e, clock: clock, everyMinute: func(time.Time) {
		for _, c := range e.Comparisons() {
			if c.Worse {
				fired[c.Variant+"/"+c.Metric] = true
			}
		}
	}}
	_, err := sim.Replay(context.Background(), sim.Config{
		Seed: seed, Count: 6000, Rate: 1,
		Experiment: &sim.Experiment{ID: "checkout-v2", CheckoutDropEffect: effect},
	}, start, sink)
	if err != nil {
		t.Fatal(err)
	}
	return e, fired
}

// A simulated A/B test where the treatment loses 30 more points of the
// visitors who chose a payment method (about 8 points of conversion from
// product view): the guardrail fires on conversion, not on payment
// success, and the metrics carry the uplift with its interval.
func TestExperimentGuardrailFindsPlantedEffect(t *testing.T) {
	e, fired := runExperiment(t, 7, 0.3)
	if !fired["treatment/"+ExperimentConversion] {
		t.Errorf("the planted conversion loss was not detected: %+v", e.Comparisons())
	}
	if fired["treatment/"+ExperimentPaySuccess] {
		t.Errorf("payment success flagged without an effect on it")
	}
	ms := collect(e)
	key := []string{contract.ExperimentID, "checkout-v2", contract.ExperimentVariant, sim.VariantTreatment, AttrExperimentMetric, ExperimentConversion}
	uplift := value(t, ms, MetricExperimentUplift, key...)
	lower, upper := value(t, ms, MetricExperimentUpliftLower, key...), value(t, ms, MetricExperimentUpliftUpper, key...)
	if !(lower < uplift && uplift < upper && upper < 0) {
		t.Errorf("uplift %v in [%v, %v]: want a negative interval around it", uplift, lower, upper)
	}
	if got := value(t, ms, MetricExperimentGuardrail, key...); got != 1 {
		t.Errorf("guardrail %v, want 1", got)
	}
	if got := value(t, ms, MetricExperimentFunnel, contract.ExperimentID, "checkout-v2", contract.ExperimentVariant, sim.VariantControl,
		contract.CheckoutStep, "view_item"); got < 2500 {
		t.Errorf("control product views %v, want about 3000", got)
	}
}

// Simulated A/A tests through the whole engine raise no guardrail.
func TestExperimentGuardrailQuietOnAA(t *testing.T) {
	for seed := int64(1); seed <= 3; seed++ {
		if _, fired := runExperiment(t, seed, 0); len(fired) > 0 {
			t.Errorf("seed %d: guardrail fired on an A/A test: %v", seed, fired)
		}
	}
}

// Experiments and variants beyond the bound are not counted per variant.
func TestExperimentCardinalityIsBounded(t *testing.T) {
	e, _ := newTestEngine(t, func(s *Settings) { s.Experiments.MaxExperiments, s.Experiments.MaxVariants = 1, 2 })
	for _, v := range [][2]string{{"a", "control"}, {"a", "B"}, {"a", "C"}, {"b", "control"}} {
		observe(t, e, map[string]any{contract.EventName: contract.EventViewItem, contract.ExperimentID: v[0], contract.ExperimentVariant: v[1]})
	}
	ms := collect(e)
	if got := value(t, ms, MetricDroppedExperimentEvents); got != 2 {
		t.Errorf("dropped %v, want 2", got)
	}
	if n := pointCount(ms, MetricExperimentFunnel); n != 2*5 {
		t.Errorf("%d funnel points, want 10 (two variants of one experiment)", n)
	}
}

// payment.charge spans of a variant whose payments fail more: the
// guardrail fires on payment success, per variant, with the uplift's
// interval below 0; the control's rate is reported without an uplift.
func TestExperimentGuardrailOnPaymentSuccess(t *testing.T) {
	e, _ := newTestEngine(t)
	var spans []span
	for i := 0; i < 400; i++ {
		for _, arm := range []struct {
			variant string
			fails   int // of 20
		}{{"control", 1}, {"B", 4}} {
			status := contract.StatusSucceeded
			if i%20 < arm.fails {
				status = contract.StatusFailed
			}
			spans = append(spans, span{name: contract.SpanPaymentCharge, attrs: map[string]any{
				contract.PaymentStatus: status,
				contract.PaymentMethod: "card", contract.ExperimentID: "pay-v2", contract.ExperimentVariant: arm.variant,
			}})
		}
	}
	if err := e.ObserveTraces(bg, traces(spans...)); err != nil {
		t.Fatal(err)
	}
	ms := collect(e)
	key := []string{contract.ExperimentID, "pay-v2", contract.ExperimentVariant, "B", AttrExperimentMetric, ExperimentPaySuccess}
	if got := value(t, ms, MetricExperimentGuardrail, key...); got != 1 {
		t.Errorf("guardrail %v, want 1 for 80 %% vs 95 %% success over 400 attempts each", got)
	}
	if got := value(t, ms, MetricExperimentUplift, key...); math.Abs(got+0.15) > 1e-9 {
		t.Errorf("uplift %v, want -0.15", got)
	}
	if got := value(t, ms, MetricExperimentUpliftUpper, key...); got >= 0 {
		t.Errorf("upper bound %v, want below 0", got)
	}
	control := []string{contract.ExperimentID, "pay-v2", contract.ExperimentVariant, "control", AttrExperimentMetric, ExperimentPaySuccess}
	if got := value(t, ms, MetricExperimentRate, control...); got != 0.95 {
		t.Errorf("control success %v, want 0.95", got)
	}
	if _, ok := lookup(ms, MetricExperimentUplift, control...); ok {
		t.Error("the control has no uplift")
	}
}
