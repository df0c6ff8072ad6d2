package threshold

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/connector/connectortest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-payments/otelcol-payments/connector/threshold/internal/metadata"
	"github.com/otelcol-payments/otelcol-payments/internal/contract"
)

func TestEvictionKeepsFiringSeriesAndCounts(t *testing.T) {
	h := newHarness(t, `
max_series: 5
rules:
  - name: low_stock
    group_by: [inventory.item_id]
    metric: {name: inventory.available, op: "<", threshold: 10}
`)
	h.metrics(makeGauge(t, "inventory.available", h.clock.now, stock("sku-low", 1)))
	h.tick()
	require.Equal(t, []string{"low_stock:firing"}, statuses(h.newAlerts()))

	for i := range 10 {
		h.clock.Advance(time.Second)
		h.metrics(makeGauge(t, "inventory.available", h.clock.now, stock(fmt.Sprintf("sku-%d", i), 100)))
	}
	assert.Equal(t, 5, h.e.store.Len())
	assert.Equal(t, int64(6), counterValue(t, h, "otelcol_connector_threshold_series_evicted"))

	// The firing series survived eviction and still resolves.
	h.metrics(makeGauge(t, "inventory.available", h.clock.now, stock("sku-low", 50)))
	h.tick()
	assert.Equal(t, []string{"low_stock:resolved"}, statuses(h.newAlerts()))
	assert.Equal(t, int64(2), counterValue(t, h, "otelcol_connector_threshold_alerts_emitted"), "one firing and one resolved record")
}

// When every series is firing, the evicted one is resolved explicitly, with
// the reason, instead of staying firing downstream forever.
func TestEvictingAFiringSeriesResolvesIt(t *testing.T) {
	h := newHarness(t, `
max_series: 2
rules:
  - name: low_stock
    group_by: [inventory.item_id]
    metric: {name: inventory.available, op: "<", threshold: 10}
`)
	h.metrics(makeGauge(t, "inventory.available", h.clock.now, stock("sku-a", 1), stock("sku-b", 2)))
	h.tick()
	require.Equal(t, []string{"low_stock:firing", "low_stock:firing"}, statuses(h.newAlerts()))

	h.clock.Advance(time.Second)
	h.metrics(makeGauge(t, "inventory.available", h.clock.now, stock("sku-c", 3)))
	evicted := h.newAlerts()
	require.Equal(t, []string{"low_stock:resolved"}, statuses(evicted), "sent with the batch that caused the eviction")
	assert.Equal(t, "sku-a", evicted[0].Labels["inventory.item_id"], "the least recently updated series goes")
	assert.Contains(t, evicted[0].Summary, "evicted: max_series 2 reached")
	assert.Equal(t, h.clock.now, evicted[0].EndsAt)
	assert.Equal(t, 2, h.e.store.Len())
	assert.Equal(t, int64(1), counterValue(t, h, "otelcol_connector_threshold_series_evicted"))

	h.tick()
	assert.Equal(t, []string{"low_stock:firing"}, statuses(h.newAlerts()), "sku-c fires; sku-b stays firing without a duplicate")
}

func TestIdleSeriesAreDropped(t *testing.T) {
	h := newHarness(t, ratioRules)
	h.traces(makeTraces(t, h.clock.now, "payment-service", attempts(5, 0)...))
	require.Equal(t, 1, h.e.store.Len())
	h.advance(10*time.Minute, 15*time.Second)
	assert.Zero(t, h.e.store.Len(), "a quiet, inactive series does not hold memory forever")
}

