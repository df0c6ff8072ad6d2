package ga4exporter

import (
	"context"
	"encoding/json"
	"math/big"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-payments/otelcol-payments/exporter/ga4exporter/ga4test"
	"github.com/otelcol-payments/otelcol-payments/internal/e2e"
	"github.com/otelcol-payments/otelcol-payments/internal/sim"
	"github.com/otelcol-payments/otelcol-payments/processor/piisanitizer"
)

// The simulator's traffic (tax, shipping, coupons, partial and full
// refunds, span events with JSON items) through piisanitizer and this
// exporter to the strict GA4 server: every mapped event has value = Σ
// price × quantity (the server rejects anything else, in exact decimals),
// every partial refund carries its items, every purchase arrives once.
func TestSimulatorTrafficPassesStrictGA4Validation(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the simulator through a collector")
	}
	srv := ga4test.New(t, ga4test.WithCredentials(testMeasurementID, "sim-secret"))
	otlp := e2e.FreeAddr(t)
	factories := e2e.WithExporters(e2e.WithProcessors(e2e.BaseFactories(), piisanitizer.NewFactory()), NewFactory())
	col := e2e.Start(t, factories, `
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: `+otlp+`
processors:
  piisanitizer:
    hash_key: test-only-hash-key-0123456789abcdef0123456789
exporters:
  capture/ga4sim: {}
  ga4:
    measurement_id: `+testMeasurementID+`
    api_secret: sim-secret
    endpoint: `+srv.URL+`
service:
  pipelines:
    traces:
      receivers: [otlp]
      processors: [piisanitizer]
      exporters: [ga4]
    logs:
      receivers: [otlp]
      processors: [piisanitizer]
      exporters: [ga4]
    metrics:
      receivers: [otlp]
      exporters: [capture/ga4sim]
`)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ledger, err := sim.Run(ctx, sim.Config{
		Endpoint: otlp, Insecure: true, Seed: 7, Count: 400, Rate: 0,
		DuplicateRate: 0.05, RefundRate: 0.3, SpanEventShare: 0.3, MetricInterval: time.Hour,
	})
	require.NoError(t, err)
	// Shutdown drains the exporter's queue.
	require.NoError(t, col.Shutdown())

	var orders int64
	for _, n := range ledger.Orders {
		orders += n
	}
	var purchases, partialRefunds, refunds int
	withTax := 0
	for _, ev := range srv.Events() {
		switch ev.Name {
		case "purchase":
			purchases++
			if tax, ok := ev.Params["tax"].(json.Number); ok && tax != "0" && tax != "0.00" {
				withTax++
			}
		case "refund":
			refunds++
			if items, ok := ev.Params["items"].([]any); ok && len(items) > 0 {
				partialRefunds++
				checkRefundItemsSum(t, ev)
			}
		}
	}
	t.Logf("%d GA4 requests, %d events: %d purchases (%d with tax), %d refunds (%d partial, with items)",
		len(srv.Requests()), len(srv.Events()), purchases, withTax, refunds, partialRefunds)
	require.Positive(t, orders)
	assert.Equal(t, int(orders), purchases, "each order once (duplicate deliveries deduplicated)")
	assert.Positive(t, withTax, "purchases with tax, sent apart from value")
	assert.Positive(t, partialRefunds, "partial refunds with their items")
	var ledgerPartial int64
	for _, r := range ledger.Refunds {
		ledgerPartial += r.Partial
	}
	assert.Equal(t, int(ledgerPartial), partialRefunds, "every partial refund carries items")
	assert.Empty(t, srv.Violations(), "the strict server accepted everything")
}

// checkRefundItemsSum re-checks one partial refund: value is its items' sum.
func checkRefundItemsSum(t *testing.T, ev ga4test.ReceivedEvent) {
	t.Helper()
	sum := new(big.Rat)
	for _, it := range ev.Params["items"].([]any) {
		m := it.(map[string]any)
		price, _ := new(big.Rat).SetString(string(m["price"].(json.Number)))
		qty, _ := new(big.Rat).SetString(string(m["quantity"].(json.Number)))
		sum.Add(sum, price.Mul(price, qty))
	}
	value, ok := new(big.Rat).SetString(string(ev.Params["value"].(json.Number)))
	require.True(t, ok)
	assert.Zero(t, value.Cmp(sum), "refund value %s, items %s", ev.Params["value"], sum.FloatString(3))
}
