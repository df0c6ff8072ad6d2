package perf

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/connector/spanmetricsconnector"
	"github.com/open-telemetry/opentelemetry-collector-contrib/exporter/prometheusexporter"
	"github.com/open-telemetry/opentelemetry-collector-contrib/processor/probabilisticsamplerprocessor"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/otelcol"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/otelcol-payments/otelcol-payments/connector/paymentbiconnector"
	"github.com/otelcol-payments/otelcol-payments/connector/threshold"
	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter"
	"github.com/otelcol-payments/otelcol-payments/exporter/dashboardexporter"
	"github.com/otelcol-payments/otelcol-payments/exporter/ga4exporter"
	"github.com/otelcol-payments/otelcol-payments/exporter/ga4exporter/ga4test"
	"github.com/otelcol-payments/otelcol-payments/exporter/sentryexporter"
	"github.com/otelcol-payments/otelcol-payments/internal/e2e"
	"github.com/otelcol-payments/otelcol-payments/processor/paymentbi"
	"github.com/otelcol-payments/otelcol-payments/processor/piisanitizer"
)

// factories are the gateway profile's components on top of the e2e base set,
// plus the counting sink.
func factories() otelcol.Factories {
	f := e2e.BaseFactories()
	f = e2e.WithProcessors(f, piisanitizer.NewFactory(), paymentbi.NewFactory(), probabilisticsamplerprocessor.NewFactory())
	f = e2e.WithConnectors(f, paymentbiconnector.NewFactory(), threshold.NewFactory(), spanmetricsconnector.NewFactory())
	f = e2e.WithExporters(f, alertexporter.NewFactory(), ga4exporter.NewFactory(), sentryexporter.NewFactory(),
		prometheusexporter.NewFactory(), dashboardexporter.NewFactory(), countFactory())
	return f
}

// cpuTime is the CPU time (user + system) this process has used so far:
// the collector, the replaying client and the local sinks alike, which is
// why both pipelines are measured with the same client on the same load.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// counts are what a count exporter received; done is signalled on every
// delivery so waiting needs no polling.
type counts struct {
	spans, records, points atomic.Int64
	mu                     sync.Mutex
	changed                chan struct{}
}

var (
	countsMu sync.Mutex
	countsBy = map[string]*counts{}
)

// sinkCounts returns the counters of the exporter "count/NAME".
func sinkCounts(name string) *counts {
	countsMu.Lock()
	defer countsMu.Unlock()
	c, ok := countsBy[name]
	if !ok {
		c = &counts{changed: make(chan struct{})}
		countsBy[name] = c
	}
	return c
}

func (c *counts) notify() {
	c.mu.Lock()
	close(c.changed)
	c.changed = make(chan struct{})
	c.mu.Unlock()
}

// waitFor blocks until cond holds, re-checking on every delivery.
func (c *counts) waitFor(b *testing.B, timeout time.Duration, what string, cond func() bool) {
	b.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		c.mu.Lock()
		ch := c.changed
		c.mu.Unlock()
		if cond() {
			return
		}
		select {
		case <-ch:
		case <-deadline.C:
			b.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
	}
}

// countFactory is a nop-like sink that only counts, so the passthrough
// pipeline's sink costs next to nothing and keeps no data in memory.
func countFactory() exporter.Factory {
	type cfg struct{}
	typ := component.MustNewType("count")
	return exporter.NewFactory(typ, func() component.Config { return &cfg{} },
		exporter.WithTraces(func(_ context.Context, set exporter.Settings, _ component.Config) (exporter.Traces, error) {
			c := sinkCounts(set.ID.Name())
			return countExporter{ConsumeTracesFunc: func(_ context.Context, td ptrace.Traces) error {
				c.spans.Add(int64(td.SpanCount()))
				c.notify()
				return nil
			}}, nil
		}, component.StabilityLevelDevelopment),
		exporter.WithLogs(func(_ context.Context, set exporter.Settings, _ component.Config) (exporter.Logs, error) {
			c := sinkCounts(set.ID.Name())
			return countExporter{ConsumeLogsFunc: func(_ context.Context, ld plog.Logs) error {
				c.records.Add(int64(ld.LogRecordCount()))
				c.notify()
				return nil
			}}, nil
		}, component.StabilityLevelDevelopment),
		exporter.WithMetrics(func(_ context.Context, set exporter.Settings, _ component.Config) (exporter.Metrics, error) {
			c := sinkCounts(set.ID.Name())
			return countExporter{ConsumeMetricsFunc: func(_ context.Context, md pmetric.Metrics) error {
				c.points.Add(int64(md.DataPointCount()))
				c.notify()
				return nil
			}}, nil
		}, component.StabilityLevelDevelopment),
	)
}

