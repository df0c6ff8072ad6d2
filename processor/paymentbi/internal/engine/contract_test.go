package engine

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/otelcol-payments/otelcol-payments/internal/contract"
)

// The engine emits exactly the business metrics internal/contract lists,
// which rules and dashboards are checked against, with the listed kind,
// unit and labels.
func TestMetricsAreTheContract(t *testing.T) {
	e, _ := newTestEngine(t)
	e.ObserveLogs(context.Background(), logs(purchase("o1", "USD", 10.0), purchase("o2", "EUR", "12,50"), purchase("o3", "USD", "not a number")))
	emitted := collect(e)
	require.GreaterOrEqual(t, len(emitted), 10, "the test no longer exercises the engine")
	checkContract(t, emitted)
}

// checkContract checks emitted metrics against internal/contract.
func checkContract(t *testing.T, emitted map[string]pmetric.Metric) {
	t.Helper()
	kinds := map[pmetric.MetricType]contract.MetricKind{
		pmetric.MetricTypeSum: contract.Counter, pmetric.MetricTypeGauge: contract.Gauge, pmetric.MetricTypeHistogram: contract.Histogram,
	}
	for name, m := range emitted {
		want, ok := contract.LookupMetric(name)
		require.True(t, ok, name)
		assert.Equal(t, want.Kind, kinds[m.Type()], name)
		assert.Equal(t, want.Unit, m.Unit(), name)
		for _, attrs := range pointAttributes(m) {
			for k := range attrs.All() {
				assert.Contains(t, want.Labels, k, "%s: label %q", name, k)
			}
		}
	}
}

func pointAttributes(m pmetric.Metric) []pcommon.Map {
	var out []pcommon.Map
	switch m.Type() {
	case pmetric.MetricTypeSum, pmetric.MetricTypeGauge:
		for _, dp := range numberPoints(m).All() {
			out = append(out, dp.Attributes())
		}
	case pmetric.MetricTypeHistogram:
		for _, dp := range m.Histogram().DataPoints().All() {
			out = append(out, dp.Attributes())
		}
	}
	return out
}
