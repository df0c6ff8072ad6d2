package dashboardexporter

import (
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/otelcol-payments/otelcol-payments/internal/contract"
)

// A full store evicts and says so in the log, at most once a minute.
func TestStoreEvictionWarnsRateLimited(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	cfg.MaxSeries = 2
	core, logs := observer.New(zap.WarnLevel)
	set := componenttest.NewNopTelemetrySettings()
	set.Logger = zap.New(core)
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	d, err := newDashboard(cfg, set, func() time.Time { return now })
	require.NoError(t, err)
	send := func(n int) {
		md := pmetric.NewMetrics()
		dps := md.ResourceMetrics().AppendEmpty().ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
		dps.SetName(contract.MetricInventoryAvailable)
		g := dps.SetEmptyGauge().DataPoints()
		for i := range n {
			dp := g.AppendEmpty()
			dp.SetTimestamp(pcommon.NewTimestampFromTime(now))
			dp.SetIntValue(1)
			dp.Attributes().PutStr(contract.InventoryItemID, "sku-"+strconv.Itoa(i)+now.Format("150405"))
		}
		require.NoError(t, d.consumeMetrics(t.Context(), md))
	}
	send(5)
	send(5)
	assert.Equal(t, 1, logs.FilterMessageSnippet("dashboard store full").Len())
	now = now.Add(time.Minute)
	send(5)
	assert.Equal(t, 2, logs.FilterMessageSnippet("dashboard store full").Len())
	now = now.Add(time.Minute)
	send(0)
	assert.Equal(t, 2, logs.FilterMessageSnippet("dashboard store full").Len(), "no new eviction, no warning")
}

// An app's own metrics share the metrics pipeline with paymentbi's, but the
// dashboard reads only business and span metrics: a flood of app series
// takes no place in the store and cannot evict the business series.
func TestAppMetricsFloodKeepsBusinessSeries(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	cfg.MaxSeries = 3
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	d, err := newDashboard(cfg, componenttest.NewNopTelemetrySettings(), func() time.Time { return now })
	require.NoError(t, err)
	gauge := func(name, key string, n int) pmetric.Metrics {
		md := pmetric.NewMetrics()
		m := md.ResourceMetrics().AppendEmpty().ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
		m.SetName(name)
		g := m.SetEmptyGauge().DataPoints()
		for i := range n {
			dp := g.AppendEmpty()
			dp.SetTimestamp(pcommon.NewTimestampFromTime(now))
			dp.SetIntValue(int64(10 + i))
			dp.Attributes().PutStr(key, "v"+strconv.Itoa(i))
		}
		return md
	}
	require.NoError(t, d.consumeMetrics(t.Context(), gauge(contract.MetricInventoryAvailable, contract.InventoryItemID, 2)))
	require.NoError(t, d.consumeMetrics(t.Context(), gauge(cfg.SpanMetricsNamespace+".calls", contract.SpanName, 1)))
	now = now.Add(time.Second)
	require.NoError(t, d.consumeMetrics(t.Context(), gauge("app.requests", "route", 1000)))

	st := d.store.Stats()
	assert.Equal(t, 3, st.Series, "the business and span series, nothing of the app's")
	assert.Zero(t, st.EvictedSeries)
	assert.Equal(t, int64(1), st.IgnoredMetrics)
	assert.Len(t, d.store.Gauges(contract.MetricInventoryAvailable, nil), 2)
}
