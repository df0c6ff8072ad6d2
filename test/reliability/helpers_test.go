package reliability

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/exporter/kafkaexporter"
	"github.com/open-telemetry/opentelemetry-collector-contrib/receiver/kafkareceiver"
	"go.opentelemetry.io/collector/otelcol"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	"github.com/otelcol-payments/otelcol-payments/connector/paymentbiconnector"
	"github.com/otelcol-payments/otelcol-payments/connector/threshold"
	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter"
	"github.com/otelcol-payments/otelcol-payments/exporter/ga4exporter"
	"github.com/otelcol-payments/otelcol-payments/exporter/sentryexporter"
	"github.com/otelcol-payments/otelcol-payments/internal/contract"
	"github.com/otelcol-payments/otelcol-payments/internal/e2e"
	"github.com/otelcol-payments/otelcol-payments/processor/paymentbi"
	"github.com/otelcol-payments/otelcol-payments/processor/piisanitizer"
)

// testHashKey is the piisanitizer key of every test profile.
const testHashKey = "reliability-test-hash-key-0123456789abcdef"

// profileHead is the start every persistent test profile shares: a
// file_storage extension on storage, the OTLP gRPC receiver on grpcAddr and
// piisanitizer under the test key. The caller's processors follow it.
func profileHead(grpcAddr, storage string) string {
	return `
extensions:
  file_storage:
    directory: ` + storage + `
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: ` + grpcAddr + `
processors:
  piisanitizer:
    hash_key: ` + testHashKey + `
`
}

// factories are the distribution's payment components plus Kafka, on top of
// the e2e harness's base set.
func factories() otelcol.Factories {
	f := e2e.BaseFactories()
	f = e2e.WithReceivers(f, kafkareceiver.NewFactory())
	f = e2e.WithProcessors(f, piisanitizer.NewFactory(), paymentbi.NewFactory())
	f = e2e.WithConnectors(f, paymentbiconnector.NewFactory(), threshold.NewFactory())
	f = e2e.WithExporters(f, alertexporter.NewFactory(), ga4exporter.NewFactory(), sentryexporter.NewFactory(), kafkaexporter.NewFactory())
	return f
}

// order is one purchase the tests send as a business event.
type order struct {
	id       string
	minor    int64
	currency string
	customer string
}

// purchases builds ecommerce.purchase log records of service.
func purchases(service string, orders ...order) plog.Logs {
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr(contract.ServiceName, service)
	lrs := rl.ScopeLogs().AppendEmpty().LogRecords()
	now := pcommon.NewTimestampFromTime(time.Now())
	for _, o := range orders {
		lr := lrs.AppendEmpty()
		lr.SetTimestamp(now)
		lr.SetEventName(contract.EventPurchase)
		a := lr.Attributes()
		a.PutStr(contract.EventName, contract.EventPurchase)
		a.PutStr(contract.OrderID, o.id)
		a.PutInt(contract.PaymentAmountMinor, o.minor)
		a.PutStr(contract.PaymentCurrency, o.currency)
		a.PutStr(contract.PaymentMethod, "card")
		a.PutStr(contract.PaymentProvider, "stripe")
		if o.customer != "" { // none: a guest checkout (segment "unknown")
			a.PutStr(contract.CustomerID, o.customer)
		}
		a.PutStr(contract.GAClientID, "1234567890.1764300000")
	}
	return ld
}

// paymentFailure builds a payment.failed event that the critical_payment_failure
// rule of the test profiles fires on at once.
func paymentFailure(service, provider string) plog.Logs {
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr(contract.ServiceName, service)
	lr := rl.ScopeLogs().AppendEmpty().LogRecords().AppendEmpty()
	lr.SetTimestamp(pcommon.NewTimestampFromTime(time.Now()))
	lr.SetEventName(contract.EventPaymentFailed)
	lr.SetSeverityNumber(plog.SeverityNumberWarn)
	a := lr.Attributes()
	a.PutStr(contract.EventName, contract.EventPaymentFailed)
	a.PutStr(contract.PaymentProvider, provider)
	a.PutStr(contract.PaymentErrorType, "processing_error")
	return ld
}

// logsClient sends OTLP logs over gRPC, optionally with request headers.
type logsClient struct {
	c       plogotlp.GRPCClient
	headers metadata.MD
}

