//go:build long

package reliability

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/otelcol-payments/otelcol-payments/internal/contract"
	"github.com/otelcol-payments/otelcol-payments/internal/e2e"
)

// Budgets of the cardinality flood (docs/deployment.md). The scrape is
// bounded by series_budget in front of the Prometheus exporter (2,500 lines
// of at most a few hundred bytes in the local profile).
const (
	floodRSSBound    = 256 << 20 // bytes
	floodScrapeBound = 1_000_000 // bytes
)

// The cardinality attack of issue 15 against the built binary on the local
// profile: 20k span names, 20k payment.provider and payment.method values,
// 10k service.name values, and an app counter labelled per customer.email
// and client.address. Before the budgets it made 50,001 series, a 268 MB
// scrape and 931 MiB of RSS; with the edge's service budget and span
// metrics' own limit alone still 5.4 MB. Now the scrape stays under 1 MB
// and RSS under 256 MiB, and what the series budget refused is counted.
func TestCardinalityFloodStaysBounded(t *testing.T) {
	bin := binary(t)
	grpcAddr, httpAddr, health, prom, dash := e2e.FreeAddr(t), e2e.FreeAddr(t), e2e.FreeAddr(t), e2e.FreeAddr(t), e2e.FreeAddr(t)
	raw, err := os.ReadFile(repoFile(t, "config/otelcol.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	_, ownPort, _ := strings.Cut(e2e.FreeAddr(t), ":")
	profile := strings.NewReplacer(
		// its own state directory and telemetry port, not the repository's
		"./data/otelcol-payments", t.TempDir(), "port: ${env:OTELCOL_TELEMETRY_PORT:-8888}", "port: "+ownPort,
		"localhost:13133", health, "localhost:4317", grpcAddr, "localhost:4318", httpAddr,
		"localhost:8889", prom, "localhost:8080", dash,
		// Flush span metrics sooner so the test waits seconds, not minutes.
		"metrics_flush_interval: 15s", "metrics_flush_interval: 2s",
	).Replace(string(raw))
	config := filepath.Join(t.TempDir(), "otelcol.yaml")
	if err := os.WriteFile(config, []byte(profile), 0o600); err != nil {
		t.Fatal(err)
	}
	// with the collector's own telemetry, where the series budget counts
	cmd := startBinaryArgs(t, bin, []string{"--config", config})
	waitUntil(t, 60*time.Second, "health check", func() bool {
		resp, err := http.Get("http://" + health + "/")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	conn, err := grpc.NewClient(grpcAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	traces, metrics := ptraceotlp.NewGRPCClient(conn), pmetricotlp.NewGRPCClient(conn)

	now := time.Now()
	const spans, batch = 20_000, 500
	for start := 0; start < spans; start += batch {
		td := ptrace.NewTraces()
		for i := start; i < start+batch; i++ {
			rs := td.ResourceSpans().AppendEmpty()
			rs.Resource().Attributes().PutStr(contract.ServiceName, fmt.Sprintf("svc-%05d", i%10_000))
			span := rs.ScopeSpans().AppendEmpty().Spans().AppendEmpty()
			span.SetName(fmt.Sprintf("GET /orders/%06d", i))
			if i%4 == 0 {
				span.SetName(fmt.Sprintf("GET /users/user%06d@example.com", i))
			}
			span.SetKind(ptrace.SpanKindServer)
			span.SetTraceID(pcommon.TraceID([16]byte{1, byte(i >> 16), byte(i >> 8), byte(i)}))
			span.SetSpanID(pcommon.SpanID([8]byte{2, byte(i >> 16), byte(i >> 8), byte(i)}))
			span.SetStartTimestamp(pcommon.NewTimestampFromTime(now))
			span.SetEndTimestamp(pcommon.NewTimestampFromTime(now.Add(time.Duration(i%500) * time.Millisecond)))
			span.Attributes().PutStr(contract.PaymentProvider, "provider-"+strconv.Itoa(i))
			span.Attributes().PutStr(contract.PaymentMethod, "method-"+strconv.Itoa(i))
		}
		if _, err := traces.Export(t.Context(), ptraceotlp.NewExportRequestFromTraces(td)); err != nil {
			t.Fatalf("traces batch %d: %v", start/batch, err)
		}
	}
	md := pmetric.NewMetrics()
	rm := md.ResourceMetrics().AppendEmpty()
	rm.Resource().Attributes().PutStr(contract.ServiceName, "checkout")
	sum := rm.ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
	sum.SetName("checkout.requests")
	s := sum.SetEmptySum()
	s.SetIsMonotonic(true)
	s.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
	for i := range 5_000 {
		dp := s.DataPoints().AppendEmpty()
		dp.SetTimestamp(pcommon.NewTimestampFromTime(now))
		dp.SetIntValue(1)
		dp.Attributes().PutStr(contract.CustomerEmail, fmt.Sprintf("customer%05d@example.com", i))
		dp.Attributes().PutStr(contract.ClientAddress, fmt.Sprintf("203.0.%d.%d", i/256, i%256))
		dp.Attributes().PutStr("route", "/checkout")
	}
	if _, err := metrics.Export(t.Context(), pmetricotlp.NewExportRequestFromMetrics(md)); err != nil {
		t.Fatal(err)
	}

	// Span metrics flush every 2 s: wait for two flushes through the series
	// budget after the flood (the second began after the last span), so the
	// scrape is at its steady size.
	telemetry := "http://localhost:" + ownPort + "/metrics"
	for range 2 {
		before, _ := scrape(telemetry, "otelcol_processor_incoming_items", `processor="series_budget"`)
		waitUntil(t, 30*time.Second, "a span metrics flush through the series budget", func() bool {
			n, _ := scrape(telemetry, "otelcol_processor_incoming_items", `processor="series_budget"`)
			return n > before
		})
	}
	body := scrapeBody("http://" + prom + "/metrics")
	lines := strings.Count(string(body), "\n")
	rss := vmRSS(t, cmd.Process.Pid)
	t.Logf("after the flood: scrape %d bytes, %d lines; RSS %.1f MiB", len(body), lines, float64(rss)/(1<<20))

	if len(body) >= floodScrapeBound {
		t.Errorf("scrape is %d bytes, want under %d", len(body), floodScrapeBound)
	}
	if rss >= floodRSSBound {
		t.Errorf("RSS %d MiB, want under %d MiB", rss>>20, floodRSSBound>>20)
	}
	for _, leak := range []string{"customer_email", "client_address", "@example.com"} {
		if strings.Contains(string(body), leak) {
			t.Errorf("the scrape carries %q", leak)
		}
	}
	if n := strings.Count(string(body), "checkout_requests_total{"); n != 1 {
		t.Errorf("the per-customer counter makes %d series, want 1", n)
	}
	// The flood's first services and span names fill the budget: span
	// metrics are there, within their per-metric share.
	if n := strings.Count(string(body), "traces_span_metrics_calls_total{"); n == 0 || n > 1000 {
		t.Errorf("%d span metrics call series, want 1 to 1000 (max_series_per_metric)", n)
	}
	refused, _ := scrape(telemetry, "otelcol_processor_series_budget_refused")
	inUse, _ := scrape(telemetry, "otelcol_processor_series_budget_series")
	t.Logf("series budget: %.0f places in use, %.0f data points refused", inUse, refused)
	if refused == 0 || inUse > 2500 {
		t.Errorf("series budget: %.0f refused, %.0f places in use; want the flood refused and counted, at most 2,500 places used", refused, inUse)
	}
}

// scrapeBody returns the body of a Prometheus endpoint (nil while it is down).
func scrapeBody(url string) []byte {
	resp, err := http.Get(url)
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return body
}

// vmRSS reads a process's resident set size from /proc.
func vmRSS(t *testing.T, pid int) int64 {
	t.Helper()
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatal("no VmRSS")
	return 0
}
