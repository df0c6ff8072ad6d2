package sentryexporter

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/otelcol-payments/otelcol-payments/exporter/sentryexporter/internal/metadata"
	"github.com/otelcol-payments/otelcol-payments/internal/contract"
	"github.com/otelcol-payments/otelcol-payments/internal/queueitem"
)

// These tests run the exporter as the collector does, through
// exporterhelper's queue, retry and timeout.

// syncConfig has no queue (ConsumeX returns once delivered or given up) and
// a short first retry interval.
func syncConfig(f *fakeSentry) *Config {
	cfg := testConfig(f.dsn())
	cfg.QueueConfig = configoptional.None[exporterhelper.QueueBatchConfig]()
	cfg.BackOffConfig.InitialInterval = 10 * time.Millisecond
	return cfg
}

func startWithCleanup(t *testing.T, exp component.Component) {
	t.Helper()
	require.NoError(t, exp.Start(context.Background(), componenttest.NewNopHost()))
	t.Cleanup(func() { require.NoError(t, exp.Shutdown(context.Background())) })
}

func TestThroughHelperRateLimitedThenDelivered(t *testing.T) {
	f := newFakeSentry(t)
	f.setRespond(rateLimitResponder("Retry-After", "1"))
	exp, err := NewFactory().CreateLogs(context.Background(), exportertest.NewNopSettings(metadata.Type), syncConfig(f))
	require.NoError(t, err)
	startWithCleanup(t, exp)

	ld := plog.NewLogs()
	errorLog(ld, "go", plog.SeverityNumberError)
	// Without a queue the call returns once the retry after the throttle
	// delay delivered the event.
	require.NoError(t, exp.ConsumeLogs(context.Background(), ld))
	assert.Equal(t, 2, f.requestCount(), "one 429, one accepted")
	require.Len(t, f.received(), 1)
}

func TestShutdownFlushesQueue(t *testing.T) {
	f := newFakeSentry(t)
	f.gate = make(chan struct{})
	cfg := testConfig(f.dsn())
	q := exporterhelper.NewDefaultQueueConfig()
	q.NumConsumers = 4 // concurrent pushes share one client and transport
	q.Batch = configoptional.None[exporterhelper.BatchConfig]()
	cfg.QueueConfig = configoptional.Some(q)
	exp, err := NewFactory().CreateTraces(context.Background(), exportertest.NewNopSettings(metadata.Type), cfg)
	require.NoError(t, err)
	require.NoError(t, exp.Start(context.Background(), componenttest.NewNopHost()))

	const n = 20
	for i := 0; i < n; i++ {
		td := ptrace.NewTraces()
		chargeSpan(td, "go", false, "").SetSpanID(pcommon.SpanID{byte(i + 1)})
		require.NoError(t, exp.ConsumeTraces(context.Background(), td))
	}
	// Everything is queued or in flight behind the gate.
	assert.Equal(t, 0, f.requestCount())
	close(f.gate)
	require.NoError(t, exp.Shutdown(context.Background()))

	evs := f.received()
	require.Len(t, evs, n)
	seen := map[string]bool{}
	for _, ev := range evs {
		seen[ev.Contexts["trace"]["span_id"].(string)] = true
		assert.Equal(t, contract.SpanPaymentCharge, ev.Transaction)
	}
	assert.Len(t, seen, n, "each queued batch delivered once")
}

func TestThroughHelperRejectedIsNotRetried(t *testing.T) {
	f := newFakeSentry(t)
	f.setRespond(func(_ int, w http.ResponseWriter) bool {
		w.WriteHeader(http.StatusRequestEntityTooLarge)
		return true
	})
	exp, err := NewFactory().CreateTraces(context.Background(), exportertest.NewNopSettings(metadata.Type), syncConfig(f))
	require.NoError(t, err)
	startWithCleanup(t, exp)
	td := ptrace.NewTraces()
	chargeSpan(td, "go", false, "")
	require.Error(t, exp.ConsumeTraces(context.Background(), td))
	assert.Equal(t, 1, f.requestCount())
}

// pushTraces is what the exporter does with a batch: build its envelopes
// (before the queue), then send them (from the queue).
func (e *sentryExporter) pushTraces(ctx context.Context, td ptrace.Traces) error {
	req, err := e.convertTraces(ctx, td)
	if err != nil {
		return err
	}
	return e.push(ctx, req)
}

// pushLogs is pushTraces for logs.
func (e *sentryExporter) pushLogs(ctx context.Context, ld plog.Logs) error {
	req, err := e.convertLogs(ctx, ld)
	if err != nil {
		return err
	}
	return e.push(ctx, req)
}

// retried is what exporterhelper retries after err: the envelopes left.
func retried(t testing.TB, err error) []envelope {
	t.Helper()
	u, ok := errors.AsType[*queueitem.Undelivered[envelope]](err)
	if !ok {
		t.Fatalf("error %v carries no undelivered envelopes", err)
	}
	return u.Items
}
