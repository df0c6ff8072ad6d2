package ga4exporter

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/otelcol-payments/otelcol-payments/exporter/ga4exporter/ga4test"
	"github.com/otelcol-payments/otelcol-payments/exporter/ga4exporter/internal/metadata"
	"github.com/otelcol-payments/otelcol-payments/internal/contract"
)

const (
	testMeasurementID = "G-TEST12345"
	// The secret has characters that URL encoding changes, so redaction of
	// both spellings is exercised.
	testSecret = "s3cr3t+/key=="
)

var baseTime = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type harness struct {
	t      *testing.T
	srv    *ga4test.Server
	clock  *fakeClock
	tel    *componenttest.Telemetry
	logs   *observer.ObservedLogs
	cfg    *Config
	set    exporter.Settings
	host   component.Host
	le     exporter.Logs
	te     exporter.Traces
	wrapRT func(http.RoundTripper) http.RoundTripper
	once   sync.Once
}

type harnessOption func(*harness)

func withConfig(f func(*Config)) harnessOption {
	return func(h *harness) { f(h.cfg) }
}

func withTransport(f func(http.RoundTripper) http.RoundTripper) harnessOption {
	return func(h *harness) { h.wrapRT = f }
}

func withHost(host component.Host) harnessOption { return func(h *harness) { h.host = host } }

func withSettings(set exporter.Settings) harnessOption {
	return func(h *harness) { h.set.ID = set.ID }
}

func newHarness(t *testing.T, opts ...harnessOption) *harness {
	t.Helper()
	clock := &fakeClock{t: baseTime}
	srv := ga4test.New(t, ga4test.WithClock(clock.Now), ga4test.WithCredentials(testMeasurementID, testSecret))
	cfg := createDefaultConfig().(*Config)
	cfg.MeasurementID = testMeasurementID
	cfg.APISecret = testSecret
	cfg.ClientConfig.Endpoint = srv.URL
	// Synchronous sends: ConsumeLogs returns after delivery and retries.
	cfg.QueueConfig = configoptional.None[exporterhelper.QueueBatchConfig]()
	cfg.RetryConfig.InitialInterval = time.Millisecond
	cfg.RetryConfig.MaxInterval = 2 * time.Millisecond
	cfg.RetryConfig.RandomizationFactor = 0

	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	core, logs := observer.New(zap.DebugLevel)
	set := exportertest.NewNopSettings(metadata.Type)
	set.TelemetrySettings = tel.NewTelemetrySettings()
	set.Logger = zap.New(core)

	h := &harness{t: t, srv: srv, clock: clock, tel: tel, logs: logs, cfg: cfg, set: set, host: componenttest.NewNopHost()}
	for _, o := range opts {
		o(h)
	}
	require.NoError(t, cfg.Validate())
	h.start()
	return h
}

func (h *harness) start() {
	t := h.t
	ctx := context.Background()
	var err error
	h.le, err = newLogsExporter(ctx, h.set, h.cfg, h.clock.Now)
	require.NoError(t, err)
	h.te, err = newTracesExporter(ctx, h.set, h.cfg, h.clock.Now)
	require.NoError(t, err)
	h.exporter().wrapTransport = h.wrapRT
	require.NoError(t, h.le.Start(ctx, h.host))
	require.NoError(t, h.te.Start(ctx, h.host))
	t.Cleanup(h.stop)
}

// exporter is the instance the harness's logs and traces exporters share.
func (h *harness) exporter() *ga4Exporter {
	h.t.Helper()
	shared, err := exporters.GetOrAdd(h.cfg, func() (*ga4Exporter, error) {
		return nil, errors.New("the harness's exporters were not created")
	})
	require.NoError(h.t, err)
	return shared.Unwrap()
}

func (h *harness) stop() {
	h.once.Do(func() {
		require.NoError(h.t, h.le.Shutdown(context.Background()))
		require.NoError(h.t, h.te.Shutdown(context.Background()))
	})
}

func (h *harness) pushLogs(recs ...rec) error {
	return h.le.ConsumeLogs(context.Background(), logsOf(h.t, recs...))
}

// counter returns the value of a counter data point with exactly these attributes.
func (h *harness) counter(name string, attrs ...attribute.KeyValue) int64 {
	m, err := h.tel.GetMetric(name)
	if err != nil {
		return 0
	}
	want := attribute.NewSet(attrs...)
	for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
		if dp.Attributes.Equals(&want) {
			return dp.Value
		}
	}
	return 0
}

// rec is one business event: its name, attributes and age relative to the clock.
type rec struct {
	name  string
	attrs map[string]any
	age   time.Duration
	at    time.Time
}

func logsOf(t *testing.T, recs ...rec) plog.Logs {
	ld := plog.NewLogs()
	lrs := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
	for _, r := range recs {
		lr := lrs.AppendEmpty()
		require.NoError(t, lr.Attributes().FromRaw(r.attrs))
		lr.Attributes().PutStr(contract.EventName, r.name)
		lr.SetTimestamp(pcommon.NewTimestampFromTime(r.time()))
	}
	return ld
}

func (r rec) time() time.Time {
	if !r.at.IsZero() {
		return r.at
	}
	return baseTime.Add(-time.Hour - r.age)
}

// tracesOf puts each record as a span event on its own span; spanAttrs go on the span.
func tracesOf(t *testing.T, spanAttrs map[string]any, recs ...rec) ptrace.Traces {
	td := ptrace.NewTraces()
	spans := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans()
	for _, r := range recs {
		span := spans.AppendEmpty()
		span.SetName(contract.SpanPaymentCharge)
		require.NoError(t, span.Attributes().FromRaw(spanAttrs))
		ev := span.Events().AppendEmpty()
		ev.SetName(r.name)
		require.NoError(t, ev.Attributes().FromRaw(r.attrs))
		ev.SetTimestamp(pcommon.NewTimestampFromTime(r.time()))
	}
	return td
}