func TestAlertRecordShape(t *testing.T) {
	h := newHarness(t, `
rules:
  - name: low_stock
    severity: info
    group_by: [inventory.item_id]
    runbook_url: https://runbooks.example.com/stock
    summary: 'Only {{value .Value}} left ({{.LabelText}}), threshold {{value .Threshold}}'
    description: '{{.Expr}}'
    metric: {name: inventory.available, op: "<", threshold: 10}
`)
	h.metrics(makeGauge(t, "inventory.available", h.clock.now, stock("sku-1", 3)))
	h.tick()
	logs := h.sink.AllLogs()
	require.Len(t, logs, 1)
	sl := logs[0].ResourceLogs().At(0).ScopeLogs().At(0)
	assert.Equal(t, metadata.ScopeName, sl.Scope().Name())
	lr := sl.LogRecords().At(0)
	assert.True(t, contract.IsAlertRecord(lr))
	assert.Equal(t, plog.SeverityNumberInfo, lr.SeverityNumber())
	a, err := contract.AlertFromLogRecord(lr)
	require.NoError(t, err)
	assert.Equal(t, "Only 3 left (inventory.item_id=sku-1), threshold 10", a.Summary)
	assert.Equal(t, "inventory.available < 10", a.Description)
	assert.Equal(t, "inventory.available < 10", a.Rule)
	assert.Equal(t, "https://runbooks.example.com/stock", a.RunbookURL)
	assert.Equal(t, contract.ComputeFingerprint("low_stock", map[string]string{contract.InventoryItemID: "sku-1"}), a.Fingerprint)
}

func TestNextConsumerErrorIsCounted(t *testing.T) {
	cfg := parseConfig(t, stockRules)
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	e, err := newEngine(tel.NewTelemetrySettings(), componentID(), cfg, consumertest.NewErr(assert.AnError))
	require.NoError(t, err)
	clock := &fakeClock{now: t0}
	e.now = clock.Now
	h := &harness{t: t, e: e, clock: clock, tel: tel}
	h.metrics(makeGauge(t, "inventory.available", clock.now, stock("sku-1", 1)))
	h.tick()
	assert.Equal(t, int64(1), counterValue(t, h, "otelcol_connector_threshold_alerts_dropped"))
}

func TestFactorySharesOneEngineAcrossSignals(t *testing.T) {
	f := NewFactory()
	assert.Equal(t, metadata.Type, f.Type())
	cfg := parseConfig(t, eventRules)
	cfg.EvaluationInterval = time.Millisecond // the real ticker runs; nothing waits for it
	sink := new(consumertest.LogsSink)
	set := connectortest.NewNopSettings(metadata.Type)
	ctx := context.Background()
	tc, err := f.CreateTracesToLogs(ctx, set, cfg, sink)
	require.NoError(t, err)
	mc, err := f.CreateMetricsToLogs(ctx, set, cfg, sink)
	require.NoError(t, err)
	lc, err := f.CreateLogsToLogs(ctx, set, cfg, sink)
	require.NoError(t, err)
	assert.Same(t, tc.(*thresholdConnector).e, mc.(*thresholdConnector).e)
	assert.Same(t, tc.(*thresholdConnector).e, lc.(*thresholdConnector).e)
	assert.False(t, lc.Capabilities().MutatesData)

	host := componenttest.NewNopHost()
	for _, c := range []interface {
		Start(context.Context, component.Host) error
	}{tc, mc, lc} {
		require.NoError(t, c.Start(ctx, host))
	}
	require.NoError(t, lc.ConsumeLogs(ctx, makeEventLogs(t, contract.EventSecurity, 1, map[string]any{contract.SecurityIncidentType: "card_testing"})))
	assert.Equal(t, 1, sink.LogRecordCount())
	require.NoError(t, tc.Shutdown(ctx))
	require.NoError(t, mc.Shutdown(ctx))
	require.NoError(t, lc.Shutdown(ctx))

	// After the last shutdown a new pipeline set gets a fresh engine.
	tc2, err := f.CreateTracesToLogs(ctx, set, cfg, sink)
	require.NoError(t, err)
	assert.NotSame(t, tc.(*thresholdConnector).e, tc2.(*thresholdConnector).e)
	require.NoError(t, tc2.Shutdown(ctx), "shutdown without start")
}

func TestFactoryRejectsInvalidConfig(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	cfg.Rules = []RuleConfig{{Name: "x"}}
	_, err := NewFactory().CreateLogsToLogs(context.Background(), connectortest.NewNopSettings(metadata.Type), cfg, new(consumertest.LogsSink))
	assert.ErrorContains(t, err, "exactly one of")
}
