package reliability

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/otelcol-payments/otelcol-payments/exporter/ga4exporter/ga4test"
	"github.com/otelcol-payments/otelcol-payments/internal/contract"
	"github.com/otelcol-payments/otelcol-payments/internal/e2e"
)

// flakyProxy answers for a backend test server while down is set,
// alternating 500 and 429, and forwards to it otherwise.
type flakyProxy struct {
	*httptest.Server
	down    atomic.Bool
	refused atomic.Int64
}

func newFlakyProxy(t testing.TB, backend http.Handler) *flakyProxy {
	p := &flakyProxy{}
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p.down.Load() {
			if p.refused.Add(1)%2 == 0 {
				w.Header().Set("Retry-After", "1")
				w.WriteHeader(http.StatusTooManyRequests)
			} else {
				w.WriteHeader(http.StatusInternalServerError)
			}
			return
		}
		backend.ServeHTTP(w, r)
	}))
	t.Cleanup(p.Close)
	return p
}

// gatewayDeliveryProfile is the gateway's delivery path: business events to
// GA4 and through the threshold connector to the alert exporter.
func gatewayDeliveryProfile(grpcAddr, ga4URL, alertURL, storage string) string {
	ext, queue, svcExt, batch := "", "", "", ", batch"
	if storage != "" {
		// The batch processor holds acknowledged data in memory, which a
		// kill -9 loses: with persistent queues the receiver's ack must
		// mean "in the queue on disk".
		batch = ""
		ext = "extensions:\n  file_storage:\n    directory: " + storage + "\n"
		// The byte-sized persistent queue of config/gateway.yaml.
		queue = "\n    sending_queue:\n      storage: file_storage\n      sizer: bytes\n      queue_size: 268435456\n    dedup:\n      storage: file_storage"
		svcExt = "\n  extensions: [file_storage]"
	}
	return ext + `
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: ` + grpcAddr + `
processors:
  piisanitizer:
    hash_key: ` + testHashKey + `
  paymentbi:
    reporting_currency: USD
  batch:
    timeout: 50ms
connectors:` + criticalFailureRule + `
exporters:
  ga4:
    measurement_id: G-RELIABLE1
    api_secret: reliability-secret
    endpoint: ` + ga4URL + `
    retry_on_failure:
      initial_interval: 50ms
      max_interval: 500ms
      max_elapsed_time: 5m` + queue + `
` + alertExporterYAML(alertURL) + `
service:` + svcExt + `
  pipelines:
    logs:
      receivers: [otlp]
      processors: [piisanitizer, paymentbi` + batch + `]
      exporters: [ga4, threshold]
    logs/alerts:
      receivers: [threshold]
      exporters: [alert]
`
}

// GA4 answers 500 and 429 for a while and the alert webhook fails its first
// requests: every purchase reaches GA4 exactly once after recovery, and the
// alert is delivered while GA4 is still down (one backend's outage delays
// no other).
func TestBackendOutageThenRecovery(t *testing.T) {
	ga4 := ga4test.New(t, ga4test.WithCredentials("G-RELIABLE1", "reliability-secret"))
	proxy := newFlakyProxy(t, ga4.Config.Handler)
	proxy.down.Store(true)
	hook := newAlertSink(t)
	var hookCalls atomic.Int64
	hook.setFail(func() int {
		if hookCalls.Add(1) <= 3 {
			return http.StatusServiceUnavailable
		}
		return 0
	})
	addr := e2e.FreeAddr(t)
	e2e.Start(t, factories(), gatewayDeliveryProfile(addr, proxy.URL, hook.URL, ""))
	client := newLogsClient(t, addr)

	const n = 60
	want := map[string]bool{}
	var orders []order
	for i := range n {
		id := fmt.Sprintf("outage-%03d", i)
		want[id] = true
		orders = append(orders, order{id: id, minor: int64(1000 + i), currency: "EUR", customer: "cus_" + id})
	}
	client.mustSend(t, purchases("checkout", orders[:n/2]...))
	client.mustSend(t, paymentFailure("checkout", "stripe"))
	client.mustSend(t, purchases("checkout", orders[n/2:]...))

	hook.waitFor(t, 30*time.Second, "the alert despite the GA4 outage", func() bool { return len(hook.firing()) == 1 })
	if !proxy.down.Load() || proxy.refused.Load() == 0 {
		t.Fatal("GA4 was not failing while the alert was delivered")
	}
	if got := len(ga4.Events()); got != 0 {
		t.Fatalf("%d GA4 events accepted during the outage", got)
	}
	labels := hook.labelsOf(contract.AlertFiring)[0]
	// Webhook labels use Alertmanager's names (dots become underscores).
	if labels["alertname"] != "critical_payment_failure" || labels["payment_provider"] != "stripe" || labels["service_name"] != "checkout" {
		t.Errorf("alert labels = %v", labels)
	}

	proxy.down.Store(false)
	waitUntil(t, time.Minute, "every purchase at GA4 after recovery", func() bool { return len(purchaseIDs(ga4)) >= n })
	got := purchaseIDs(ga4)
	for id, c := range got {
		if !want[id] {
			t.Errorf("unexpected transaction %s", id)
		}
		if c != 1 {
			t.Errorf("transaction %s delivered %d times", id, c)
		}
	}
	if len(got) != n {
		t.Errorf("%d of %d purchases delivered", len(got), n)
	}
	if c := hook.firing(); len(c) != 1 {
		t.Errorf("alerts delivered: %v, want one alert once", c)
	}
	t.Logf("GA4 refused %d requests, the webhook %d, before recovering", proxy.refused.Load(), min(hookCalls.Load(), 3))
}

// purchaseIDs counts the purchase transaction ids GA4 accepted.
func purchaseIDs(s *ga4test.Server) map[string]int {
	out := map[string]int{}
	for _, e := range s.Events() {
		if e.Name == "purchase" {
			out[fmt.Sprint(e.Params["transaction_id"])]++
		}
	}
	return out
}
