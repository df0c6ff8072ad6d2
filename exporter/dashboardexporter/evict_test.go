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
		dps.SetName("app.requests")
		g := dps.SetEmptyGauge().DataPoints()
		for i := range n {
			dp := g.AppendEmpty()
			dp.SetTimestamp(pcommon.NewTimestampFromTime(now))
			dp.SetIntValue(1)
			dp.Attributes().PutStr("route", "/r"+strconv.Itoa(i)+now.Format("150405"))
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
