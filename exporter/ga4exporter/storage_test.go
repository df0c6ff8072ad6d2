package ga4exporter

import (
	"context"
	"errors"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/storagetest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"

	"github.com/otelcol-payments/otelcol-payments/exporter/ga4exporter/internal/mapping"
	"github.com/otelcol-payments/otelcol-payments/exporter/ga4exporter/internal/metadata"
	"github.com/otelcol-payments/otelcol-payments/internal/contract"
	"github.com/otelcol-payments/otelcol-payments/internal/e2e"
)

func newFileStorageHost(t *testing.T) (component.Host, component.ID) {
	return newFileStorageHostIn(t, t.TempDir())
}

func newFileStorageHostIn(t *testing.T, dir string) (component.Host, component.ID) {
	ext := e2e.StartFileStorage(t, dir)
	t.Cleanup(func() { require.NoError(t, ext.Shutdown(context.Background())) })
	id := component.MustNewID("file_storage")
	return storagetest.NewStorageHost().WithExtension(id, ext), id
}

// A purchase sent before a restart is not sent again after it when the dedup
// set is kept in file_storage.
func TestDedupSurvivesRestartWithFileStorage(t *testing.T) {
	host, id := newFileStorageHost(t)
	useStorage := withConfig(func(c *Config) { c.Dedup.Storage = &id })
	purchase := goldenEvents()[mapping.GAPurchase]

	before := newHarness(t, useStorage, withHost(host))
	require.NoError(t, before.pushLogs(purchase))
	require.Len(t, before.srv.Events(), 1)
	before.stop()

	after := newHarness(t, useStorage, withHost(host), withSettings(before.set))
	require.NoError(t, after.pushLogs(purchase))
	assert.Empty(t, after.srv.Events())
	assert.EqualValues(t, 1, after.counter(metadata.MetricDeduplicated))
}

func TestDedupStorageMustExist(t *testing.T) {
	missing := component.MustNewID("file_storage")
	cfg := createDefaultConfig().(*Config)
	cfg.MeasurementID, cfg.APISecret = testMeasurementID, testSecret
	cfg.Dedup.Storage = &missing
	le, err := newLogsExporter(context.Background(), newHarness(t).set, cfg, time.Now)
	require.NoError(t, err)
	err = le.Start(context.Background(), storagetest.NewStorageHost())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "dedup.storage")
	require.NoError(t, le.Shutdown(context.Background()))
}

// With the sending queue on (the default), shutdown delivers what is queued.
func TestShutdownFlushesQueue(t *testing.T) {
	h := newHarness(t, withConfig(func(c *Config) { c.QueueConfig = createDefaultConfig().(*Config).QueueConfig }))
	var recs []rec
	for i := 0; i < 40; i++ {
		recs = append(recs, rec{name: contract.EventAddToCart, attrs: map[string]any{contract.GAClientID: "5.5"}})
	}
	require.NoError(t, h.pushLogs(recs...))
	h.stop()
	assert.Len(t, h.srv.Events(), 40)
}

// roundTripFunc adapts a function to http.RoundTripper.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// freezeBefore copies the storage directory as a kill -9 just before the
// n-th round trip would leave it, and fails that request.
func freezeBefore(t *testing.T, dir, snapshot string, n int) func(http.RoundTripper) http.RoundTripper {
	return freezeAround(t, dir, snapshot, n, func(int, *http.Response) bool { return false })
}

func freezeAround(t *testing.T, dir, snapshot string, before int, after func(n int, resp *http.Response) bool) func(http.RoundTripper) http.RoundTripper {
	n := 0
	return func(next http.RoundTripper) http.RoundTripper {
		return roundTripFunc(func(r *http.Request) (*http.Response, error) {
			n++
			if n == before {
				require.NoError(t, os.CopyFS(snapshot, os.DirFS(dir)))
				return nil, errors.New("killed")
			}
			resp, err := next.RoundTrip(r)
			if err == nil && after(n, resp) {
				resp.Body.Close()
				require.NoError(t, os.CopyFS(snapshot, os.DirFS(dir)))
				return nil, errors.New("killed")
			}
			return resp, err
		})
	}
}

// A purchase GA4 refused is released, also on disk: a kill -9 before the
// retry does not make the restart skip it.
func TestKillAfterRefusedPurchaseStillSendsIt(t *testing.T) {
	dir, snapshot := t.TempDir(), t.TempDir()
	host, id := newFileStorageHostIn(t, dir)
	useStorage := withConfig(func(c *Config) { c.Dedup.Storage = &id })
	purchase := goldenEvents()[mapping.GAPurchase]

	before := newHarness(t, useStorage, withHost(host),
		withTransport(freezeBefore(t, dir, snapshot, 2)))
	before.srv.FailNext(http.StatusServiceUnavailable)
	_ = before.pushLogs(purchase)
	before.stop()

	host2, _ := newFileStorageHostIn(t, snapshot)
	after := newHarness(t, useStorage, withHost(host2), withSettings(before.set))
	require.NoError(t, after.pushLogs(purchase))
	assert.Len(t, after.srv.Events(), 1, "the refused purchase is sent after the restart")
}
