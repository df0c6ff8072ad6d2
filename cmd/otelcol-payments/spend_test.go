package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"google.golang.org/grpc"

	"github.com/otelcol-payments/otelcol-payments/exporter/ga4exporter/ga4test"
	"github.com/otelcol-payments/otelcol-payments/internal/e2e"
	"github.com/otelcol-payments/otelcol-payments/internal/sim"
	"github.com/otelcol-payments/otelcol-payments/internal/spend"
)

// volume is what a sink accepted: events (GA4 events, Sentry envelopes,
// spans) and bytes (HTTP bodies; OTLP protobuf requests).
type volume struct {
	mu           sync.Mutex
	events, size int64
}

func (v *volume) add(events, n int) {
	v.mu.Lock()
	v.events += int64(events)
	v.size += int64(n)
	v.mu.Unlock()
}

func (v *volume) get() (events, n int64) {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.events, v.size
}

// sentrySink accepts every well-formed envelope (one event each).
func sentrySink(t *testing.T) (*httptest.Server, *volume) {
	v := &volume{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		head, _, _ := bufio.NewReader(bytes.NewReader(body)).ReadLine()
		var h struct {
			EventID string `json:"event_id"`
		}
		if !strings.HasSuffix(r.URL.Path, "/envelope/") || r.Header.Get("Content-Encoding") != "" || json.Unmarshal(head, &h) != nil || h.EventID == "" {
			http.Error(w, "bad envelope", http.StatusBadRequest)
			return
		}
		v.add(1, len(body))
		_, _ = fmt.Fprintf(w, `{"id":%q}`, h.EventID)
	}))
	t.Cleanup(srv.Close)
	return srv, v
}

// tracingSink is an OTLP/gRPC traces backend counting the spans and the
// protobuf size of the requests it accepts.
type tracingSink struct {
	ptraceotlp.UnimplementedGRPCServer
	volume
}

func (s *tracingSink) Export(_ context.Context, req ptraceotlp.ExportRequest) (ptraceotlp.ExportResponse, error) {
	b, err := req.MarshalProto()
	if err != nil {
		return ptraceotlp.NewExportResponse(), err
	}
	s.add(req.Traces().SpanCount(), len(b))
	return ptraceotlp.NewExportResponse(), nil
}

func startTracingSink(t *testing.T) (*tracingSink, string) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	s := &tracingSink{}
	srv := grpc.NewServer()
	ptraceotlp.RegisterGRPCServer(srv, s)
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(srv.Stop)
	return s, l.Addr().String()
}

