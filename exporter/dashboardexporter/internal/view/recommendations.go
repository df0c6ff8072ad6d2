package view

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/otelcol-payments/otelcol-payments/exporter/dashboardexporter/internal/store"
	"github.com/otelcol-payments/otelcol-payments/internal/contract"
)

// Recommendation kinds.
const (
	RecFunnelDrop      = "funnel_drop"
	RecSuccessDrop     = "payment_success_drop"
	RecSlowOperation   = "slow_operation"
	RecAbandonment     = "currency_abandonment"
	RecCountryAbandon  = "country_abandonment"
	recentWindow       = time.Hour
	recMinTrials       = 30
	recMinDrop         = 0.05
	recMinRelativeDrop = 0.3
	recMinZ            = 3.0
	maxRecommendation  = 5
)

// Recommendation names one problem in words, with its evidence and the
// metric (and firing alert, if any) that supports it.
type Recommendation struct {
	Kind     string `json:"kind"`
	Title    string `json:"title"`
	Evidence string `json:"evidence"`
	// Metric and Labels are the supporting series; Alert is the
	// fingerprint of a firing alert on the same labels ("" if none).
	Metric string            `json:"metric"`
	Labels map[string]string `json:"labels"`
	Alert  string            `json:"alert,omitempty"`
	// Score ranks the recommendations: a z-score for a drop against the
	// baseline, the threshold multiple for a slow operation.
	Score float64 `json:"score"`
}

// dropZ is the pooled two-proportion z-score of a fall from the baseline
// rate xb/nb to the recent rate xr/nr (positive: fell).
func dropZ(xb, nb, xr, nr float64) float64 {
	p := (xb + xr) / (nb + nr)
	se := math.Sqrt(p * (1 - p) * (1/nb + 1/nr))
	if se == 0 {
		return 0
	}
	return (xb/nb - xr/nr) / se
}

// fell reports a significant fall of a rate over the recent window from
// its baseline (today and yesterday before the window).
func fell(xb, nb, xr, nr float64) (float64, bool) {
	if nb < recMinTrials || nr < recMinTrials {
		return 0, false
	}
	z := dropZ(xb, nb, xr, nr)
	// 5 points, or 30 % of a lower baseline rate (a 6 % conversion
	// halving matters as much as a 95 % success rate losing 5 points)
	minDrop := min(recMinDrop, recMinRelativeDrop*xb/nb)
	return z, xb/nb-xr/nr >= minDrop && z >= recMinZ
}

// baseline is the counts of today and yesterday before the recent window.
func baseline(t store.Totals) float64 { return max(0, t.Today+t.Yesterday-t.Window) }

// recommendations applies the rule set: the funnel step whose
// continuation fell most against its own baseline, the payment methods
// and providers whose success rate fell, the operations slower than their
// threshold. Most significant first.
func (b *Builder) recommendations(latency []Operation) []Recommendation {
	var out []Recommendation
	if r, ok := b.funnelDrop(); ok {
		out = append(out, r)
	}
	for _, dim := range []struct {
		label string
		keys  []string
	}{{contract.PaymentMethod, methodKeys}, {contract.PaymentProvider, []string{contract.PaymentProvider, "provider"}}} {
		out = append(out, b.successDrops(dim.label, dim.keys)...)
	}
	out = append(out, b.segmentAbandonment("currency", RecAbandonment, "currencies")...)
	out = append(out, b.segmentAbandonment("country", RecCountryAbandon, "countries")...)
	for _, op := range latency {
		if !op.Breach || op.P95Ms == nil || op.ThresholdMs == nil || *op.ThresholdMs <= 0 {
			continue
		}
		out = append(out, Recommendation{
			Kind:     RecSlowOperation,
			Title:    fmt.Sprintf("%s is slower than its threshold", op.Name),
			Evidence: fmt.Sprintf("p95 %.0f ms over the last %s against a threshold of %.0f ms (%.0f calls)", *op.P95Ms, b.opts.LatencyWindow, *op.ThresholdMs, op.Calls),
			Metric:   b.opts.SpanMetricsNamespace + spanDuration,
			Labels:   map[string]string{spanNameKey: op.Name},
			Score:    *op.P95Ms / *op.ThresholdMs,
		})
	}
	active := b.alerts.Active()
	for i := range out {
		out[i].Alert = alertOn(active, out[i].Labels)
	}
	slices.SortStableFunc(out, func(x, y Recommendation) int { return cmp.Compare(y.Score, x.Score) })
	if out == nil {
		return []Recommendation{}
	}
	return out[:min(len(out), maxRecommendation)]
}