type countExporter struct {
	component.StartFunc
	component.ShutdownFunc
	ConsumeTracesFunc  func(context.Context, ptrace.Traces) error
	ConsumeLogsFunc    func(context.Context, plog.Logs) error
	ConsumeMetricsFunc func(context.Context, pmetric.Metrics) error
}

func (countExporter) Capabilities() consumer.Capabilities { return consumer.Capabilities{} }

func (e countExporter) ConsumeTraces(ctx context.Context, td ptrace.Traces) error {
	return e.ConsumeTracesFunc(ctx, td)
}

func (e countExporter) ConsumeLogs(ctx context.Context, ld plog.Logs) error {
	return e.ConsumeLogsFunc(ctx, ld)
}

func (e countExporter) ConsumeMetrics(ctx context.Context, md pmetric.Metrics) error {
	return e.ConsumeMetricsFunc(ctx, md)
}

// sentryEndpoint accepts Sentry envelopes (POST /api/{project}/envelope/)
// and answers 200 like Sentry; it counts requests so a run can show that
// the exporter did send.
type sentryEndpoint struct {
	*httptest.Server
	envelopes atomic.Int64
}

const sentryProject = "4242"

func newSentryEndpoint(b *testing.B) *sentryEndpoint {
	s := &sentryEndpoint{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		if r.Method != http.MethodPost || r.URL.Path != "/api/"+sentryProject+"/envelope/" {
			http.NotFound(w, r)
			return
		}
		s.envelopes.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{}`)
	}))
	b.Cleanup(s.Close)
	return s
}

func (s *sentryEndpoint) dsn() string {
	return strings.Replace(s.URL, "http://", "http://0123456789abcdef0123456789abcdef@", 1) + "/" + sentryProject
}

const (
	testHashKey     = "perf-benchmark-hash-key-0123456789abcdef"
	ga4Measurement  = "G-PERFBENCH1"
	ga4Secret       = "perf-bench-secret"
	defaultRulesYML = "../../connector/threshold/testdata/default_rules.yaml"
)

// defaultRules is the threshold connector block of the default rule set,
// indented under `connectors:`, with its evaluation interval replaced.
func defaultRules(b *testing.B, evaluationInterval string) string {
	b.Helper()
	raw, err := os.ReadFile(defaultRulesYML)
	if err != nil {
		b.Fatal(err)
	}
	var out strings.Builder
	for _, line := range strings.Split(string(raw), "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "#") || strings.TrimSpace(line) == "" {
			continue
		}
		if strings.HasPrefix(line, "  evaluation_interval:") {
			line = "  evaluation_interval: " + evaluationInterval
		}
		out.WriteString("  " + line + "\n")
	}
	if !strings.Contains(out.String(), "evaluation_interval: "+evaluationInterval) {
		b.Fatalf("%s: no evaluation_interval to override", defaultRulesYML)
	}
	return out.String()
}

// backends are the local stand-ins for the gateway's SaaS sinks.
type backends struct {
	// ga4 validates every Measurement Protocol request against GA4's limits
	// (and fails the benchmark on a violation); ga4URL is where the exporter
	// sends: ga4's URL, or a bare endpoint when the validation's own CPU
	// must stay out of the figure.
	ga4      *ga4test.Server
	ga4URL   string
	ga4Posts atomic.Int64
	sentry   *sentryEndpoint
}

func newBackends(b *testing.B, validateGA4 bool) *backends {
	be := &backends{sentry: newSentryEndpoint(b)}
	if validateGA4 {
		be.ga4 = ga4test.New(b, ga4test.WithCredentials(ga4Measurement, ga4Secret))
		be.ga4URL = be.ga4.URL
		return be
	}
	bare := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		be.ga4Posts.Add(1)
		w.WriteHeader(http.StatusNoContent)
	}))
	b.Cleanup(bare.Close)
	be.ga4URL = bare.URL
	return be
}

// ga4Delivered is the number of GA4 requests that reached the endpoint.
func (be *backends) ga4Delivered() int {
	if be.ga4 != nil {
		return len(be.ga4.Requests())
	}
	return int(be.ga4Posts.Load())
}

// passthroughConfig is the baseline: OTLP in, batch, a counting sink.
func passthroughConfig(addr string) string {
	return `
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: ` + addr + `
        max_recv_msg_size_mib: 16
processors:
  batch:
    timeout: 200ms
    send_batch_size: 8192
    send_batch_max_size: 16384
exporters:
  count/passthrough: {}
service:
  pipelines:
    traces: {receivers: [otlp], processors: [batch], exporters: [count/passthrough]}
    logs: {receivers: [otlp], processors: [batch], exporters: [count/passthrough]}
    metrics: {receivers: [otlp], processors: [batch], exporters: [count/passthrough]}
`
}

// fullConfig is config/gateway.yaml's pipelines with local sinks: GA4 and
// Sentry test servers, Prometheus and the dashboard on free ports, alerts
// through the alert exporter (alertYAML: its exporter block). Differences
// from the gateway, all to keep the measurement inside the send window:
// no file_storage (memory queues and state), the GA4 and Sentry sending
// queues off so their HTTP pushes happen inside each OTLP request, the
// tracing backend replaced by a counting sink, and the periodic work
// (span_metrics and paymentbi flushes, threshold evaluation) every second
// instead of every 15 s, so its cost is in the figure, overstated if
// anything.
func fullConfig(b *testing.B, addr string, be *backends, alertYAML, evaluationInterval string) string {
	return `
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: ` + addr + `
        max_recv_msg_size_mib: 16
processors:
  memory_limiter:
    check_interval: 100ms
    limit_percentage: 80
    spike_limit_percentage: 30
  piisanitizer:
    hash_key: ` + testHashKey + `
  paymentbi:
    reporting_currency: USD
    exchange_rates: {EUR: "1.08", GBP: "1.27", JPY: "0.0067", KWD: "3.25"}
    timezone: America/Denver
  batch:
    timeout: 1s
    send_batch_size: 8192
    send_batch_max_size: 16384
  probabilistic_sampler/tracing:
    sampling_percentage: 10
    mode: proportional
connectors:
  span_metrics:
    histogram:
      explicit:
        buckets: [5ms, 10ms, 25ms, 50ms, 100ms, 250ms, 500ms, 1s, 2s, 5s, 10s]
    dimensions:
      - name: payment.provider
      - name: payment.method
    metrics_flush_interval: 1s
  paymentbi:
    reporting_currency: USD
    exchange_rates: {EUR: "1.08", GBP: "1.27", JPY: "0.0067", KWD: "3.25"}
    timezone: America/Denver
    daily_revenue_target: 50000
    monthly_revenue_target: 1500000
    emit_interval: 1s
` + defaultRules(b, evaluationInterval) + `
exporters:
  prometheus:
    endpoint: ` + e2e.FreeAddr(b) + `
    send_timestamps: false
    metric_expiration: 30m
  sentry:
    dsn: ` + be.sentry.dsn() + `
    max_events_per_batch: 100
    performance:
      enabled: true
      sample_rate: 0.1
    sending_queue:
      enabled: false
  ga4:
    measurement_id: ` + ga4Measurement + `
    api_secret: ` + ga4Secret + `
    endpoint: ` + be.ga4URL + `
    sending_queue:
      enabled: false
  count/tracing: {}
` + alertYAML + `
  dashboard:
    endpoint: ` + e2e.FreeAddr(b) + `
    timezone: America/Denver
    reporting_currency: USD
service:
  pipelines:
    traces:
      receivers: [otlp]
      processors: [memory_limiter, piisanitizer, paymentbi]
      exporters: [span_metrics, paymentbi, threshold, sentry, ga4]
    traces/tracing:
      receivers: [otlp]
      processors: [memory_limiter, piisanitizer, probabilistic_sampler/tracing, batch]
      exporters: [count/tracing]
    logs:
      receivers: [otlp]
      processors: [memory_limiter, piisanitizer, paymentbi]
      exporters: [paymentbi, threshold, sentry, ga4]
    metrics:
      receivers: [otlp]
      processors: [memory_limiter, piisanitizer, batch]
      exporters: [prometheus, threshold, dashboard]
    metrics/derived:
      receivers: [span_metrics, paymentbi]
      processors: [batch]
      exporters: [prometheus, threshold, dashboard]
    logs/alerts:
      receivers: [threshold]
      exporters: [alert, dashboard]
`
}

// logAlertYAML routes every alert to the collector log, as config/otelcol.yaml does.
const logAlertYAML = `  alert:
    channels:
      log:
        log: {}
    receivers:
      default:
        channels: [log]
    route:
      receiver: default
      group_by: [alert.name, service.name]
      group_wait: 30s
      group_interval: 5m
      repeat_interval: 4h`

// webhookAlertYAML delivers each alert group to url on the first tick after
// the alert arrives (group_wait 0).
func webhookAlertYAML(url string, tick time.Duration) string {
	return fmt.Sprintf(`  alert:
    tick_interval: %s
    channels:
      hook:
        webhook:
          url: %s
    receivers:
      default:
        channels: [hook]
    route:
      receiver: default
      group_by: [alert.name, payment.provider]
      group_wait: 0s
      group_interval: 5m
      repeat_interval: 4h`, tick, url)
}
