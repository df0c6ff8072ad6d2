package threshold

import (
	"time"

	"go.opentelemetry.io/collector/component"
)

// Config of the threshold connector.
type Config struct {
	// EvaluationInterval is how often pending, firing and windowed series are
	// evaluated (for, resolution, windows sliding while no data arrives).
	EvaluationInterval time.Duration `mapstructure:"evaluation_interval"`
	// MaxSeries bounds the number of series (rule × grouping label values)
	// kept in memory; the least recently updated ones are evicted first,
	// firing series last.
	MaxSeries int `mapstructure:"max_series"`
	// Storage names a storage extension (file_storage) that keeps firing
	// alerts across restarts. Optional.
	Storage *component.ID `mapstructure:"storage"`
	// Rules are the alert rules.
	Rules []RuleConfig `mapstructure:"rules"`
	// KnownMetrics are metric names rules may use besides paymentbi's and
	// the span metrics (an application's own metrics).
	KnownMetrics []string `mapstructure:"known_metrics"`
	// AllowUnknownMetrics skips the check that rule metrics are known.
	AllowUnknownMetrics bool `mapstructure:"allow_unknown_metrics"`
	// KnownAttributes are attribute keys rules may group or match on besides
	// the contract's and OpenTelemetry's (an application's own keys).
	KnownAttributes []string `mapstructure:"known_attributes"`
	// AllowUnknownAttributes skips the check that rule attribute keys are
	// known.
	AllowUnknownAttributes bool `mapstructure:"allow_unknown_attributes"`

	_ struct{}
}

// RuleConfig is one alert rule. Exactly one of the kind blocks
// (span_latency, ratio, metric, anomaly, event) must be set.
type RuleConfig struct {
	// Name is the alert name; unique among rules.
	Name string `mapstructure:"name"`
	// Severity is critical, high, warning (default) or info.
	Severity string `mapstructure:"severity"`
	// GroupBy lists attribute keys (looked up on the item, then its span,
	// then its resource) whose values split the rule into series.
	GroupBy []string `mapstructure:"group_by"`
	// For is how long the condition must hold before the alert fires.
	For time.Duration `mapstructure:"for"`
	// KeepFiringFor is how long a firing alert stays firing after the
	// condition cleared. For event rules it is how long after the last
	// matching event the alert resolves (default 5m).
	KeepFiringFor time.Duration `mapstructure:"keep_firing_for"`
	// Cooldown is the least time between two notifications of one firing
	// alert; 0 means no re-notification while it keeps firing.
	Cooldown time.Duration `mapstructure:"cooldown"`
	// Summary and Description are Go text/templates; see README.
	Summary     string `mapstructure:"summary"`
	Description string `mapstructure:"description"`
	RunbookURL  string `mapstructure:"runbook_url"`

	SpanLatency *SpanLatencyConfig `mapstructure:"span_latency"`
	Ratio       *RatioConfig       `mapstructure:"ratio"`
	Metric      *MetricConfig      `mapstructure:"metric"`
	Anomaly     *AnomalyConfig     `mapstructure:"anomaly"`
	Event       *EventConfig       `mapstructure:"event"`
	Absence     *AbsenceConfig     `mapstructure:"absence"`
}

// MatchConfig selects spans, span events and log records. Span criteria
// (span_names, span_kind, span_status) select spans; event_names selects log
// records by event.name and span events by name; attribute matchers apply to
// both.
type MatchConfig struct {
	SpanNames  []string          `mapstructure:"span_names"`
	SpanKind   string            `mapstructure:"span_kind"`
	SpanStatus string            `mapstructure:"span_status"`
	EventNames []string          `mapstructure:"event_names"`
	Attributes []AttributeConfig `mapstructure:"attributes"`
}

// AttributeConfig matches one attribute: one of values (compared as
// strings), or mere presence when values is empty; not negates.
type AttributeConfig struct {
	Key    string   `mapstructure:"key"`
	Values []string `mapstructure:"values"`
	Not    bool     `mapstructure:"not"`
}

// SpanLatencyConfig fires when the windowed percentile of matching span
// durations exceeds threshold, or, with min_slow_count, when at least that
// many spans in the window were slower than threshold.
type SpanLatencyConfig struct {
	Match        MatchConfig   `mapstructure:"match"`
	Threshold    time.Duration `mapstructure:"threshold"`
	Percentile   float64       `mapstructure:"percentile"`
	MinSlowCount uint32        `mapstructure:"min_slow_count"`
	Window       time.Duration `mapstructure:"window"`
	MinSamples   uint64        `mapstructure:"min_samples"`
	// ResolveBelow: a firing alert resolves only once the percentile (or the
	// slow count's latency bound) is back below this; defaults to threshold.
	ResolveBelow time.Duration `mapstructure:"resolve_below"`
}