// funnelDrop finds the step-to-step continuation that fell most
// significantly in the recent window.
func (b *Builder) funnelDrop() (Recommendation, bool) {
	n := len(contract.FunnelSteps)
	recent, base := make([]float64, n), make([]float64, n)
	for v, t := range b.group(MetricFunnel, recentWindow, stepKeys) {
		if i := funnelIndex(v); i >= 0 {
			recent[i] += t.Window
			base[i] += baseline(t)
		}
	}
	var best Recommendation
	found := false
	for i := 0; i+1 < n; i++ {
		z, ok := fell(base[i+1], base[i], recent[i+1], recent[i])
		if !ok || (found && z <= best.Score) {
			continue
		}
		from, to := contract.FunnelSteps[i], contract.FunnelSteps[i+1]
		best = Recommendation{
			Kind:  RecFunnelDrop,
			Title: fmt.Sprintf("Visitors drop off between %s and %s", stepLabels[from], stepLabels[to]),
			Evidence: fmt.Sprintf("%.0f %% continued in the last hour (%.0f of %.0f) against %.0f %% before (%.0f of %.0f)",
				100*recent[i+1]/recent[i], recent[i+1], recent[i], 100*base[i+1]/base[i], base[i+1], base[i]),
			Metric: MetricFunnel,
			// paymentbi's checkout.step value: the name without its namespace
			Labels: map[string]string{contract.CheckoutStep: strings.TrimPrefix(from, "ecommerce.")},
			Score:  z,
		}
		found = true
	}
	return best, found
}

// successDrops lists the values of one attempt label (method, provider)
// whose payment success fell significantly in the recent window.
func (b *Builder) successDrops(label string, keys []string) []Recommendation {
	type counts struct{ okB, allB, okR, allR float64 }
	per := map[string]*counts{}
	for key, t := range b.group(MetricAttempts, recentWindow, keys, outcomeKeys) {
		kv := store.SplitKey(key)
		value, outcome := kv[0], kv[1]
		if value == "" || (!isSucceeded(outcome) && !isFailed(outcome)) {
			continue
		}
		c := per[value]
		if c == nil {
			c = &counts{}
			per[value] = c
		}
		c.allB += baseline(t)
		c.allR += t.Window
		if isSucceeded(outcome) {
			c.okB += baseline(t)
			c.okR += t.Window
		}
	}
	var out []Recommendation
	for _, value := range slices.Sorted(mapKeys(per)) {
		c := per[value]
		z, ok := fell(c.okB, c.allB, c.okR, c.allR)
		if !ok {
			continue
		}
		out = append(out, Recommendation{
			Kind:  RecSuccessDrop,
			Title: fmt.Sprintf("Payment success fell for %s %s", label, value),
			Evidence: fmt.Sprintf("%.1f %% of %.0f attempts succeeded in the last hour against %.1f %% of %.0f before",
				100*c.okR/c.allR, c.allR, 100*c.okB/c.allB, c.allB),
			Metric: MetricAttempts,
			Labels: map[string]string{label: value},
			Score:  z,
		})
	}
	return out
}

// segmentAbandonment lists the values of one paymentbi segment dimension
// (currency, country) whose visitors convert significantly less today
// than those of the other values together: its product views end in a
// purchase less often. The overflow and unknown values are no place to
// name.
func (b *Builder) segmentAbandonment(dim, kind, others string) []Recommendation {
	type counts struct{ visits, orders float64 }
	per := map[string]*counts{}
	var all counts
	for _, metric := range []string{MetricSegmentVisits, MetricSegmentOrders} {
		for key, t := range b.group(metric, 0, []string{segmentDimensionKey}, []string{segmentValueKey}) {
			kv := store.SplitKey(key)
			if kv[0] != dim || kv[1] == "" {
				continue
			}
			c := per[kv[1]]
			if c == nil {
				c = &counts{}
				per[kv[1]] = c
			}
			if metric == MetricSegmentVisits {
				c.visits += t.Today
				all.visits += t.Today
			} else {
				c.orders += t.Today
				all.orders += t.Today
			}
		}
	}
	var out []Recommendation
	for _, value := range slices.Sorted(mapKeys(per)) {
		c := per[value]
		restOrders, restVisits := all.orders-c.orders, all.visits-c.visits
		z, ok := fell(restOrders, restVisits, c.orders, c.visits)
		if !ok || value == otherSegment || value == unknownSegment {
			continue
		}
		out = append(out, Recommendation{
			Kind:  kind,
			Title: fmt.Sprintf("Unusual abandonment in %s %s", dim, value),
			Evidence: fmt.Sprintf("%.1f %% of %.0f product views in %s led to a purchase today against %.1f %% in the other %s",
				100*c.orders/c.visits, c.visits, value, 100*restOrders/restVisits, others),
			Metric: MetricSegmentVisits,
			Labels: map[string]string{segmentDimensionKey: dim, segmentValueKey: value},
			Score:  z,
		})
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

// alertOn is the fingerprint of the most severe firing alert whose labels
// include all of labels.
func alertOn(active []store.AlertEntry, labels map[string]string) string {
	for _, a := range active {
		match := len(labels) > 0
		for k, v := range labels {
			if a.Labels[k] != v {
				match = false
				break
			}
		}
		if match {
			return a.Fingerprint
		}
	}
	return ""
}
