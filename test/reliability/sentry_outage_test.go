package reliability

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-payments/otelcol-payments/exporter/ga4exporter/ga4test"
	"github.com/otelcol-payments/otelcol-payments/internal/contract"
	"github.com/otelcol-payments/otelcol-payments/internal/e2e"
)

// sentryEvents is a Sentry envelope endpoint that records the event ids it
// accepted (Sentry itself drops a repeated event id).
type sentryEvents struct {
	mu  sync.Mutex
	ids map[string]int
}

func (s *sentryEvents) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	head, _, _ := bufio.NewReader(bytes.NewReader(body)).ReadLine()
	var h struct {
		EventID string `json:"event_id"`
	}
	if !strings.HasSuffix(r.URL.Path, "/envelope/") || json.Unmarshal(head, &h) != nil || h.EventID == "" {
		http.Error(w, "bad envelope", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	s.ids[h.EventID]++
	s.mu.Unlock()
	_, _ = fmt.Fprintf(w, `{"id":%q}`, h.EventID)
}

func (s *sentryEvents) distinct() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.ids)
}

// paymentErrors builds n ERROR log records with an exception, each a
// distinct Sentry event.
func paymentErrors(service string, n int) plog.Logs {
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr(contract.ServiceName, service)
	lrs := rl.ScopeLogs().AppendEmpty().LogRecords()
	now := time.Now()
	for i := range n {
		lr := lrs.AppendEmpty()
		lr.SetTimestamp(pcommon.NewTimestampFromTime(now.Add(time.Duration(i) * time.Millisecond)))
		lr.SetSeverityNumber(plog.SeverityNumberError)
		lr.Body().SetStr("charge failed")
		a := lr.Attributes()
		a.PutStr("exception.type", "ProviderError")
		a.PutStr("exception.message", fmt.Sprintf("provider timeout on attempt %d", i))
		a.PutStr(contract.PaymentProvider, "stripe")
	}
	return ld
}

// Sentry answers 500 and 429 for a while: GA4 purchases and the alert are
// delivered meanwhile (one backend's outage delays no other), and once
// Sentry recovers every queued error event reaches it.
func TestSentryOutageDelaysNothingElse(t *testing.T) {
	sentry := &sentryEvents{ids: map[string]int{}}
	proxy := newFlakyProxy(t, sentry)
	proxy.down.Store(true)
	ga4 := ga4test.New(t, ga4test.WithCredentials("G-RELIABLE1", "reliability-secret"))
	hook := newAlertSink(t)
	addr := e2e.FreeAddr(t)
	dsn := strings.Replace(proxy.URL, "http://", "http://reliabilitypublickey@", 1) + "/42"
	profile := strings.Replace(gatewayDeliveryProfile(addr, ga4.URL, hook.URL, ""), `
exporters:`, `
exporters:
  sentry:
    dsn: `+dsn+`
    retry_on_failure:
      initial_interval: 50ms
      max_interval: 500ms
      max_elapsed_time: 5m`, 1)
	profile = strings.Replace(profile, "exporters: [ga4, threshold]", "exporters: [ga4, threshold, sentry]", 1)
	e2e.Start(t, factories(), profile)
	client := newLogsClient(t, addr)

	const errorsSent = 20
	client.mustSend(t, paymentErrors("checkout", errorsSent))
	waitUntil(t, 30*time.Second, "Sentry refusing", func() bool { return proxy.refused.Load() > 1 })
	client.mustSend(t, purchases("checkout", order{id: "during-sentry-outage", minor: 4999, currency: "USD", customer: "cus_1"}))
	client.mustSend(t, paymentFailure("checkout", "stripe"))
	hook.waitFor(t, 30*time.Second, "the alert during the Sentry outage", func() bool { return len(hook.firing()) == 1 })
	waitUntil(t, 30*time.Second, "the purchase at GA4 during the Sentry outage", func() bool { return purchaseIDs(ga4)["during-sentry-outage"] == 1 })
	if !proxy.down.Load() || sentry.distinct() != 0 {
		t.Fatal("Sentry accepted events during its outage")
	}

	proxy.down.Store(false)
	waitUntil(t, time.Minute, "every error event at Sentry after recovery", func() bool { return sentry.distinct() >= errorsSent })
	if got := sentry.distinct(); got != errorsSent {
		t.Errorf("Sentry got %d distinct events, want %d", got, errorsSent)
	}
	t.Logf("Sentry refused %d requests before recovering", proxy.refused.Load())
}
