package engine

import (
	"cmp"
	"math"
	"slices"

	"github.com/otelcol-payments/otelcol-payments/internal/contract"
)

// ExperimentSettings configure the comparison of experiment variants.
type ExperimentSettings struct {
	// Alpha is the false-alarm level of the sequential test (default 0.05):
	// the chance that a variant no worse than the control is ever flagged,
	// however often the figures are looked at.
	Alpha float64
	// Tau is the standard deviation of the normal mixture over the effect
	// (default 0.05: effects of a few points are what is looked for).
	Tau float64
	// Control names the control variant (default "control"); without one
	// of that name, the alphabetically first variant is the control.
	Control string
	// MinTrials is the trials each variant needs before it is tested
	// (default 100), so the normal approximation holds.
	MinTrials int64
	// MaxExperiments and MaxVariants bound the cardinality (defaults 10
	// and 5); events of further experiments or variants are not counted
	// per variant (paymentbi.dropped_experiment_events).
	MaxExperiments, MaxVariants int
}

func (s ExperimentSettings) withDefaults() ExperimentSettings {
	if s.Alpha <= 0 || s.Alpha >= 1 {
		s.Alpha = 0.05
	}
	if s.Tau <= 0 {
		s.Tau = 0.05
	}
	if s.Control == "" {
		s.Control = "control"
	}
	if s.MinTrials <= 0 {
		s.MinTrials = 100
	}
	if s.MaxExperiments <= 0 {
		s.MaxExperiments = 10
	}
	if s.MaxVariants <= 0 {
		s.MaxVariants = 5
	}
	return s
}

// Experiment metric names (the experiment.metric attribute).
const (
	AttrExperimentMetric = contract.MetricLabelExperimentMetric
	ExperimentConversion = "conversion"
	ExperimentPaySuccess = "payment_success"
)

type expKey struct{ id, variant string }

// expStats are one variant's funnel events and charge outcomes.
type expStats struct {
	funnel            [5]int64
	succeeded, failed int64
}

// variantStats returns the stats of ev's variant, nil when ev has no
// experiment or the cardinality bound is reached. e.mu must be held.
func (e *Engine) variantStats(ev *event) *expStats {
	if ev.expID == "" || ev.expVariant == "" {
		return nil
	}
	a := &e.agg
	k := expKey{ev.expID, ev.expVariant}
	if s := a.experiments[k]; s != nil {
		return s
	}
	ids, variants := map[string]struct{}{}, 0
	for o := range a.experiments {
		ids[o.id] = struct{}{}
		if o.id == k.id {
			variants++
		}
	}
	_, known := ids[k.id]
	if (!known && len(ids) >= e.ex.MaxExperiments) || variants >= e.ex.MaxVariants {
		a.expDropped++
		return nil
	}
	s := &expStats{}
	a.experiments[k] = s
	return s
}

// observeExperiment counts a counted funnel event, purchase or charge
// for its variant. e.mu must be held.
func (e *Engine) observeExperiment(ev *event) {
	s := e.variantStats(ev)
	if s == nil {
		return
	}
	switch ev.kind {
	case kindFunnel, kindPurchase:
		s.funnel[ev.step]++
	case kindCharge:
		switch outcome(ev) {
		case contract.StatusSucceeded:
			s.succeeded++
		case contract.StatusFailed:
			s.failed++
		}
	}
}

// Comparison is a variant against the control on one metric, with the
// always-valid test's figures (see SequentialTest).
type Comparison struct {
	Experiment, Variant, Control, Metric string
	Trials, Successes                    int64
	ControlTrials, ControlSuccesses      int64
	// Uplift is the variant's rate minus the control's; Lower and Upper
	// bound it (confidence sequence at 1-alpha); PValue is always valid.
	Uplift, Lower, Upper, PValue float64
	// Tested: both arms have MinTrials. Worse: the variant is
	// significantly worse (Upper < 0).
	Tested, Worse bool
}

// SequentialTest compares x1/n1 with x0/n0 by the mixture sequential
// probability ratio test of Johari, Pekelis and Walsh ("Always valid
// inference", 2017) on the normal approximation of the difference of two
// proportions, with a N(0, tau²) mixture over the effect. The likelihood
// ratio Λ = sqrt(V/(V+τ²))·exp(τ²θ²/(2V(V+τ²))) is a martingale under no
// effect, so P(Λ ever ≥ 1/α) ≤ α however often it is evaluated: the
// p-value min(1, 1/Λ) and the interval θ ± sqrt(V(V+τ²)/τ²·(2 ln(1/α) +
// ln((V+τ²)/V))) stay valid under continuous monitoring.
func SequentialTest(x1, n1, x0, n0 int64, tau, alpha float64) (uplift, lower, upper, p float64) {
	p1, p0 := float64(x1)/float64(n1), float64(x0)/float64(n0)
	uplift = p1 - p0
	// a rate of exactly 0 or 1 would give no variance: half a success
	// keeps the variance positive (continuity)
	pv := func(p float64, n int64) float64 {
		p = min(max(p, 0.5/float64(n)), 1-0.5/float64(n))
		return p * (1 - p) / float64(n)
	}
	v := pv(p1, n1) + pv(p0, n0)
	t2 := tau * tau
	logLambda := 0.5*math.Log(v/(v+t2)) + t2*uplift*uplift/(2*v*(v+t2))
	p = min(1, math.Exp(-logLambda))
	half := math.Sqrt(v * (v + t2) / t2 * (2*math.Log(1/alpha) + math.Log((v+t2)/v)))
	return uplift, uplift - half, uplift + half, p
}

// Comparisons returns every variant against its experiment's control on
// conversion and payment success, sorted.
func (e *Engine) Comparisons() []Comparison {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.comparisons()
}