// Comparison is an operator with threshold and optional hysteresis.
type Comparison struct {
	Operator  string  `mapstructure:"op"`
	Threshold float64 `mapstructure:"threshold"`
	// ResolveBelow (for > and >=) or ResolveAbove (for < and <=) is where a
	// firing alert resolves, so values hovering at the threshold do not
	// flap.
	ResolveBelow *float64 `mapstructure:"resolve_below"`
	ResolveAbove *float64 `mapstructure:"resolve_above"`
}

// RatioConfig compares, over a sliding window, the share of items matching
// of that also match where.
type RatioConfig struct {
	Of         MatchConfig   `mapstructure:"of"`
	Where      MatchConfig   `mapstructure:"where"`
	Window     time.Duration `mapstructure:"window"`
	MinSamples uint64        `mapstructure:"min_samples"`
	Comparison `mapstructure:",squash"`
}

// MetricConfig compares the latest value of a gauge or sum data point.
type MetricConfig struct {
	Name       string            `mapstructure:"name"`
	Attributes []AttributeConfig `mapstructure:"attributes"`
	Comparison `mapstructure:",squash"`
	// StaleAfter: a series without new points for this long has no value
	// (a firing alert on it resolves).
	StaleAfter time.Duration `mapstructure:"stale_after"`
	// RelativeTo names a second metric (same grouping labels) whose latest
	// value multiplies threshold and resolve thresholds: "progress < 0.8 ×
	// pace". MinReference skips evaluation while that value is below it
	// (early in the day the pace is close to zero).
	RelativeTo   string  `mapstructure:"relative_to"`
	MinReference float64 `mapstructure:"min_reference"`
}

// AnomalyConfig compares a metric's value (or its per-second rate) with its
// own EWMA baseline.
type AnomalyConfig struct {
	Metric     string            `mapstructure:"metric"`
	Attributes []AttributeConfig `mapstructure:"attributes"`
	// UseRate compares the per-second rate of a sum instead of its value.
	UseRate bool `mapstructure:"use_rate"`
	// Alpha is the EWMA smoothing factor in (0, 1].
	Alpha float64 `mapstructure:"alpha"`
	// Deviations is how many standard deviations from the mean fire.
	Deviations float64 `mapstructure:"deviations"`
	// ResolveDeviations is where a firing anomaly resolves (default
	// Deviations).
	ResolveDeviations float64 `mapstructure:"resolve_deviations"`
	// Direction: both (default), above or below.
	Direction string `mapstructure:"direction"`
	// WarmupSamples is how many samples build the baseline before the rule
	// may fire.
	WarmupSamples uint32 `mapstructure:"warmup_samples"`
	// MinDeviation floors the standard deviation (in the metric's unit), so a
	// flat baseline does not make every small change an anomaly.
	MinDeviation float64       `mapstructure:"min_deviation"`
	StaleAfter   time.Duration `mapstructure:"stale_after"`
	// RelearnAfter: after this long of anomalous samples the baseline starts
	// again from the current level (with a new warm-up), so a lasting level
	// shift becomes the new normal. 0 (default): the baseline stays frozen
	// for as long as the anomaly lasts.
	RelearnAfter time.Duration `mapstructure:"relearn_after"`
	// Seasonality "hour_of_day" keeps a baseline per hour of the day (in
	// Timezone, default UTC) and judges a sample against its hour's once
	// that has its warm-up; "" (default): one baseline.
	Seasonality string `mapstructure:"seasonality"`
	Timezone    string `mapstructure:"timezone"`
}

// AbsenceConfig fires when no matching item arrived for window at a time
// when at least min_expected of them would normally arrive in a window
// ("no purchases for 10 minutes during hours that normally have them").
type AbsenceConfig struct {
	Match MatchConfig `mapstructure:"match"`
	// Window is how long without a matching item fires.
	Window time.Duration `mapstructure:"window"`
	// MinExpected is how many items the learned rate must expect within
	// window for silence to count (default 10: a silence that long happens
	// by chance with a probability of e^-10).
	MinExpected float64 `mapstructure:"min_expected"`
	// Timezone (IANA name) of the hour-of-day profile; default UTC.
	Timezone string `mapstructure:"timezone"`
	// Warmup is how much traffic history (default 30m) the recent rate needs
	// before it is trusted; an hour of day is trusted once seen for 30m.
	Warmup time.Duration `mapstructure:"warmup"`
}

// EventConfig fires at once on every matching log record, span event or
// span; a series fires once and then re-notifies at most every cooldown.
type EventConfig struct {
	Match MatchConfig `mapstructure:"match"`
}

// Validate checks the configuration; every error names the rule and field.
func (c *Config) Validate() error {
	_, err := compileRules(c)
	return err
}
