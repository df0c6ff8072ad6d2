package shutdownbound

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/storagetest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pipeline"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/otelcol-payments/otelcol-payments/internal/e2e"
)

func fileStorage(t *testing.T, dir string) (component.Host, component.ID) {
	ext := e2e.StartFileStorage(t, dir)
	t.Cleanup(func() { require.NoError(t, ext.Shutdown(context.Background())) })
	id := component.MustNewID("file_storage")
	return storagetest.NewStorageHost().WithExtension(id, ext), id
}

type backend struct {
	mu       sync.Mutex
	healthy  bool
	received []string
	inFlight chan struct{}
}

// push fails (retryably) while the backend is down; with hang it blocks
// until its context ends, like a backend that never answers.
func (b *backend) push(hang bool) func(context.Context, plog.Logs) error {
	return func(ctx context.Context, ld plog.Logs) error {
		b.mu.Lock()
		healthy := b.healthy
		b.mu.Unlock()
		if healthy {
			b.mu.Lock()
			defer b.mu.Unlock()
			b.received = append(b.received, ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0).Body().Str())
			return nil
		}
		if hang {
			select {
			case b.inFlight <- struct{}{}:
			default:
			}
			<-ctx.Done()
			return ctx.Err()
		}
		return errors.New("backend answered 503")
	}
}

func record(body string) plog.Logs {
	ld := plog.NewLogs()
	ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords().AppendEmpty().Body().SetStr(body)
	return ld
}

func newExporter(t *testing.T, set exporter.Settings, storage *component.ID, timeout time.Duration, push func(context.Context, plog.Logs) error) exporter.Logs {
	g := NewGuard(set, pipeline.SignalLogs, timeout, storage)
	q := exporterhelper.NewDefaultQueueConfig()
	q.StorageID = storage
	q.NumConsumers = 2
	retry := configretry.NewDefaultBackOffConfig()
	retry.InitialInterval = 10 * time.Millisecond
	exp, err := exporterhelper.NewLogs(context.Background(), g.Settings(set), struct{}{}, Push(g, push),
		exporterhelper.WithQueue(configoptional.Some(q)),
		exporterhelper.WithRetry(retry),
		exporterhelper.WithTimeout(exporterhelper.TimeoutConfig{}))
	require.NoError(t, err)
	return g.WrapLogs(exp)
}

// A backend that never answers holds exporterhelper's shutdown as long as
// the request's timeout (none here); the guard ends the requests in flight
// at the deadline, the persistent queue keeps them and every queued request
// for the next start, and the log says so instead of "Dropping data".
func TestShutdownBoundKeepsPersistentQueue(t *testing.T) {
	dir := t.TempDir()
	h, storageID := fileStorage(t, dir)
	core, logs := observer.New(zap.DebugLevel)
	set := exportertest.NewNopSettings(component.MustNewType("test"))
	set.Logger = zap.New(core)

	b := &backend{inFlight: make(chan struct{}, 1)}
	exp := newExporter(t, set, &storageID, 200*time.Millisecond, b.push(true))
	require.NoError(t, exp.Start(context.Background(), h))
	for _, body := range []string{"a", "b", "c", "d", "e"} {
		require.NoError(t, exp.ConsumeLogs(context.Background(), record(body)))
	}
	<-b.inFlight

	done := make(chan error, 1)
	go func() { done <- exp.Shutdown(context.Background()) }()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(30 * time.Second):
		t.Fatal("shutdown not bounded: a request in flight holds it")
	}

	assert.Zero(t, logs.FilterMessageSnippet("Dropping data").Len(), "nothing was dropped")
	kept := logs.FilterMessage("Persistent queue kept for the next start").All()
	require.Len(t, kept, 1)
	assert.EqualValues(t, 5, kept[0].ContextMap()["queued_requests"])
	assert.EqualValues(t, 5, kept[0].ContextMap()["queued_items"])
	assert.NotZero(t, logs.FilterMessageSnippet("Export interrupted by shutdown").Len())

	// Next start, backend healthy: every request arrives.
	Reset()
	b.mu.Lock()
	b.healthy = true
	b.mu.Unlock()
	exp = newExporter(t, set, &storageID, 200*time.Millisecond, b.push(true))
	require.NoError(t, exp.Start(context.Background(), h))
	require.Eventually(t, func() bool {
		b.mu.Lock()
		defer b.mu.Unlock()
		return len(b.received) == 5
	}, 10*time.Second, 10*time.Millisecond)
	require.NoError(t, exp.Shutdown(context.Background()))
	assert.ElementsMatch(t, []string{"a", "b", "c", "d", "e"}, b.received)
}

// A backend that fails fast: the retries stop at shutdown (exporterhelper's
// own behaviour) and the requests stay queued.
func TestShutdownStopsRetrying(t *testing.T) {
	h, storageID := fileStorage(t, t.TempDir())
	core, logs := observer.New(zap.DebugLevel)
	set := exportertest.NewNopSettings(component.MustNewType("test"))
	set.Logger = zap.New(core)
	b := &backend{}
	exp := newExporter(t, set, &storageID, time.Hour, b.push(false))
	require.NoError(t, exp.Start(context.Background(), h))
	for _, body := range []string{"a", "b", "c"} {
		require.NoError(t, exp.ConsumeLogs(context.Background(), record(body)))
	}
	require.Eventually(t, func() bool {
		return logs.FilterMessageSnippet("Will retry").Len() >= 2
	}, 10*time.Second, 5*time.Millisecond)
	require.NoError(t, exp.Shutdown(context.Background()))
	assert.Zero(t, logs.FilterMessageSnippet("Dropping data").Len())
	kept := logs.FilterMessage("Persistent queue kept for the next start").All()
	require.Len(t, kept, 1)
	assert.EqualValues(t, 3, kept[0].ContextMap()["queued_requests"])
}

// Without a persistent queue exporterhelper really drops, and says so.
func TestMemoryQueueDropIsStillReported(t *testing.T) {
	core, logs := observer.New(zap.DebugLevel)
	set := exportertest.NewNopSettings(component.MustNewType("test"))
	set.Logger = zap.New(core)
	b := &backend{inFlight: make(chan struct{}, 1)}
	exp := newExporter(t, set, nil, 100*time.Millisecond, b.push(true))
	require.NoError(t, exp.Start(context.Background(), storagetest.NewStorageHost()))
	require.NoError(t, exp.ConsumeLogs(context.Background(), record("a")))
	<-b.inFlight
	require.NoError(t, exp.Shutdown(context.Background()))
	assert.NotZero(t, logs.FilterMessageSnippet("Dropping data").Len())
	assert.Zero(t, logs.FilterMessage("Persistent queue kept for the next start").Len())
}

func TestPhaseDeadlineIsShared(t *testing.T) {
	Reset()
	t.Cleanup(Reset)
	clock := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	now = func() time.Time { return clock }
	t.Cleanup(func() { now = time.Now })
	first := Begin(10 * time.Second)
	clock = clock.Add(7 * time.Second) // a later component's turn
	assert.Equal(t, first, Begin(10*time.Second), "a later component gets no fresh 10 s")
	assert.Equal(t, first.Add(-5*time.Second), Begin(5*time.Second))
	Reset()
	assert.Equal(t, clock.Add(10*time.Second), Begin(10*time.Second))
}