// dashboardSpend reads the spend panel of /api/dashboard.
func dashboardSpend(t *testing.T, addr, token string) spend.Snapshot {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, "http://"+addr+"/api/dashboard", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var d struct {
		Spend spend.Snapshot `json:"spend"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&d))
	return d.Spend
}

func spendOf(s spend.Snapshot, exporter, host string) spend.Destination {
	for _, d := range s.Destinations {
		if d.Exporter == exporter && d.Host == host {
			return d
		}
	}
	return spend.Destination{}
}

// The gateway profile as shipped, fed by the simulator, with local sinks
// for GA4, Sentry and the tracing backend: the spend figures on the
// dashboard equal what each sink accepted, events and bytes exactly, and
// the received figures equal what the simulator sent.
func TestGatewaySpendMatchesWhatTheSinksReceived(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the gateway profile with the simulator")
	}
	e2e.SetEnvFile(t, repoFile(t, "config/validate.env"))
	ga4 := ga4test.New(t, ga4test.WithCredentials(os.Getenv("GA4_MEASUREMENT_ID"), os.Getenv("GA4_API_SECRET")))
	sentry, sentryGot := sentrySink(t)
	tracing, tracingAddr := startTracingSink(t)
	otlpGRPC, dashboard := e2e.FreeAddr(t), e2e.FreeAddr(t)
	_, telemetryPort, _ := strings.Cut(e2e.FreeAddr(t), ":")
	sentryHost := strings.TrimPrefix(sentry.URL, "http://")
	for k, v := range map[string]string{
		"SENTRY_DSN":                  "http://spendtestpublickey@" + sentryHost + "/42",
		"TRACING_BACKEND_ENDPOINT":    tracingAddr,
		"OTELCOL_OTLP_GRPC_ENDPOINT":  otlpGRPC,
		"OTELCOL_OTLP_HTTP_ENDPOINT":  e2e.FreeAddr(t),
		"OTELCOL_HEALTH_ENDPOINT":     e2e.FreeAddr(t),
		"OTELCOL_PPROF_ENDPOINT":      e2e.FreeAddr(t),
		"OTELCOL_PROMETHEUS_ENDPOINT": e2e.FreeAddr(t),
		"ALERT_API_ENDPOINT":          e2e.FreeAddr(t),
		"OTELCOL_DASHBOARD_ENDPOINT":  dashboard,
		"OTELCOL_TELEMETRY_HOST":      "127.0.0.1",
		"OTELCOL_TELEMETRY_PORT":      telemetryPort,
		"OTELCOL_STORAGE_DIR":         t.TempDir(),
		"OTELCOL_LOG_LEVEL":           "warn",
	} {
		t.Setenv(k, v)
	}
	raw, err := os.ReadFile(repoFile(t, "config/gateway.yaml"))
	require.NoError(t, err)
	cfg := string(raw)
	// GA4 has no endpoint variable (it is Google's); the tracing sink
	// speaks plain gRPC.
	for old, repl := range map[string]string{
		"  ga4:\n    measurement_id:":                     "  ga4:\n    endpoint: " + ga4.URL + "\n    measurement_id:",
		"    endpoint: ${env:TRACING_BACKEND_ENDPOINT}\n": "    endpoint: ${env:TRACING_BACKEND_ENDPOINT}\n    tls:\n      insecure: true\n",
	} {
		require.Contains(t, cfg, old)
		cfg = strings.Replace(cfg, old, repl, 1)
	}
	before := spend.Default.Snapshot().Received
	factories, err := components()
	require.NoError(t, err)
	e2e.Start(t, factories, cfg)

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ledger, err := sim.Run(ctx, sim.Config{
		Endpoint: otlpGRPC, Insecure: true, Seed: 21, Count: 300, Rate: 0,
		SpanEventShare: 0.2, RefundRate: 0.05,
		Outage: &sim.Outage{FromSession: 100, Sessions: 100, FailureRate: 0.7},
	})
	require.NoError(t, err)

	// sim.Run returns once the receiver accepted everything.
	received := map[string]int64{}
	for i, r := range spend.Default.Snapshot().Received {
		received[r.Signal] = r.Items - before[i].Items
	}
	assert.Equal(t, ledger.Spans, received["traces"], "spans the OTLP receiver accepted")
	assert.Equal(t, ledger.LogRecords, received["logs"], "log records the OTLP receiver accepted")

	token := os.Getenv("DASHBOARD_TOKEN")
	ga4Host, tracingHost := strings.TrimPrefix(ga4.URL, "http://"), tracingAddr
	sinks := func() (ga4Events, ga4Bytes int64) {
		for _, r := range ga4.Requests() {
			if r.Path == ga4test.CollectPath && r.Status/100 == 2 && r.Payload != nil {
				ga4Events += int64(len(r.Payload.Events))
				ga4Bytes += int64(len(r.Body))
			}
		}
		return ga4Events, ga4Bytes
	}
	var snap spend.Snapshot
	deadline := time.Now().Add(90 * time.Second)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		snap = dashboardSpend(t, dashboard, token)
		ge, gb := sinks()
		se, sb := sentryGot.get()
		te, tb := tracing.get()
		g, s, tr := spendOf(snap, "ga4", ga4Host), spendOf(snap, "sentry", sentryHost), spendOf(snap, "otlp_split/tracing", tracingHost)
		settled := ge > 0 && se > 0 && te > 0 &&
			g.Events == ge && g.Bytes == gb && s.Events == se && s.Bytes == sb && tr.Events == te && tr.Bytes == tb
		if settled {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("spend never matched the sinks:\nGA4 spend %d events %d bytes, sink %d %d\nSentry spend %d %d, sink %d %d\ntracing spend %d %d, sink %d %d",
				g.Events, g.Bytes, ge, gb, s.Events, s.Bytes, se, sb, tr.Events, tr.Bytes, te, tb)
		}
		<-tick.C
	}

	// Every destination's figures: its kind, the last hour equal to the
	// totals (all of it was just sent), and a share of the received.
	for _, d := range []struct{ exporter, kind, host string }{
		{"ga4", "ga4", ga4Host}, {"sentry", "sentry", sentryHost}, {"otlp_split/tracing", "otlp_grpc", tracingHost},
	} {
		x := spendOf(snap, d.exporter, d.host)
		assert.Equal(t, d.kind, x.Kind, d.exporter)
		assert.Equal(t, x.Events, x.EventsLastHour, d.exporter)
		assert.Equal(t, x.Bytes, x.BytesLastHour, d.exporter)
		assert.Positive(t, x.Requests, d.exporter)
		if assert.NotNil(t, x.ShareOfReceived, d.exporter) {
			assert.Greater(t, *x.ShareOfReceived, 0.0, d.exporter)
		}
		assert.NotContains(t, x.Host, "spendtestpublickey", "no DSN key in a destination")
	}
	assert.Equal(t, []string{"traces"}, spendOf(snap, "otlp_split/tracing", tracingHost).Signals)

	// The same figures as the collector's own metrics, read between two
	// equal readings of the sink (GA4 may still be receiving).
	for metric, value := range map[string]func() int64{
		"otelcol_exporter_spend_events": func() int64 { e, _ := sinks(); return e },
		"otelcol_exporter_spend_bytes":  func() int64 { _, b := sinks(); return b },
	} {
		var got, want int64
		for deadline := time.Now().Add(30 * time.Second); ; <-tick.C {
			want = value()
			got = scrapeCounter(t, "127.0.0.1:"+telemetryPort, metric, `destination_host="`+ga4Host+`"`, `exporter="ga4"`)
			if got == want && value() == want || time.Now().After(deadline) {
				break
			}
		}
		assert.Equal(t, want, got, "%s of GA4 on :8888", metric)
	}
	t.Logf("spend: %+v", snap.Destinations)
}

// scrapeCounter reads the value of metric on the line that has all labels
// from a Prometheus endpoint; -1 when there is none.
func scrapeCounter(t *testing.T, addr, metric string, labels ...string) int64 {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, metric+"{") && containsAll(line, labels) {
			var v float64
			_, err := fmt.Sscanf(line[strings.LastIndex(line, " ")+1:], "%g", &v)
			require.NoError(t, err, line)
			return int64(v)
		}
	}
	return -1
}

func containsAll(s string, parts []string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}
