//go:build long

package reliability

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-payments/otelcol-payments/exporter/ga4exporter/ga4test"
	"github.com/otelcol-payments/otelcol-payments/internal/contract"
	"github.com/otelcol-payments/otelcol-payments/internal/e2e"
)

// stateSyncInterval is paymentbi's customer_state.sync_interval in the
// restart profile: what a kill -9 may lose of the customer and day state.
const stateSyncInterval = 100 * time.Millisecond

// gatewayStateProfile is the gateway's logs path with every piece of state
// on file_storage, as in config/gateway.yaml: GA4 queue and dedup, the alert
// exporter's queue and state, threshold firing alerts, paymentbi customer
// and day state; business metrics on a Prometheus endpoint.
func gatewayStateProfile(grpcAddr, promAddr, ga4URL, alertURL, storage string) string {
	customerState := fmt.Sprintf(`
    customer_state:
      storage: file_storage
      expected_customers: 10000
      sync_interval: %s`, stateSyncInterval)
	return profileHead(grpcAddr, storage) + `  paymentbi:
    reporting_currency: USD` + customerState + `
connectors:` + criticalFailureRule + `
    storage: file_storage
  paymentbi:
    reporting_currency: USD
    emit_interval: 100ms` + customerState + `
exporters:
  ga4:
    measurement_id: G-RELIABLE1
    api_secret: reliability-secret
    endpoint: ` + ga4URL + `
    retry_on_failure:
      initial_interval: 50ms
      max_interval: 500ms
      max_elapsed_time: 5m
    sending_queue:
      storage: file_storage
    dedup:
      storage: file_storage
` + alertExporterYAML(alertURL) + `
    storage: file_storage
    sending_queue:
      storage: file_storage
  prometheus:
    endpoint: ` + promAddr + `
service:
  extensions: [file_storage]
  pipelines:
    logs:
      receivers: [otlp]
      processors: [piisanitizer, paymentbi]
      exporters: [ga4, threshold, paymentbi]
    logs/alerts:
      receivers: [threshold]
      exporters: [alert]
    metrics/business:
      receivers: [paymentbi]
      exporters: [prometheus]
`
}

// plainLog is a log record no component reacts to: a readiness probe that
// counts nowhere.
func plainLog(body string) plog.Logs {
	ld := plog.NewLogs()
	ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords().AppendEmpty().Body().SetStr(body)
	return ld
}

// scrape sums the samples of a Prometheus metric whose label set contains
// every label="value" pair given; ok is false while the endpoint or the
// metric is absent.
func scrape(url, name string, labels ...string) (sum float64, ok bool) {
	resp, err := http.Get(url)
	if err != nil {
		return 0, false
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	sc := bufio.NewScanner(strings.NewReader(string(body)))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, name+"{") && !strings.HasPrefix(line, name+" ") {
			continue
		}
		match := true
		for _, l := range labels {
			match = match && strings.Contains(line, l)
		}
		if !match {
			continue
		}
		f := strings.Fields(line)
		v, err := strconv.ParseFloat(f[len(f)-1], 64)
		if err != nil {
			continue
		}
		sum += v
		ok = true
	}
	return sum, ok
}

// waitForStateSave returns once every paymentbi state file in storage was
// written after since + 2 sync intervals. feed keeps the state changing, so
// a save happens every interval: a save that lands that late started after
// since and so holds everything acknowledged before it.
func waitForStateSave(t *testing.T, storage string, since time.Time, feed func()) {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(storage, "*paymentbi*"))
	if len(files) != 2 {
		t.Fatalf("paymentbi state files %v, want the processor's and the connector's", files)
	}
	after := since.Add(2 * stateSyncInterval)
	waitUntil(t, 30*time.Second, "paymentbi saving its state", func() bool {
		for _, f := range files {
			st, err := os.Stat(f)
			if err != nil || !st.ModTime().After(after) {
				feed()
				return false
			}
		}
		return true
	})
}

