package threshold

import (
	"fmt"
	"slices"

	"github.com/otelcol-payments/otelcol-payments/processor/paymentbi"
)

// spanMetricsNames are the spanmetrics connector's metrics under the
// namespace the profiles and the dashboard use.
var spanMetricsNames = []string{"traces.span.metrics.calls", "traces.span.metrics.duration", "traces.span.metrics.events"}

// checkMetricNames refuses metric and anomaly rules on a metric nobody
// emits: a misspelt name (inventory.availble) would otherwise never fire,
// silently. Known are the paymentbi connector's metrics, the span metrics
// and cfg.KnownMetrics (an application's own metrics); allow_unknown_metrics
// turns the check off.
func checkMetricNames(cfg *Config) []error {
	if cfg.AllowUnknownMetrics {
		return nil
	}
	known := func(name string) bool {
		return slices.Contains(cfg.KnownMetrics, name) || slices.Contains(spanMetricsNames, name) ||
			slices.Contains(paymentbi.MetricNames(), name)
	}
	var errs []error
	check := func(i int, rc *RuleConfig, field, name string) {
		if name != "" && !known(name) {
			errs = append(errs, fmt.Errorf("rules[%d] (%s): %s: %q is neither a paymentbi or span metric nor listed in known_metrics (or set allow_unknown_metrics: true)", i, rc.Name, field, name))
		}
	}
	for i := range cfg.Rules {
		rc := &cfg.Rules[i]
		if rc.Metric != nil {
			check(i, rc, "metric.name", rc.Metric.Name)
			check(i, rc, "metric.relative_to", rc.Metric.RelativeTo)
		}
		if rc.Anomaly != nil {
			check(i, rc, "anomaly.metric", rc.Anomaly.Metric)
		}
	}
	return errs
}
