package reliability

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pmetric"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/otelcol-payments/otelcol-payments/internal/e2e"
)

// businessProfile is the gateway's business path (otlp → memory_limiter →
// piisanitizer → paymentbi → batch → paymentbi connector) with the metrics
// captured in capture/NAME.
func businessProfile(grpcAddr, httpAddr, capture string) string {
	return `
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: ` + grpcAddr + `
      http:
        endpoint: ` + httpAddr + `
processors:
  memory_limiter:
    check_interval: 100ms
    limit_mib: 1024
    spike_limit_mib: 256
  piisanitizer:
    hash_key: ` + testHashKey + `
  paymentbi:
    reporting_currency: USD
  batch:
    timeout: 50ms
connectors:
  paymentbi:
    reporting_currency: USD
    emit_interval: 100ms
    customer_state:
      expected_customers: 200000
exporters:
  capture/` + capture + `: {}
service:
  pipelines:
    logs:
      receivers: [otlp]
      processors: [memory_limiter, piisanitizer, paymentbi, batch]
      exporters: [paymentbi]
    metrics/business:
      receivers: [paymentbi]
      exporters: [capture/` + capture + `]
`
}

// Bad input at the edge is rejected with a clear error or counted, never
// crashes the collector, and the good data around it is counted exactly;
// 100,000 distinct order ids do not multiply metric series.
func TestBadInputAtTheEdge(t *testing.T) {
	grpcAddr, httpAddr := e2e.FreeAddr(t), e2e.FreeAddr(t)
	col := e2e.Start(t, factories(), businessProfile(grpcAddr, httpAddr, "edge"))
	client := newLogsClient(t, grpcAddr)
	var wantOrders, wantMinor int64
	good := func(id string, minor int64) {
		t.Helper()
		client.mustSend(t, purchases("checkout", order{id: id, minor: minor, currency: "USD", customer: "cus_" + id}))
		wantOrders++
		wantMinor += minor
	}
	good("before-bad-input", 1999)

	// Malformed OTLP over HTTP: 400, not a crash.
	for _, c := range []struct{ ctype, body string }{
		{"application/x-protobuf", "\xff\xff\xff not protobuf"},
		{"application/json", `{"resourceLogs":[{`},
		{"application/json", `{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"timeUnixNano":"yesterday"}]}]}]}`},
	} {
		resp, err := http.Post("http://"+httpAddr+"/v1/logs", c.ctype, strings.NewReader(c.body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%s %q: status %d, want 400", c.ctype, c.body, resp.StatusCode)
		}
	}

	// Invalid UTF-8 in every string position a business event has, and an
	// invalid amount: whatever the receiver decides, nothing is counted as
	// revenue, and the collector keeps serving.
	bad := purchases("checkout\xff", order{id: "ord-\xc3\x28", minor: 500, currency: "US\xffD", customer: "cus-\xed\xa0\x80"})
	bad.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0).Body().SetStr("body \xfe\xfe")
	_ = client.send(context.Background(), bad)

	// Oversized attributes: above the gRPC message limit the request is
	// refused with ResourceExhausted; a 1 MiB value is accepted and the
	// order counted.
	huge := purchases("checkout", order{id: "huge", minor: 100, currency: "USD", customer: "cus_huge"})
	huge.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0).Attributes().PutStr("order.note", strings.Repeat("x", 5<<20))
	err := client.send(context.Background(), huge)
	if status.Code(err) != codes.ResourceExhausted {
		t.Errorf("5 MiB attribute: %v, want ResourceExhausted", err)
	}
	big := purchases("checkout", order{id: "big-attr", minor: 250, currency: "USD", customer: "cus_big"})
	big.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0).Attributes().PutStr("order.note", strings.Repeat("y", 1<<20))
	client.mustSend(t, big)
	wantOrders++
	wantMinor += 250

	// 100,000 distinct order ids (and customers) in batches.
	const distinct, batch = 100_000, 5_000
	for start := 0; start < distinct; start += batch {
		orders := make([]order, batch)
		for i := range orders {
			n := start + i
			orders[i] = order{id: fmt.Sprintf("ord-%06d", n), minor: int64(100 + n%900), currency: "USD", customer: fmt.Sprintf("cus_%06d", n)}
			wantOrders++
			wantMinor += orders[i].minor
		}
		client.mustSend(t, purchases("checkout", orders...))
	}
	good("after-bad-input", 4200)

	// Everything sent is counted (synchronous pipeline). Two more
	// emissions make every series live (a new one is emitted at 0 first);
	// the shutdown flush then has the figures.
	capture := e2e.Sinks("edge")
	emitted := len(capture.Metrics.AllMetrics())
	capture.WaitFor(t, 30*time.Second, "two emissions after the last order", func(c *e2e.Capture) bool {
		return len(c.Metrics.AllMetrics()) >= emitted+2
	})
	if err := col.Shutdown(); err != nil {
		t.Fatal(err)
	}
	all := e2e.Sinks("edge").Metrics.AllMetrics()
	if len(all) == 0 {
		t.Fatal("no business metrics")
	}
	last := all[len(all)-1]
	var orders, points int64
	var revenue float64
	forEachPoint(last, func(name string, dp pmetric.NumberDataPoint) {
		points++
		switch name {
		case "payment.orders":
			orders += dp.IntValue()
		case "payment.revenue":
			revenue += dp.DoubleValue()
		}
	})
	if orders != wantOrders {
		t.Errorf("orders = %d, want %d (bad input must not be counted, good input must not be lost)", orders, wantOrders)
	}
	if want := float64(wantMinor) / 100; revenue < want-0.001 || revenue > want+0.001 {
		t.Errorf("revenue = %.2f USD, want %.2f", revenue, want)
	}
	// Without cardinality control 100k order ids would mean ≥100k points.
	if points > 200 {
		t.Errorf("%d data points for %d distinct orders: metric cardinality grows with order ids", points, distinct)
	}
	t.Logf("%d orders, %.2f USD revenue in %d data points", orders, revenue, points)
}

// forEachPoint visits every number data point of md with its metric name.
func forEachPoint(md pmetric.Metrics, f func(string, pmetric.NumberDataPoint)) {
	for _, rm := range md.ResourceMetrics().All() {
		for _, sm := range rm.ScopeMetrics().All() {
			for _, m := range sm.Metrics().All() {
				var dps pmetric.NumberDataPointSlice
				switch m.Type() {
				case pmetric.MetricTypeSum:
					dps = m.Sum().DataPoints()
				case pmetric.MetricTypeGauge:
					dps = m.Gauge().DataPoints()
				default:
					continue
				}
				for _, dp := range dps.All() {
					f(m.Name(), dp)
				}
			}
		}
	}
}
