package perf

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"

	"github.com/otelcol-payments/otelcol-payments/internal/contract"
	"github.com/otelcol-payments/otelcol-payments/internal/e2e"
)

// backgroundSpansPerSecond is the replayed simulator traffic the alert
// latency is measured under (log records in the load's proportion, ~40%
// of it): about a quarter of what the full pipeline sustains on the 2-core
// machine (BenchmarkPipelineCPU/full).
const backgroundSpansPerSecond = 5000

// webhookSink records when each alert, by its payment_provider label (the
// webhook uses Alertmanager label names), first arrived.
type webhookSink struct {
	*httptest.Server
	mu      sync.Mutex
	arrived map[string]time.Time
	waiting map[string]chan time.Time
}

func newWebhookSink(b *testing.B) *webhookSink {
	s := &webhookSink{arrived: map[string]time.Time{}, waiting: map[string]chan time.Time{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.handle))
	b.Cleanup(s.Close)
	return s
}

func (s *webhookSink) handle(w http.ResponseWriter, r *http.Request) {
	now := time.Now()
	body, _ := io.ReadAll(r.Body)
	var p struct {
		Alerts []struct {
			Status string            `json:"status"`
			Labels map[string]string `json:"labels"`
		} `json:"alerts"`
	}
	if err := json.Unmarshal(body, &p); err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	for _, a := range p.Alerts {
		key := a.Labels["payment_provider"]
		if a.Status != contract.AlertFiring || key == "" {
			continue
		}
		if _, seen := s.arrived[key]; seen {
			continue
		}
		s.arrived[key] = now
		if ch, ok := s.waiting[key]; ok {
			ch <- now
		}
	}
	s.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

// expect registers interest in the alert of provider before it is triggered.
func (s *webhookSink) expect(provider string) <-chan time.Time {
	ch := make(chan time.Time, 1)
	s.mu.Lock()
	s.waiting[provider] = ch
	s.mu.Unlock()
	return ch
}

// failureBurst is the smallest burst of provider failures that the default
// rule critical_payment_failure (share of payment.charge spans failing with
// a provider error over 1m, 10 samples, no hold) pages on: 10 failed
// charges of one provider, in one export. The rule fires on the span that
// crosses its threshold; each provider value is a new alert series and,
// with the route grouping by provider, one notification.
func failureBurst(provider string) ptraceotlp.ExportRequest {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr(contract.ServiceName, "checkout")
	spans := rs.ScopeSpans().AppendEmpty().Spans()
	end := time.Now()
	for i := range 10 {
		sp := spans.AppendEmpty()
		sp.SetName(contract.SpanPaymentCharge)
		sp.SetKind(ptrace.SpanKindClient)
		sp.SetTraceID(pcommon.TraceID{0xbe, byte(i), 1})
		sp.SetSpanID(pcommon.SpanID{0xbe, byte(i), 2})
		sp.SetStartTimestamp(pcommon.NewTimestampFromTime(end.Add(-300 * time.Millisecond)))
		sp.SetEndTimestamp(pcommon.NewTimestampFromTime(end))
		sp.Status().SetCode(ptrace.StatusCodeError)
		a := sp.Attributes()
		a.PutStr(contract.PaymentProvider, provider)
		a.PutStr(contract.PaymentStatus, contract.StatusFailed)
		a.PutStr(contract.PaymentErrorType, "processing_error")
	}
	return ptraceotlp.NewExportRequestFromTraces(td)
}

var latencyRun int

// BenchmarkAlertLatency measures the time from sending a trigger (a
// burst of 10 failed payment.charge spans of one provider over OTLP gRPC) to the alert webhook
// receiving its notification, through the full gateway pipeline under
// backgroundSpansPerSecond of replayed simulator traffic. One iteration is
// one trigger with its own payment.provider, so each makes exactly one
// notification; triggers go one at a time. Reports p50, p99 and max.
// Nothing here asserts a time: a trigger that never arrives fails after
// 30 s.
//
// The alert exporter sends a new group on its first tick after the alert
// arrived, so its tick_interval (default 1s) adds up to one tick: the
// sub-benchmarks run with 1 ms (the pipeline's own latency) and 10 ms.
//
//	go test -run '^$' -bench BenchmarkAlertLatency -benchtime 300x ./test/perf/
func BenchmarkAlertLatency(b *testing.B) {
	for _, tick := range []time.Duration{time.Millisecond, 10 * time.Millisecond} {
		b.Run("tick="+tick.String(), func(b *testing.B) { alertLatency(b, tick) })
	}
}

func alertLatency(b *testing.B, tick time.Duration) {
	l := recordedLoad(b)
	latencyRun++
	hook := newWebhookSink(b)
	be := newBackends(b, true)
	addr := e2e.FreeAddr(b)
	e2e.Start(b, factories(), fullConfig(b, addr, be, webhookAlertYAML(hook.URL, tick), "100ms"))
	c := newClient(b, addr)

	// Background traffic: passes of the load, each with its own order ids,
	// paced; it runs until the triggers are done.
	bgCtx, stopBackground := context.WithCancel(context.Background())
	bgDone := make(chan error, 1)
	firstPass := make(chan struct{})
	go func() {
		var err error
		for pass := 1; bgCtx.Err() == nil && err == nil; pass++ {
			// setPass rewrites request attributes, so it runs only between
			// passes, in this goroutine, never during a send.
			l.setPass(pass)
			err = c.replay(bgCtx, l, backgroundSpansPerSecond)
			if pass == 1 {
				close(firstPass)
			}
		}
		if bgCtx.Err() != nil {
			err = nil
		}
		bgDone <- err
	}()
	defer func() {
		stopBackground()
		if err := <-bgDone; err != nil {
			b.Errorf("background load: %v", err)
		}
		l.setPass(0)
	}()
	// Measure in steady state: after one whole pass of background load
	// (series, customers and windows populated).
	select {
	case <-firstPass:
	case err := <-bgDone:
		b.Fatalf("background load stopped: %v", err)
	}

	latencies := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		provider := fmt.Sprintf("perf-provider-%d-%d", latencyRun, i)
		arrived := hook.expect(provider)
		sent := time.Now()
		if _, err := c.traces.Export(context.Background(), failureBurst(provider)); err != nil {
			b.Fatal(err)
		}
		select {
		case at := <-arrived:
			latencies = append(latencies, at.Sub(sent))
		case <-time.After(30 * time.Second):
			b.Fatalf("alert of trigger %d did not reach the webhook within 30s", i)
		}
	}
	b.StopTimer()
	slices.Sort(latencies)
	b.ReportMetric(msAt(latencies, 0.50), "p50_ms")
	b.ReportMetric(msAt(latencies, 0.99), "p99_ms")
	b.ReportMetric(msAt(latencies, 1), "max_ms")
}

// msAt is the q-quantile (nearest rank) of sorted latencies in ms.
func msAt(sorted []time.Duration, q float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q*float64(len(sorted))+0.5) - 1
	i = max(0, min(i, len(sorted)-1))
	return float64(sorted[i].Microseconds()) / 1000
}
