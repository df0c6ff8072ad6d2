package threshold

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"text/template"
	"time"

	"github.com/otelcol-payments/otelcol-payments/connector/threshold/internal/rules"
	"github.com/otelcol-payments/otelcol-payments/connector/threshold/internal/state"
	"github.com/otelcol-payments/otelcol-payments/internal/contract"
)

type ruleKind int

const (
	kindLatency ruleKind = iota
	kindRatio
	kindMetric
	kindAnomaly
	kindEvent
	kindAbsence
)

// Defaults applied to rule fields left at zero.
const (
	defaultSeverity        = contract.SeverityWarning
	defaultPercentile      = 95
	defaultWindowSlots     = 5
	defaultStaleAfter      = 5 * time.Minute
	defaultEventKeepFiring = 5 * time.Minute
	defaultAlpha           = 0.1
	defaultDeviations      = 3
	defaultWarmupSamples   = 30
	defaultMinExpected     = 10
	defaultAbsenceWarmup   = 30 * time.Minute
	// absenceIdleAfter keeps a silent absence series (and its hour-of-day
	// profile) through nights and weekends without traffic.
	absenceIdleAfter = 72 * time.Hour
)

// Anomaly directions.
const (
	dirBoth = iota
	dirAbove
	dirBelow
)

// rule is a compiled RuleConfig.
type rule struct {
	idx      int
	name     string
	severity string
	runbook  string
	groupBy  []string
	timing   state.Timing
	kind     ruleKind
	// expr describes the condition for people (alert.rule).
	expr    string
	subject string
	// unit of value and threshold in messages: "ms", "%" (a ratio shown as
	// a percentage), "/s" or "".
	unit string

	summary, description *template.Template

	// span_latency, ratio (match is "of"), event
	match *rules.Matcher
	where *rules.Matcher

	// span_latency: thresholds in ms; percentile, or minSlow in count mode.
	thresholdMs, resolveMs float64
	percentile             float64
	minSlow                uint32
	hist                   rules.Histogram
	maxCol                 int

	// windowed kinds
	window     rules.Window
	minSamples uint64

	// ratio, metric
	op                   rules.Operator
	threshold, resolveAt float64

	// metric, anomaly
	metric     string
	attrs      []rules.AttributeMatch
	staleAfter time.Duration
	ref        string
	minRef     float64

	// anomaly
	useRate            bool
	alpha, k, resolveK float64
	minStd             float64
	warmup             uint32
	direction          int
	relearnAfter       time.Duration
	seasonal           bool

	// absence: the silence length, expectation floor, hour-of-day zone and
	// the minutes of history needed.
	absenceWindow time.Duration
	minExpected   float64
	loc           *time.Location
	rateWarmup    uint32
}

// compileRules checks cfg and builds its rules.
func compileRules(cfg *Config) ([]*rule, error) {
	var errs []error
	if cfg.EvaluationInterval <= 0 {
		errs = append(errs, errors.New("evaluation_interval: must be positive"))
	}
	if cfg.MaxSeries <= 0 {
		errs = append(errs, errors.New("max_series: must be positive"))
	}
	seen := map[string]int{}
	out := make([]*rule, 0, len(cfg.Rules))
	for i := range cfg.Rules {
		rc := &cfg.Rules[i]
		r, err := compileRule(i, rc)
		if err != nil {
			errs = append(errs, fmt.Errorf("rules[%d] (%s): %w", i, rc.Name, err))
			continue
		}
		if j, dup := seen[rc.Name]; dup {
			errs = append(errs, fmt.Errorf("rules[%d]: name %q is already used by rules[%d]", i, rc.Name, j))
			continue
		}
		seen[rc.Name] = i
		out = append(out, r)
	}
	errs = append(errs, checkMetricNames(cfg)...)
	errs = append(errs, checkAttributeKeys(cfg)...)
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}

