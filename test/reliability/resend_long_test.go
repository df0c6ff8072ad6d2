//go:build long

package reliability

import (
	"strconv"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-payments/otelcol-payments/internal/contract"
)

// funnelRequest is one SDK request of a shop session: funnel steps and a
// failed payment, none with an id of its own, each stamped as the SDK does.
func funnelRequest(at time.Time) plog.Logs {
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr("service.name", "ticket-shop")
	lrs := rl.ScopeLogs().AppendEmpty().LogRecords()
	for i, name := range []string{contract.EventViewItem, contract.EventAddToCart, contract.EventBeginCheckout, contract.EventPaymentFailed} {
		lr := lrs.AppendEmpty()
		lr.SetTimestamp(pcommon.NewTimestampFromTime(at.Add(time.Duration(i) * time.Second)))
		lr.SetEventName(name)
		a := lr.Attributes()
		a.PutStr(contract.EventName, name)
		a.PutStr(contract.CustomerID, "cus_resend")
		a.PutStr(contract.PaymentCurrency, "EUR")
		a.PutStr(contract.PaymentAmount, "49.90")
		if name == contract.EventPaymentFailed {
			a.PutStr(contract.PaymentErrorType, "timeout")
		}
	}
	return ld
}

// The built binary on each shipped profile gets one shop request, is
// killed with SIGKILL after acknowledging it, restarts on the same
// storage, and gets the same request again, as an SDK re-sends a request
// whose acknowledgement a crash cut off; then once more without a restart.
// The funnel and the failures count the request once, on the Prometheus
// endpoint, and the re-sends count as duplicate events.
func TestResentRequestAfterKillNineCountsOnce(t *testing.T) {
	for _, name := range []string{"otelcol", "gateway"} {
		t.Run(name, func(t *testing.T) {
			bin := binary(t)
			p := prepareProfile(t, name)
			metrics := "http://" + p.prom + "/metrics"
			healthy := healthCheck(p.health)
			proc := startBinary(t, bin, p.config, p.env...)
			waitUntil(t, time.Minute, "the collector healthy", healthy)
			client := newLogsClient(t, p.grpc)
			request := funnelRequest(time.Now().Add(-time.Minute))
			client.mustSend(t, request)

			_ = proc.Process.Kill()
			_ = proc.Wait()
			startBinary(t, bin, p.config, p.env...)
			waitUntil(t, time.Minute, "the collector healthy again", healthy)
			client.mustSend(t, request)
			client.mustSend(t, request)

			// 4 events re-sent twice: both re-sends are on the endpoint once
			// it shows 8 duplicates (emitted with the counts beside them), or
			// a re-sent view_item counted again
			waitUntil(t, time.Minute, "the re-sends on the prometheus endpoint", func() bool {
				dups, _ := scrape(metrics, "paymentbi_duplicate_events_total")
				viewed, _ := scrape(metrics, "checkout_funnel_events_total", `checkout_step="view_item"`)
				return dups >= 8 || viewed >= 2
			})
			if v, _ := scrape(metrics, "paymentbi_duplicate_events_total"); v != 8 {
				t.Errorf("%v duplicate events, want the 8 re-sent", v)
			}
			for _, step := range []string{"view_item", "add_to_cart", "begin_checkout"} {
				if v, _ := scrape(metrics, "checkout_funnel_events_total", `checkout_step="`+step+`"`); v != 1 {
					t.Errorf("funnel %s = %v, want 1", step, v)
				}
			}
			if v, _ := scrape(metrics, "payment_failures_total", `payment_error_type="timeout"`); v != 1 {
				t.Errorf("payment failures = %s, want 1", strconv.FormatFloat(v, 'f', -1, 64))
			}
		})
	}
}