func newLogsClient(t testing.TB, addr string, headers ...string) *logsClient {
	t.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return &logsClient{c: plogotlp.NewGRPCClient(conn), headers: metadata.Pairs(headers...)}
}

func (l *logsClient) send(ctx context.Context, ld plog.Logs) error {
	ctx = metadata.NewOutgoingContext(ctx, l.headers)
	_, err := l.c.Export(ctx, plogotlp.NewExportRequestFromLogs(ld))
	return err
}

func (l *logsClient) mustSend(t testing.TB, ld plog.Logs) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := l.send(ctx, ld); err != nil {
		t.Fatalf("export: %v", err)
	}
}

// webhookAlert is one alert of an Alertmanager v4 webhook payload.
type webhookAlert struct {
	Status      string            `json:"status"`
	Labels      map[string]string `json:"labels"`
	Fingerprint string            `json:"fingerprint"`
}

// alertSink is an alert webhook endpoint. fail, when set, answers a request
// instead of accepting it (an outage); every accepted payload is recorded and
// signalled.
type alertSink struct {
	*httptest.Server
	mu       sync.Mutex
	fail     func() int
	alerts   []webhookAlert
	arrivals []time.Time
	refused  int
	changed  chan struct{}
}

func newAlertSink(t testing.TB) *alertSink {
	s := &alertSink{changed: make(chan struct{})}
	s.Server = httptest.NewServer(http.HandlerFunc(s.handle))
	t.Cleanup(s.Close)
	return s
}

func (s *alertSink) setFail(f func() int) {
	s.mu.Lock()
	s.fail = f
	s.mu.Unlock()
}

func (s *alertSink) handle(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		if code := s.fail(); code != 0 {
			s.refused++
			if code == http.StatusTooManyRequests {
				w.Header().Set("Retry-After", "1")
			}
			w.WriteHeader(code)
			return
		}
	}
	var p struct {
		Alerts []webhookAlert `json:"alerts"`
	}
	if err := json.Unmarshal(body, &p); err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	for _, a := range p.Alerts {
		s.alerts = append(s.alerts, a)
		s.arrivals = append(s.arrivals, time.Now())
	}
	close(s.changed)
	s.changed = make(chan struct{})
	w.WriteHeader(http.StatusOK)
}

// firing returns the firing alerts received, by fingerprint, with how often
// each was delivered.
func (s *alertSink) firing() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]int{}
	for _, a := range s.alerts {
		if a.Status == contract.AlertFiring {
			out[a.Fingerprint]++
		}
	}
	return out
}

func (s *alertSink) labelsOf(status string) []map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []map[string]string
	for _, a := range s.alerts {
		if a.Status == status {
			out = append(out, a.Labels)
		}
	}
	return out
}

// waitFor re-checks cond on every delivery until it holds or timeout passes.
func (s *alertSink) waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		ch := s.changed
		s.mu.Unlock()
		if cond() {
			return
		}
		select {
		case <-ch:
		case <-deadline.C:
			t.Fatalf("alert sink: timed out after %s waiting for %s", timeout, what)
		}
	}
}

// waitUntil polls a condition the code under test offers no event for (a
// count inside a test server that other goroutines update), with a deadline.
func waitUntil(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		<-tick.C
	}
}

// alertExporterYAML is an alert exporter delivering every alert at once to
// a webhook, with quick retries.
func alertExporterYAML(url string) string {
	return fmt.Sprintf(`
  alert:
    tick_interval: 50ms
    channels:
      hook:
        webhook:
          url: %s
        retry_on_failure:
          initial_interval: 50ms
          max_interval: 500ms
          max_elapsed_time: 2m
    receivers:
      default:
        channels: [hook]
    route:
      receiver: default
      group_by: [alert.name, service.name, payment.provider]
      group_wait: 0s
      group_interval: 1s
      repeat_interval: 4h`, url)
}

// criticalFailureRule fires at once on a processing_error payment failure.
const criticalFailureRule = `
  threshold:
    evaluation_interval: 100ms
    rules:
      - name: critical_payment_failure
        severity: critical
        group_by: [service.name, payment.provider, payment.error_type]
        keep_firing_for: 1h
        event:
          match:
            event_names: [payment.failed]
            attributes:
              - {key: payment.error_type, values: [processing_error]}`
