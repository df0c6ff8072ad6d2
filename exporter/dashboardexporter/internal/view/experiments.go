package view

import (
	"cmp"
	"slices"

	"github.com/otelcol-payments/otelcol-payments/internal/contract"
)

// Experiment metrics of the paymentbi connector.
const (
	MetricExperimentRate      = contract.MetricExperimentRate
	MetricExperimentTrials    = contract.MetricExperimentTrials
	MetricExperimentUplift    = contract.MetricExperimentUplift
	MetricExperimentLower     = contract.MetricExperimentUpliftLower
	MetricExperimentUpper     = contract.MetricExperimentUpliftUpper
	MetricExperimentPValue    = contract.MetricExperimentPValue
	MetricExperimentGuardrail = contract.MetricExperimentGuardrail
	experimentMetricKey       = contract.MetricLabelExperimentMetric
)

// maxExperimentRows bounds the experiments panel.
const maxExperimentRows = 20

// ExperimentRow is one variant against its control on one metric.
type ExperimentRow struct {
	Experiment string `json:"experiment"`
	Variant    string `json:"variant"`
	// Metric is conversion or payment_success.
	Metric string   `json:"metric"`
	Rate   *float64 `json:"rate"`
	Trials *float64 `json:"trials"`
	// Uplift is the variant's rate minus the control's, Lower..Upper its
	// always-valid interval; null for the control and until tested.
	Uplift *float64 `json:"uplift"`
	Lower  *float64 `json:"lower"`
	Upper  *float64 `json:"upper"`
	PValue *float64 `json:"p_value"`
	// Worse: significantly worse than the control (the guardrail).
	Worse bool `json:"worse"`
}

// experiments lists every variant and metric paymentbi reports, flagged
// ones first.
func (b *Builder) experiments() []ExperimentRow {
	type key struct{ exp, variant, metric string }
	rows := map[key]*ExperimentRow{}
	read := func(name string, set func(*ExperimentRow, float64)) {
		for _, g := range b.store.Gauges(name, nil) {
			k := key{g.Labels.Get(contract.ExperimentID), g.Labels.Get(contract.ExperimentVariant), g.Labels.Get(experimentMetricKey)}
			if k.exp == "" || k.variant == "" {
				continue
			}
			if rows[k] == nil {
				rows[k] = &ExperimentRow{Experiment: k.exp, Variant: k.variant, Metric: k.metric}
			}
			set(rows[k], g.Value)
		}
	}
	read(MetricExperimentRate, func(r *ExperimentRow, v float64) { r.Rate = ptr(v) })
	read(MetricExperimentTrials, func(r *ExperimentRow, v float64) { r.Trials = ptr(v) })
	read(MetricExperimentUplift, func(r *ExperimentRow, v float64) { r.Uplift = ptr(v) })
	read(MetricExperimentLower, func(r *ExperimentRow, v float64) { r.Lower = ptr(v) })
	read(MetricExperimentUpper, func(r *ExperimentRow, v float64) { r.Upper = ptr(v) })
	read(MetricExperimentPValue, func(r *ExperimentRow, v float64) { r.PValue = ptr(v) })
	read(MetricExperimentGuardrail, func(r *ExperimentRow, v float64) { r.Worse = v >= 1 })
	out := make([]ExperimentRow, 0, len(rows))
	for _, r := range rows {
		out = append(out, *r)
	}
	slices.SortFunc(out, func(x, y ExperimentRow) int {
		if x.Worse != y.Worse {
			if x.Worse {
				return -1
			}
			return 1
		}
		return cmp.Or(cmp.Compare(x.Experiment, y.Experiment), cmp.Compare(x.Metric, y.Metric), cmp.Compare(x.Variant, y.Variant))
	})
	return out[:min(len(out), maxExperimentRows)]
}