func compileRule(idx int, rc *RuleConfig) (*rule, error) {
	r := &rule{idx: idx, name: rc.Name, severity: rc.Severity, runbook: rc.RunbookURL, maxCol: -1}
	if rc.Name == "" {
		return nil, errors.New("name: must not be empty")
	}
	if r.severity == "" {
		r.severity = defaultSeverity
	}
	if contract.SeverityRank(r.severity) == 0 {
		return nil, fmt.Errorf("severity: %q is not one of %s", rc.Severity, strings.Join(contract.Severities, ", "))
	}
	for i, k := range rc.GroupBy {
		if k == "" {
			return nil, fmt.Errorf("group_by[%d]: must not be empty", i)
		}
	}
	r.groupBy = rc.GroupBy
	if rc.For < 0 || rc.KeepFiringFor < 0 || rc.Cooldown < 0 {
		return nil, errors.New("for, keep_firing_for and cooldown must not be negative")
	}
	r.timing = state.Timing{For: rc.For, KeepFiringFor: rc.KeepFiringFor, Cooldown: rc.Cooldown}

	kinds := 0
	for _, set := range []bool{rc.SpanLatency != nil, rc.Ratio != nil, rc.Metric != nil, rc.Anomaly != nil, rc.Event != nil, rc.Absence != nil} {
		if set {
			kinds++
		}
	}
	if kinds != 1 {
		return nil, errors.New("exactly one of span_latency, ratio, metric, anomaly, event or absence must be set")
	}
	var err error
	switch {
	case rc.SpanLatency != nil:
		err = r.compileLatency(rc.SpanLatency)
	case rc.Ratio != nil:
		err = r.compileRatio(rc.Ratio)
	case rc.Metric != nil:
		err = r.compileMetric(rc.Metric)
	case rc.Anomaly != nil:
		err = r.compileAnomaly(rc.Anomaly)
	case rc.Event != nil:
		err = r.compileEvent(rc)
	case rc.Absence != nil:
		err = r.compileAbsence(rc.Absence)
	}
	if err != nil {
		return nil, err
	}
	if r.summary, err = parseTemplate("summary", rc.Summary, r.defaultSummary()); err != nil {
		return nil, err
	}
	if r.description, err = parseTemplate("description", rc.Description, ""); err != nil {
		return nil, err
	}
	return r, nil
}

func (r *rule) compileLatency(c *SpanLatencyConfig) error {
	r.kind = kindLatency
	m, err := compileMatch("span_latency.match", c.Match)
	if err != nil {
		return err
	}
	if !m.SelectsSpans() {
		return errors.New("span_latency.match: event_names cannot select spans; use span_names")
	}
	r.match = m
	if c.Threshold <= 0 {
		return errors.New("span_latency.threshold: must be a positive duration")
	}
	if err := checkWindow("span_latency.window", c.Window); err != nil {
		return err
	}
	r.thresholdMs = durMs(c.Threshold)
	r.resolveMs = r.thresholdMs
	if c.ResolveBelow != 0 {
		if c.ResolveBelow < 0 || c.ResolveBelow > c.Threshold {
			return errors.New("span_latency.resolve_below: must be positive and not above threshold")
		}
		r.resolveMs = durMs(c.ResolveBelow)
	}
	switch {
	case c.MinSlowCount > 0 && c.Percentile != 0:
		return errors.New("span_latency: set percentile or min_slow_count, not both")
	case c.MinSlowCount > 0:
		r.minSlow = c.MinSlowCount
		r.expr = fmt.Sprintf("count(%s slower than %s) >= %d over %s", matchText(c.Match), c.Threshold, c.MinSlowCount, c.Window)
		r.subject = fmt.Sprintf("%s slower than %s", matchText(c.Match), c.Threshold)
	default:
		r.percentile = c.Percentile
		if r.percentile == 0 {
			r.percentile = defaultPercentile
		}
		if r.percentile < 0 || r.percentile > 100 {
			return fmt.Errorf("span_latency.percentile: %v is not in (0, 100]", c.Percentile)
		}
		r.expr = fmt.Sprintf("p%s(duration of %s) > %s over %s", fmtNum(r.percentile), matchText(c.Match), c.Threshold, c.Window)
		r.subject = fmt.Sprintf("p%s latency of %s", fmtNum(r.percentile), matchText(c.Match))
		r.unit = "ms"
	}
	r.op = rules.OpGreater
	r.hist = rules.NewLatencyHistogram(r.thresholdMs, r.resolveMs)
	r.maxCol = r.hist.Buckets()
	r.window = rules.NewWindow(c.Window, defaultWindowSlots, r.hist.Buckets()+1)
	r.minSamples = c.MinSamples
	r.timing.UnknownGrace = c.Window
	return nil
}

func (r *rule) compileRatio(c *RatioConfig) error {
	r.kind = kindRatio
	var err error
	if r.match, err = compileMatch("ratio.of", c.Of); err != nil {
		return err
	}
	if r.where, err = compileMatch("ratio.where", c.Where); err != nil {
		return err
	}
	if err := checkWindow("ratio.window", c.Window); err != nil {
		return err
	}
	if err := r.compileComparison("ratio", c.Comparison); err != nil {
		return err
	}
	r.window = rules.NewWindow(c.Window, defaultWindowSlots, 2)
	r.minSamples = max(c.MinSamples, 1)
	r.timing.UnknownGrace = c.Window
	r.expr = fmt.Sprintf("share of %s where %s %s %s over %s", matchText(c.Of), matchText(c.Where), r.op, fmtNum(r.threshold), c.Window)
	r.subject = fmt.Sprintf("share of %s with %s", matchText(c.Of), matchText(c.Where))
	r.unit = "%"
	return nil
}

