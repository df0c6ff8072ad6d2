package view

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/otelcol-payments/otelcol-payments/internal/contract"
)

// cumulative renders one cumulative sum per attribute set at time at.
func cumulative(start, at time.Time, name string, points map[[2]string]float64, key string) pmetric.Metrics {
	md := pmetric.NewMetrics()
	m := md.ResourceMetrics().AppendEmpty().ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
	m.SetName(name)
	s := m.SetEmptySum()
	s.SetIsMonotonic(true)
	s.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
	for kv, v := range points {
		dp := s.DataPoints().AppendEmpty()
		dp.SetStartTimestamp(pcommon.NewTimestampFromTime(start))
		dp.SetTimestamp(pcommon.NewTimestampFromTime(at))
		dp.Attributes().PutStr(key, kv[0])
		if kv[1] != "" {
			dp.Attributes().PutStr(contract.PaymentStatus, kv[1])
		}
		dp.SetDoubleValue(v)
	}
	return md
}

// Three hours of a shop where, in the last hour, visitors who added a
// payment method stop buying (80 % → 40 %) and provider stripe's success
// falls (95 % → 60 %) while adyen's holds: the recommendations name both
// planted problems with their evidence, link stripe's firing alert, and
// name nothing else.
func TestRecommendationsNamePlantedProblems(t *testing.T) {
	now := time.Date(2026, 7, 16, 15, 0, 0, 0, time.UTC)
	b, st, al := testBuilder(t, now)
	start := now.Add(-3 * time.Hour)
	funnel := [5]float64{}
	attempts := map[[2]string]float64{}
	for i := 1; i <= 18; i++ { // every 10 minutes
		at := start.Add(time.Duration(i) * 10 * time.Minute)
		late := at.After(now.Add(-time.Hour))
		buy, stripeOK := 0.8, 0.95
		if late {
			buy, stripeOK = 0.4, 0.6
		}
		step := [5]float64{400, 200, 120, 100, 100 * buy}
		for j := range funnel {
			funnel[j] += step[j]
		}
		attempts[[2]string{"stripe", contract.StatusSucceeded}] += 100 * stripeOK
		attempts[[2]string{"stripe", contract.StatusFailed}] += 100 * (1 - stripeOK)
		attempts[[2]string{"adyen", contract.StatusSucceeded}] += 95
		attempts[[2]string{"adyen", contract.StatusFailed}] += 5
		points := map[[2]string]float64{}
		for j, n := range funnel {
			points[[2]string{stepValue(j)}] = n
		}
		st.AddMetrics(cumulative(start, at, MetricFunnel, points, contract.CheckoutStep))
		st.AddMetrics(cumulative(start, at, MetricAttempts, attempts, contract.PaymentProvider))
	}
	alert := contract.Alert{
		Name: "payment_failure_rate", Status: contract.AlertFiring, Severity: contract.SeverityCritical,
		StartsAt: now.Add(-10 * time.Minute), Labels: map[string]string{contract.PaymentProvider: "stripe", contract.ServiceName: "shop"},
	}
	alert.Fingerprint = contract.ComputeFingerprint(alert.Name, alert.Labels)
	al.Apply(alert)

	recs := b.Dashboard().Recommendations
	require.Len(t, recs, 2, "%+v", recs)
	byKind := map[string]Recommendation{}
	for _, r := range recs {
		byKind[r.Kind] = r
	}
	drop := byKind[RecFunnelDrop]
	assert.Equal(t, map[string]string{contract.CheckoutStep: "add_payment_info"}, drop.Labels)
	assert.Contains(t, drop.Title, stepLabels[contract.EventAddPaymentInfo])
	assert.Contains(t, drop.Evidence, "40 % continued in the last hour")
	assert.Contains(t, drop.Evidence, "against 80 % before")
	assert.Equal(t, MetricFunnel, drop.Metric)
	stripe := byKind[RecSuccessDrop]
	assert.Equal(t, map[string]string{contract.PaymentProvider: "stripe"}, stripe.Labels)
	assert.Contains(t, stripe.Evidence, "60.0 % of 600 attempts succeeded in the last hour against 95.0 % of 1200 before")
	assert.Equal(t, alert.Fingerprint, stripe.Alert, "linked to the firing alert on stripe")
}

// stepValue is paymentbi's checkout.step value of funnel step i.
func stepValue(i int) string { return contract.FunnelSteps[i][len("ecommerce."):] }

// One currency or country whose visitors stop converting is named as
// unusual abandonment, with its conversion against the others'; the
// countries beyond paymentbi's limit (_other) and the invalid ones
// (unknown) are not a place to name.
func TestRecommendationsNameUnusualAbandonment(t *testing.T) {
	for _, c := range []struct {
		dim, kind, others string
		visits, orders    map[string]float64
		named, evidence   string
	}{
		{
			"currency", RecAbandonment, "currencies",
			map[string]float64{"USD": 1000, "EUR": 800, "JPY": 600},
			map[string]float64{"USD": 60, "EUR": 50, "JPY": 9},
			"JPY", "1.5 % of 600 product views in JPY led to a purchase today against 6.1 % in the other currencies",
		},
		{
			"country", RecCountryAbandon, "countries",
			map[string]float64{"US": 1000, "DE": 800, "BR": 600, "_other": 500, "unknown": 400},
			map[string]float64{"US": 60, "DE": 50, "BR": 9, "_other": 2, "unknown": 1},
			"BR", "1.5 % of 600 product views in BR led to a purchase today",
		},
	} {
		t.Run(c.dim, func(t *testing.T) {
			now := time.Date(2026, 7, 16, 15, 0, 0, 0, time.UTC)
			b, st, _ := testBuilder(t, now)
			start := now.Add(-3 * time.Hour)
			seg := func(name string, values map[string]float64) pmetric.Metrics {
				points := map[[2]string]float64{}
				for v, n := range values {
					points[[2]string{v}] = n
				}
				md := cumulative(start, now.Add(-time.Minute), name, points, "segment.value")
				dps := md.ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics().At(0).Sum().DataPoints()
				for i := 0; i < dps.Len(); i++ {
					dps.At(i).Attributes().PutStr("segment.dimension", c.dim)
				}
				return md
			}
			st.AddMetrics(seg("segment.visits", c.visits))
			st.AddMetrics(seg("segment.orders", c.orders))
			recs := b.Dashboard().Recommendations
			require.Len(t, recs, 1, "%+v", recs)
			assert.Equal(t, c.kind, recs[0].Kind)
			assert.Equal(t, "Unusual abandonment in "+c.dim+" "+c.named, recs[0].Title)
			assert.Contains(t, recs[0].Evidence, c.evidence)
			assert.Equal(t, map[string]string{"segment.dimension": c.dim, "segment.value": c.named}, recs[0].Labels)
			assert.Equal(t, MetricSegmentVisits, recs[0].Metric)
		})
	}
}