// kill -9 the gateway in the middle of a burst, with alerts in the alert
// exporter's outbox (webhook down) and purchases in GA4's queue (GA4
// down); restart on the same file_storage. Then:
//   - every alert is delivered exactly once: the two delivered before the
//     crash are not paged again (alert exporter state), the four refused
//     before it come out of the persisted outbox, and a new one fires;
//   - every GA4 purchase arrives; only the batch whose acknowledgement the
//     kill cut off is re-sent by the client and may arrive twice, which GA4
//     dedups by transaction_id;
//   - paymentbi loses nothing: customers who bought before the crash count
//     as returning, cumulative orders and revenue and the day's revenue
//     hold every purchase acknowledged before the crash or sent after it,
//     once.
func TestKillNineKeepsAlertsAndCustomerState(t *testing.T) {
	bin := binary(t)
	ga4 := ga4test.New(t, ga4test.WithCredentials("G-RELIABLE1", "reliability-secret"))
	proxy := newFlakyProxy(t, ga4.Config.Handler)
	proxy.down.Store(true)
	hook := newAlertSink(t)
	addr, promAddr := e2e.FreeAddr(t), e2e.FreeAddr(t)
	metricsURL := "http://" + promAddr + "/metrics"
	config := filepath.Join(t.TempDir(), "gateway.yaml")
	storage := t.TempDir()
	if err := os.WriteFile(config, []byte(gatewayStateProfile(addr, promAddr, proxy.URL, hook.URL, storage)), 0o600); err != nil {
		t.Fatal(err)
	}
	first := startBinary(t, bin, config)
	client := newLogsClient(t, addr)
	ready := func() bool { return client.send(t.Context(), plainLog("probe")) == nil }
	waitUntil(t, 30*time.Second, "the gateway accepting OTLP", ready)

	// Before the crash, webhook up: two alerts delivered.
	for _, p := range []string{"prov-a0", "prov-a1"} {
		client.mustSend(t, paymentFailure("checkout", p))
	}
	hook.waitFor(t, 30*time.Second, "the two alerts before the crash", func() bool { return len(hook.firing()) == 2 })

	// Returning customers buy once before the crash, and that is saved.
	var preMinor int64 // revenue sent before the crash, all of it
	const returning = 20
	var before []order
	for i := range returning {
		o := order{id: fmt.Sprintf("pre-r%02d", i), minor: int64(1000 + i), currency: "USD", customer: fmt.Sprintf("cus_r%02d", i)}
		before = append(before, o)
		preMinor += o.minor
	}
	client.mustSend(t, purchases("checkout", before...))
	trickle := 0
	waitForStateSave(t, storage, time.Now(), func() {
		trickle++
		client.mustSend(t, purchases("checkout", order{id: fmt.Sprintf("trickle-%d", trickle), minor: 1, currency: "USD", customer: fmt.Sprintf("cus_t%d", trickle)}))
		preMinor++
	})

	// Webhook down: four alerts wait in the outbox.
	hook.setFail(func() int { return http.StatusServiceUnavailable })
	for i := range 4 {
		client.mustSend(t, paymentFailure("checkout", fmt.Sprintf("prov-b%d", i)))
	}
	waitUntil(t, 30*time.Second, "the webhook refusing", func() bool {
		hook.mu.Lock()
		defer hook.mu.Unlock()
		return hook.refused > 0
	})

	// A burst of guest purchases (no customer id) while GA4 is down, still
	// being sent when the process is killed.
	const burstBatches, perBatch = 400, 25
	batch := func(b int) []order {
		var orders []order
		for i := range perBatch {
			orders = append(orders, order{id: fmt.Sprintf("burst-%02d-%02d", b, i), minor: int64(300 + i), currency: "USD"})
		}
		return orders
	}
	var (
		mu      sync.Mutex
		acked   = map[int]bool{}
		started = make(chan struct{})
		done    = make(chan struct{})
	)
	go func() {
		defer close(done)
		for b := range burstBatches {
			if b == 10 {
				close(started)
			}
			if client.send(t.Context(), purchases("checkout", batch(b)...)) != nil {
				return // the process is gone
			}
			mu.Lock()
			acked[b] = true
			mu.Unlock()
		}
	}()
	<-started
	waitUntil(t, 30*time.Second, "GA4 refusing the burst", func() bool { return proxy.refused.Load() > 0 })
	if err := first.Process.Kill(); err != nil { // SIGKILL: no flush, no state save
		t.Fatal(err)
	}
	_ = first.Wait()
	<-done
	mu.Lock()
	for b := range burstBatches {
		if acked[b] {
			for _, o := range batch(b) {
				preMinor += o.minor
			}
		}
	}
	mu.Unlock()
	t.Logf("killed after %d of %d burst batches were acknowledged", len(acked), burstBatches)

	// Restart with both backends up.
	proxy.down.Store(false)
	hook.setFail(nil)
	startBinary(t, bin, config)
	waitUntil(t, 30*time.Second, "the restarted gateway accepting OTLP", ready)

	// The client re-sends what was not acknowledged (at-least-once).
	var postMinor, resent int64
	for b := range burstBatches {
		if acked[b] {
			continue
		}
		client.mustSend(t, purchases("checkout", batch(b)...))
		resent++
		for _, o := range batch(b) {
			postMinor += o.minor
		}
	}
	// After the restart: the returning customers again, and new ones.
	const newCustomers = 10
	var after []order
	for i := range returning {
		after = append(after, order{id: fmt.Sprintf("post-r%02d", i), minor: int64(2000 + i), currency: "USD", customer: fmt.Sprintf("cus_r%02d", i)})
	}
	for i := range newCustomers {
		after = append(after, order{id: fmt.Sprintf("post-n%02d", i), minor: int64(3000 + i), currency: "USD", customer: fmt.Sprintf("cus_n%02d", i)})
	}
	for _, o := range after {
		postMinor += o.minor
	}
	client.mustSend(t, purchases("checkout", after...))
	client.mustSend(t, paymentFailure("checkout", "prov-c0"))

	// Alerts: seven, each exactly once.
	hook.waitFor(t, time.Minute, "every alert after the restart", func() bool { return len(hook.firing()) >= 7 })
	byProvider := map[string]int{}
	for _, l := range hook.labelsOf(contract.AlertFiring) {
		byProvider[l["payment_provider"]]++
	}
	for _, p := range []string{"prov-a0", "prov-a1", "prov-b0", "prov-b1", "prov-b2", "prov-b3", "prov-c0"} {
		if byProvider[p] != 1 {
			t.Errorf("alert for %s delivered %d times, want once", p, byProvider[p])
		}
	}
	if len(byProvider) != 7 {
		t.Errorf("alerts delivered by provider: %v", byProvider)
	}

	// GA4: every purchase sent, before or after the crash.
	want := map[string]bool{}
	for _, o := range append(before, after...) {
		want[o.id] = true
	}
	for i := 1; i <= trickle; i++ {
		want[fmt.Sprintf("trickle-%d", i)] = true
	}
	for b := range burstBatches {
		for _, o := range batch(b) {
			want[o.id] = true
		}
	}
	waitUntil(t, 2*time.Minute, "every purchase at GA4", func() bool { return len(purchaseIDs(ga4)) >= len(want) })
	dups := 0
	for id, c := range purchaseIDs(ga4) {
		if !want[id] {
			t.Errorf("unexpected transaction %s at GA4", id)
		}
		if c > 1 {
			dups++
			if !strings.HasPrefix(id, "burst-") {
				t.Errorf("transaction %s delivered %d times", id, c)
			}
		}
	}
	t.Logf("GA4: %d transactions, %d delivered more than once (re-sent burst batch, deduped by GA4 on transaction_id)", len(purchaseIDs(ga4)), dups)

	// paymentbi: every acknowledged purchase counted once, across the
	// crash (journal) and the re-sends (dedup by order id): cumulative
	// sums continue, customers are remembered, the day holds everything.
	// A burst batch processed just before the kill but not acknowledged
	// is re-sent and deduplicated, so it counts once either way.
	allOrders := int64(2*returning + trickle + burstBatches*perBatch + newCustomers)
	allMinor := preMinor + postMinor
	// A series new after the restart (such as the returning segment) shows
	// 0 at its first emission and its value from the next: wait for both.
	waitUntil(t, 30*time.Second, "business metrics of every order", func() bool {
		v, ok := scrape(metricsURL, "payment_orders_total")
		r, _ := scrape(metricsURL, "customer_orders_total", `customer_segment="returning"`)
		return ok && int64(v) >= allOrders && r >= returning
	})
	orders, _ := scrape(metricsURL, "payment_orders_total")
	revenue, _ := scrape(metricsURL, "payment_revenue_total", `payment_currency="USD"`)
	ret, _ := scrape(metricsURL, "customer_orders_total", `customer_segment="returning"`)
	fresh, _ := scrape(metricsURL, "customer_orders_total", `customer_segment="new"`)
	guest, _ := scrape(metricsURL, "customer_orders_total", `customer_segment="unknown"`)
	daily, _ := scrape(metricsURL, "payment_revenue_daily")
	t.Logf("after restart: %v orders, %.2f USD, segments returning %v new %v unknown %v; daily %.2f USD; %d burst batches re-sent",
		orders, revenue, ret, fresh, guest, daily, resent)
	if int64(orders) != allOrders {
		t.Errorf("payment_orders_total = %v, want %d: every order once", orders, allOrders)
	}
	if want := float64(allMinor) / 100; math.Abs(revenue-want) > 0.001 {
		t.Errorf("payment_revenue_total = %.2f, want %.2f", revenue, want)
	}
	if ret != returning || int64(fresh) != int64(returning+trickle+newCustomers) || int64(guest) != burstBatches*perBatch {
		t.Errorf("customer segments returning/new/unknown = %v/%v/%v, want %d/%d/%d",
			ret, fresh, guest, returning, returning+trickle+newCustomers, burstBatches*perBatch)
	}
	if want := float64(allMinor) / 100; time.Now().UTC().Hour() != 0 && math.Abs(daily-want) > 0.001 {
		t.Errorf("payment_revenue_daily = %.2f, want %.2f", daily, want)
	}
}