func (r *rule) compileMetric(c *MetricConfig) error {
	r.kind = kindMetric
	if c.Name == "" {
		return errors.New("metric.name: must not be empty")
	}
	r.metric = c.Name
	var err error
	if r.attrs, err = compileAttrs("metric.attributes", c.Attributes); err != nil {
		return err
	}
	if err := r.compileComparison("metric", c.Comparison); err != nil {
		return err
	}
	if r.staleAfter, err = staleAfter("metric.stale_after", c.StaleAfter); err != nil {
		return err
	}
	r.timing.UnknownGrace = r.staleAfter
	r.expr = fmt.Sprintf("%s%s %s %s", c.Name, attrsText(c.Attributes), r.op, fmtNum(r.threshold))
	if c.RelativeTo != "" {
		if c.RelativeTo == c.Name {
			return errors.New("metric.relative_to: must name another metric")
		}
		r.ref, r.minRef = c.RelativeTo, c.MinReference
		r.expr += " × " + c.RelativeTo
	} else if c.MinReference != 0 {
		return errors.New("metric.min_reference: needs relative_to")
	}
	r.subject = c.Name
	return nil
}

func (r *rule) compileAnomaly(c *AnomalyConfig) error {
	r.kind = kindAnomaly
	if c.Metric == "" {
		return errors.New("anomaly.metric: must not be empty")
	}
	r.metric, r.useRate = c.Metric, c.UseRate
	var err error
	if r.attrs, err = compileAttrs("anomaly.attributes", c.Attributes); err != nil {
		return err
	}
	r.alpha = orDefault(c.Alpha, defaultAlpha)
	if r.alpha <= 0 || r.alpha > 1 {
		return fmt.Errorf("anomaly.alpha: %v is not in (0, 1]", c.Alpha)
	}
	r.k = orDefault(c.Deviations, defaultDeviations)
	r.resolveK = orDefault(c.ResolveDeviations, r.k)
	if r.k <= 0 || r.resolveK <= 0 || r.resolveK > r.k {
		return errors.New("anomaly.deviations and resolve_deviations: must be positive, resolve_deviations not above deviations")
	}
	switch c.Direction {
	case "", "both":
		r.direction = dirBoth
	case "above":
		r.direction = dirAbove
	case "below":
		r.direction = dirBelow
	default:
		return fmt.Errorf("anomaly.direction: unknown direction %q (want both, above or below)", c.Direction)
	}
	if c.MinDeviation < 0 {
		return errors.New("anomaly.min_deviation: must not be negative")
	}
	r.minStd = c.MinDeviation
	r.warmup = c.WarmupSamples
	if r.warmup == 0 {
		r.warmup = defaultWarmupSamples
	}
	if r.staleAfter, err = staleAfter("anomaly.stale_after", c.StaleAfter); err != nil {
		return err
	}
	if c.RelearnAfter < 0 {
		return errors.New("anomaly.relearn_after: must not be negative")
	}
	r.relearnAfter = c.RelearnAfter
	switch c.Seasonality {
	case "":
	case "hour_of_day":
		r.seasonal = true
	default:
		return fmt.Errorf("anomaly.seasonality: unknown seasonality %q (want hour_of_day or none)", c.Seasonality)
	}
	if r.loc, err = time.LoadLocation(c.Timezone); err != nil {
		return fmt.Errorf("anomaly.timezone: %w", err)
	}
	r.timing.UnknownGrace = r.staleAfter
	what := c.Metric
	if c.UseRate {
		what = "rate(" + c.Metric + ")"
		r.unit = "/s"
	}
	r.expr = fmt.Sprintf("%s%s outside EWMA(alpha=%s) ± %s deviations", what, attrsText(c.Attributes), fmtNum(r.alpha), fmtNum(r.k))
	r.subject = what
	return nil
}

