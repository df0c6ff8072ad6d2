package paymentbi_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/otelcol-payments/otelcol-payments/internal/contract"
	"github.com/otelcol-payments/otelcol-payments/internal/e2e"
	"github.com/otelcol-payments/otelcol-payments/internal/sim"
	"github.com/otelcol-payments/otelcol-payments/processor/paymentbi"
)

// A request delivered twice counts once: the funnel, the charge attempts
// and the failures, which carry no id of their own, equal the simulator's
// ledger although every request arrived twice, and so do the orders and
// revenue. The re-sends count as duplicate events. Every restartEvery
// requests the collector restarts between a request and its re-send, on
// the same storage: the set of counted batches is kept with the state.
func TestResentRequestsCountOnce(t *testing.T) {
	const restartEvery = 40
	if testing.Short() {
		t.Skip("replays the simulator through a collector, restarted once")
	}
	start := time.Date(2026, 7, 8, 10, 0, 0, 0, time.UTC)
	clock := newSimClock(start)
	addr := e2e.FreeAddr(t)
	storage := t.TempDir()
	bi := `
    reporting_currency: USD
    exchange_rates: {EUR: "1.08", GBP: "1.27", JPY: "0.0067", KWD: "3.25"}
    customer_state:
      storage: file_storage`
	factories := e2e.BaseFactories()
	factories = e2e.WithProcessors(factories, paymentbi.NewFactoryAt(clock.Now))
	factories = e2e.WithConnectors(factories, paymentbi.NewConnectorFactoryAt(clock.Now))
	config := `
extensions:
  file_storage:
    directory: ` + storage + `
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: ` + addr + `
processors:
  paymentbi:` + bi + `
connectors:
  paymentbi:` + bi + `
    emit_interval: 50ms
exporters:
  capture/paymentbi-resend: {}
service:
  extensions: [file_storage]
  pipelines:
    traces:
      receivers: [otlp]
      processors: [paymentbi]
      exporters: [paymentbi]
    logs:
      receivers: [otlp]
      processors: [paymentbi]
      exporters: [paymentbi]
    metrics:
      receivers: [paymentbi]
      exporters: [capture/paymentbi-resend]
`
	col := e2e.Start(t, factories, config)
	sink := newOTLPSink(t, addr, clock)
	const sessions = 400
	requests, restarts := 0, 0
	sink.resend = func() {
		requests++
		if requests%restartEvery != 0 {
			return
		}
		restarts++
		if err := col.Shutdown(); err != nil {
			t.Fatal(err)
		}
		col = e2e.Start(t, factories, config)
	}
	ledger, err := sim.Replay(context.Background(), sim.Config{
		Seed: 17, Count: sessions, Rate: 2,
		Currencies: []string{"USD", "EUR", "JPY"}, DuplicateRate: 0.05, SpanEventShare: 0.2,
	}, start, sink)
	if err != nil {
		t.Fatal(err)
	}
	sink.flush()
	if restarts < 5 {
		t.Fatalf("only %d requests: the collector restarted %d times", requests, restarts)
	}
	capture := e2e.Sinks("paymentbi-resend")
	emitted := len(capture.Metrics.AllMetrics())
	capture.WaitFor(t, 30*time.Second, "two emissions after the run", func(c *e2e.Capture) bool {
		return len(c.Metrics.AllMetrics()) >= emitted+2
	})
	if err := col.Shutdown(); err != nil {
		t.Fatal(err)
	}
	all := capture.Metrics.AllMetrics()
	got := index(all[len(all)-1])

	var funnel int64
	for i, step := range contract.FunnelSteps {
		name := strings.TrimPrefix(step, "ecommerce.")
		want := ledger.Funnel[step]
		funnel += want
		if have := got.count(contract.MetricCheckoutFunnelEvents, contract.CheckoutStep, name); have != want {
			t.Errorf("funnel step %d %s = %d, ledger %d", i, name, have, want)
		}
	}
	for status, want := range ledger.Attempts {
		if have := got.count(contract.MetricPaymentAttempts, contract.PaymentStatus, status); have != want {
			t.Errorf("attempts %s = %d, ledger %d", status, have, want)
		}
	}
	for errType, want := range ledger.FailuresByErrorType {
		if have := got.count(contract.MetricPaymentFailures, contract.PaymentErrorType, errType); have != want {
			t.Errorf("payment.failed events %s = %d, ledger %d", errType, have, want)
		}
	}
	for cur, want := range ledger.Orders {
		if have := got.count(contract.MetricPaymentOrders, contract.PaymentCurrency, cur); have != want {
			t.Errorf("orders %s = %d, ledger %d", cur, have, want)
		}
	}
	for cur, byMethod := range ledger.RevenueMinor {
		for method, want := range byMethod {
			if have := got.minor(t, contract.MetricPaymentRevenue, cur, contract.PaymentCurrency, cur, contract.PaymentMethod, method); have != want {
				t.Errorf("revenue %s %s = %s, ledger %s", cur, method, contract.FormatMinor(have, cur), contract.FormatMinor(want, cur))
			}
		}
	}
	// every funnel event arrived a second time and counted as a duplicate
	if have, least := got.count(contract.MetricDuplicateEvents), ledger.DuplicatesSent+funnel; have < least {
		t.Errorf("%d duplicate events, want at least the ledger's %d duplicates plus the %d funnel events re-sent", have, ledger.DuplicatesSent, funnel)
	}
	if funnel == 0 || len(ledger.Attempts) == 0 {
		t.Fatalf("simulation too small: %d funnel events, attempts %v", funnel, ledger.Attempts)
	}
}