func (e *Engine) comparisons() []Comparison {
	byID := map[string][]string{}
	for k := range e.agg.experiments {
		byID[k.id] = append(byID[k.id], k.variant)
	}
	var out []Comparison
	for _, id := range slices.Sorted(mapKeys(byID)) {
		variants := byID[id]
		slices.Sort(variants)
		control := variants[0]
		if slices.Contains(variants, e.ex.Control) {
			control = e.ex.Control
		}
		// conversion counts from the experiment's first funnel step seen
		entry := len(contract.FunnelSteps) - 1
		for _, v := range variants {
			for step, n := range e.agg.experiments[expKey{id, v}].funnel {
				if n > 0 && step < entry {
					entry = step
				}
			}
		}
		last := len(contract.FunnelSteps) - 1
		c := e.agg.experiments[expKey{id, control}]
		for _, v := range variants {
			if v == control {
				continue
			}
			s := e.agg.experiments[expKey{id, v}]
			out = append(out,
				e.compare(id, v, control, ExperimentConversion, min(s.funnel[last], s.funnel[entry]), s.funnel[entry], min(c.funnel[last], c.funnel[entry]), c.funnel[entry]),
				e.compare(id, v, control, ExperimentPaySuccess, s.succeeded, s.succeeded+s.failed, c.succeeded, c.succeeded+c.failed))
		}
	}
	return out
}

func mapKeys[K comparable, V any](m map[K]V) func(func(K) bool) {
	return func(yield func(K) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func (e *Engine) compare(id, variant, control, metric string, x1, n1, x0, n0 int64) Comparison {
	c := Comparison{
		Experiment: id, Variant: variant, Control: control, Metric: metric,
		Trials: n1, Successes: x1, ControlTrials: n0, ControlSuccesses: x0, PValue: 1,
	}
	if n1 > 0 && n0 > 0 {
		c.Uplift = float64(x1)/float64(n1) - float64(x0)/float64(n0)
	}
	if n1 < e.ex.MinTrials || n0 < e.ex.MinTrials {
		c.Lower, c.Upper = math.Inf(-1), math.Inf(1)
		return c
	}
	c.Tested = true
	c.Uplift, c.Lower, c.Upper, c.PValue = SequentialTest(x1, n1, x0, n0, e.ex.Tau, e.ex.Alpha)
	c.Worse = c.Upper < 0
	return c
}

func (e *Engine) emitExperiments(m *emitter) {
	a := &e.agg
	if len(a.experiments) == 0 && a.expDropped == 0 {
		return
	}
	keys := slices.SortedFunc(mapKeys(a.experiments), func(x, y expKey) int {
		return cmp.Or(cmp.Compare(x.id, y.id), cmp.Compare(x.variant, y.variant))
	})
	funnel := m.gauge(MetricExperimentFunnel, "{event}", "Funnel events per experiment variant since start (a gauge: the input of the variant comparison).")
	for _, k := range keys {
		for step, n := range a.experiments[k].funnel {
			m.point(funnel, false, contract.ExperimentID, k.id, contract.ExperimentVariant, k.variant,
				contract.CheckoutStep, StepName(step)).SetIntValue(n)
		}
	}
	rate := m.gauge(MetricExperimentRate, "1", "Conversion or payment success of the variant since start.")
	trials := m.gauge(MetricExperimentTrials, "{trial}", "Trials of the variant's rate: entry funnel events, or charge attempts.")
	uplift := m.gauge(MetricExperimentUplift, "1", "Variant rate minus the control's.")
	lower := m.gauge(MetricExperimentUpliftLower, "1", "Lower bound of the uplift (always-valid 1-alpha confidence sequence).")
	upper := m.gauge(MetricExperimentUpliftUpper, "1", "Upper bound of the uplift (always-valid 1-alpha confidence sequence).")
	pval := m.gauge(MetricExperimentPValue, "1", "Always-valid p-value of no difference from the control (mixture SPRT).")
	guard := m.gauge(MetricExperimentGuardrail, "1", "1 when the variant is significantly worse than the control, else 0.")
	seen := map[[3]string]bool{}
	for _, c := range e.comparisons() {
		for _, arm := range []struct {
			variant string
			x, n    int64
		}{{c.Control, c.ControlSuccesses, c.ControlTrials}, {c.Variant, c.Successes, c.Trials}} {
			if seen[[3]string{c.Experiment, arm.variant, c.Metric}] || arm.n == 0 {
				continue
			}
			seen[[3]string{c.Experiment, arm.variant, c.Metric}] = true
			attrs := []string{contract.ExperimentID, c.Experiment, contract.ExperimentVariant, arm.variant, AttrExperimentMetric, c.Metric}
			m.point(rate, false, attrs...).SetDoubleValue(float64(arm.x) / float64(arm.n))
			m.point(trials, false, attrs...).SetIntValue(arm.n)
		}
		if !c.Tested {
			continue
		}
		attrs := []string{contract.ExperimentID, c.Experiment, contract.ExperimentVariant, c.Variant, AttrExperimentMetric, c.Metric}
		m.point(uplift, false, attrs...).SetDoubleValue(c.Uplift)
		m.point(lower, false, attrs...).SetDoubleValue(c.Lower)
		m.point(upper, false, attrs...).SetDoubleValue(c.Upper)
		m.point(pval, false, attrs...).SetDoubleValue(c.PValue)
		g := 0.0
		if c.Worse {
			g = 1
		}
		m.point(guard, false, attrs...).SetDoubleValue(g)
	}
	if a.expDropped > 0 {
		m.point(m.sum(MetricDroppedExperimentEvents, "{event}", "Events of experiments or variants beyond the cardinality bound, not counted per variant."), true).
			SetIntValue(a.expDropped)
	}
}