func (r *rule) compileEvent(rc *RuleConfig) error {
	r.kind = kindEvent
	var err error
	if r.match, err = compileMatch("event.match", rc.Event.Match); err != nil {
		return err
	}
	if rc.For != 0 {
		return errors.New("for: event rules fire at once; use cooldown to rate-limit")
	}
	if r.timing.KeepFiringFor == 0 {
		r.timing.KeepFiringFor = defaultEventKeepFiring
	}
	r.expr = "any " + matchText(rc.Event.Match)
	r.subject = namesText(rc.Event.Match)
	r.threshold = math.NaN()
	return nil
}

func (r *rule) compileAbsence(c *AbsenceConfig) error {
	r.kind = kindAbsence
	var err error
	if r.match, err = compileMatch("absence.match", c.Match); err != nil {
		return err
	}
	if err := checkWindow("absence.window", c.Window); err != nil {
		return err
	}
	if c.Window < time.Minute {
		return errors.New("absence.window: must be at least 1m (rates are learned per minute)")
	}
	r.absenceWindow = c.Window
	r.minExpected = orDefault(c.MinExpected, defaultMinExpected)
	if r.minExpected <= 0 {
		return errors.New("absence.min_expected: must be positive")
	}
	if r.loc, err = time.LoadLocation(c.Timezone); err != nil {
		return fmt.Errorf("absence.timezone: %w", err)
	}
	warmup := c.Warmup
	if warmup == 0 {
		warmup = defaultAbsenceWarmup
	}
	if warmup < time.Minute {
		return errors.New("absence.warmup: must be at least 1m")
	}
	r.rateWarmup = uint32(warmup / time.Minute)
	// The window's count is the alert's value; its slots are the window.
	r.window = rules.NewWindow(c.Window, defaultWindowSlots, 1)
	r.timing.UnknownGrace = c.Window
	r.op = rules.OpLess
	r.expr = fmt.Sprintf("no %s for %s while ≥ %s are expected in that time", matchText(c.Match), c.Window, fmtNum(r.minExpected))
	r.subject = namesText(c.Match)
	return nil
}

func (r *rule) compileComparison(field string, c Comparison) error {
	if c.Operator == "" {
		return fmt.Errorf("%s.op: must be set (>, <, >=, <=, ==, !=)", field)
	}
	op, err := rules.ParseOperator(c.Operator)
	if err != nil {
		return fmt.Errorf("%s.op: %w", field, err)
	}
	r.op, r.threshold, r.resolveAt = op, c.Threshold, c.Threshold
	switch {
	case c.ResolveBelow != nil && c.ResolveAbove != nil:
		return fmt.Errorf("%s: set resolve_below or resolve_above, not both", field)
	case c.ResolveBelow != nil:
		if !op.Upward() || *c.ResolveBelow > c.Threshold {
			return fmt.Errorf("%s.resolve_below: needs op > or >= and a value not above threshold", field)
		}
		r.resolveAt = *c.ResolveBelow
	case c.ResolveAbove != nil:
		if !op.Downward() || *c.ResolveAbove < c.Threshold {
			return fmt.Errorf("%s.resolve_above: needs op < or <= and a value not below threshold", field)
		}
		r.resolveAt = *c.ResolveAbove
	}
	return nil
}

func compileMatch(field string, mc MatchConfig) (*rules.Matcher, error) {
	attrs, err := compileAttrs(field+".attributes", mc.Attributes)
	if err != nil {
		return nil, err
	}
	m, err := rules.NewMatcher(rules.MatcherSpec{
		SpanNames: mc.SpanNames, SpanKind: mc.SpanKind, SpanStatus: mc.SpanStatus,
		EventNames: mc.EventNames, Attributes: attrs,
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", field, err)
	}
	return m, nil
}

func compileAttrs(field string, ac []AttributeConfig) ([]rules.AttributeMatch, error) {
	out := make([]rules.AttributeMatch, 0, len(ac))
	for i, a := range ac {
		if a.Key == "" {
			return nil, fmt.Errorf("%s[%d].key: must not be empty", field, i)
		}
		out = append(out, rules.AttributeMatch{Key: a.Key, Values: a.Values, Not: a.Not})
	}
	return out, nil
}

func checkWindow(field string, w time.Duration) error {
	if w <= 0 {
		return fmt.Errorf("%s: must be set to a positive duration", field)
	}
	if w < defaultWindowSlots*time.Millisecond {
		return fmt.Errorf("%s: %s is too short", field, w)
	}
	return nil
}

func staleAfter(field string, d time.Duration) (time.Duration, error) {
	if d < 0 {
		return 0, fmt.Errorf("%s: must not be negative", field)
	}
	if d == 0 {
		return defaultStaleAfter, nil
	}
	return d, nil
}

func orDefault(v, def float64) float64 {
	if v == 0 {
		return def
	}
	return v
}
