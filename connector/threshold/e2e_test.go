package threshold_test

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/otelcol-payments/otelcol-payments/connector/threshold"
	"github.com/otelcol-payments/otelcol-payments/internal/contract"
	"github.com/otelcol-payments/otelcol-payments/internal/e2e"
	"github.com/otelcol-payments/otelcol-payments/internal/sim"
)

// e2eConfig shrinks the default rules' windows to seconds so a simulated
// outage of a few seconds fires and resolves them.
const e2eConfig = `
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: ${env:E2E_ADDR}
connectors:
  threshold:
    evaluation_interval: 100ms
    rules:
      - name: payment_failure_rate
        severity: critical
        group_by: [payment.provider]
        ratio:
          of: {span_names: [payment.charge]}
          where:
            attributes: [{key: payment.status, values: [failed]}]
          window: 3s
          min_samples: 10
          op: ">"
          threshold: 0.4
          resolve_below: 0.25
      - name: payment_processing_time
        severity: high
        span_latency:
          match: {span_names: [payment.charge]}
          threshold: 5000ms
          window: 3s
          min_samples: 10
          resolve_below: 4000ms
      - name: critical_payment_failure
        severity: critical
        group_by: [payment.error_type]
        keep_firing_for: 2s
        event:
          match:
            event_names: [payment.failed]
            attributes: [{key: payment.error_type, values: [processing_error, fraud_suspected, timeout]}]
exporters:
  capture/threshold-e2e: {}
service:
  pipelines:
    traces:
      receivers: [otlp]
      exporters: [threshold]
    logs:
      receivers: [otlp]
      exporters: [threshold]
    metrics:
      receivers: [otlp]
      exporters: [threshold]
    logs/alerts:
      receivers: [threshold]
      exporters: [capture/threshold-e2e]
`

// TestOutageFiresAndResolves runs the payment simulator with a provider
// outage (failure burst and slow payments) through an in-process collector:
// the failure-rate, latency and critical-failure alerts fire during the
// outage, once per series, and the windowed ones resolve after it.
func TestOutageFiresAndResolves(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the simulator for about 10 seconds")
	}
	addr := e2e.FreeAddr(t)
	t.Setenv("E2E_ADDR", addr)
	factories := e2e.WithConnectors(e2e.BaseFactories(), threshold.NewFactory())
	e2e.Start(t, factories, e2eConfig)
	capture := e2e.Sinks("threshold-e2e")

	ledger, err := sim.Run(context.Background(), sim.Config{
		Endpoint: addr, Insecure: true, Seed: 7,
		Count: 1000, Rate: 100, // 10 s: 2 s normal, 3 s outage, 5 s normal
		Outage:         &sim.Outage{FromSession: 200, Sessions: 300, FailureRate: 0.9, SlowPayments: 6 * time.Second},
		MetricInterval: time.Hour,
	})
	require.NoError(t, err)
	require.NotZero(t, ledger.FailuresByErrorType[contract.ErrProcessingError])

	resolved := func(name string) func(*e2e.Capture) bool {
		return func(c *e2e.Capture) bool {
			for _, a := range decode(t, c) {
				if a.Name == name && a.Status == contract.AlertResolved {
					return true
				}
			}
			return false
		}
	}
	capture.WaitFor(t, 30*time.Second, "payment_failure_rate resolved", resolved("payment_failure_rate"))
	capture.WaitFor(t, 30*time.Second, "payment_processing_time resolved", resolved("payment_processing_time"))

	firing := map[string]map[string]int{} // rule -> fingerprint -> firing records
	for _, a := range decode(t, capture) {
		t.Logf("%s %s %v value=%.3g", a.Status, a.Name, a.Labels, a.Value)
		if a.Status != contract.AlertFiring {
			continue
		}
		if firing[a.Name] == nil {
			firing[a.Name] = map[string]int{}
		}
		firing[a.Name][a.Fingerprint]++
		assert.False(t, a.TraceID.IsEmpty(), "%s carries an example trace", a.Name)
	}
	for _, rule := range []string{"payment_failure_rate", "payment_processing_time", "critical_payment_failure"} {
		assert.NotEmpty(t, firing[rule], "%s fired during the outage", rule)
	}
	for _, rule := range []string{"payment_failure_rate", "payment_processing_time"} {
		for fp, n := range firing[rule] {
			assert.Equal(t, 1, n, "%s series %s fired %d times: the outage is one incident", rule, fp, n)
		}
	}
	for _, a := range decode(t, capture) {
		if a.Name == "payment_failure_rate" {
			assert.NotEmpty(t, a.Labels[contract.PaymentProvider], "grouped by provider")
		}
	}
}

func decode(t *testing.T, c *e2e.Capture) []contract.Alert {
	t.Helper()
	var out []contract.Alert
	for _, ld := range c.Logs.AllLogs() {
		for _, rl := range ld.ResourceLogs().All() {
			for _, sl := range rl.ScopeLogs().All() {
				for _, lr := range sl.LogRecords().All() {
					a, err := contract.AlertFromLogRecord(lr)
					require.NoError(t, err)
					out = append(out, a)
				}
			}
		}
	}
	return out
}

// Applications' own alert records, sent over OTLP into a logs pipeline
// whose only alert-related exporter is threshold (as in the gateway),
// reach the pipeline behind the connector unchanged.
func TestApplicationAlertsPassThroughACollector(t *testing.T) {
	addr := e2e.FreeAddr(t)
	t.Setenv("E2E_ADDR", addr)
	factories := e2e.WithConnectors(e2e.BaseFactories(), threshold.NewFactory())
	e2e.Start(t, factories, `
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: ${env:E2E_ADDR}
connectors:
  threshold:
    rules:
      - name: security_incident
        severity: critical
        event: {match: {event_names: [security.incident]}}
exporters:
  capture/app-alerts: {}
service:
  pipelines:
    logs:
      receivers: [otlp]
      exporters: [threshold]
    logs/alerts:
      receivers: [threshold]
      exporters: [capture/app-alerts]
`)
	capture := e2e.Sinks("app-alerts")

	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr(contract.ServiceName, "checkout")
	contract.Alert{
		Name: "inventory_sync_stuck", Status: contract.AlertFiring, Severity: contract.SeverityHigh,
		Labels: map[string]string{"warehouse": "berlin"}, Summary: "inventory sync stuck for 20 minutes",
		StartsAt: time.Now(), Value: math.NaN(), Threshold: math.NaN(),
	}.WriteTo(rl.ScopeLogs().AppendEmpty().LogRecords().AppendEmpty())
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)
	defer conn.Close()
	_, err = plogotlp.NewGRPCClient(conn).Export(context.Background(), plogotlp.NewExportRequestFromLogs(ld))
	require.NoError(t, err)

	capture.WaitFor(t, 10*time.Second, "the application's alert", func(c *e2e.Capture) bool { return c.LogRecordCount() > 0 })
	got := decode(t, capture)
	require.Len(t, got, 1)
	assert.Equal(t, "inventory_sync_stuck", got[0].Name)
	assert.Equal(t, "inventory sync stuck for 20 minutes", got[0].Summary)
	assert.Equal(t, map[string]string{"warehouse": "berlin"}, got[0].Labels)
}
