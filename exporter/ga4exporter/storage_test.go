package ga4exporter

import (
	"context"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/filestorage"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension/extensiontest"

	"github.com/otelcol-payments/otelcol-payments/exporter/ga4exporter/internal/mapping"
	"github.com/otelcol-payments/otelcol-payments/exporter/ga4exporter/internal/metadata"
	"github.com/otelcol-payments/otelcol-payments/internal/contract"
)

type extHost struct {
	exts map[component.ID]component.Component
}

func (h extHost) GetExtensions() map[component.ID]component.Component { return h.exts }

func newFileStorageHost(t *testing.T) (extHost, component.ID) {
	f := filestorage.NewFactory()
	cfg := f.CreateDefaultConfig().(*filestorage.Config)
	cfg.Directory = t.TempDir()
	ext, err := f.Create(context.Background(), extensiontest.NewNopSettings(f.Type()), cfg)
	require.NoError(t, err)
	require.NoError(t, ext.Start(context.Background(), nil))
	t.Cleanup(func() { require.NoError(t, ext.Shutdown(context.Background())) })
	id := component.NewID(f.Type())
	return extHost{exts: map[component.ID]component.Component{id: ext}}, id
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
	err = le.Start(context.Background(), extHost{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "dedup::storage")
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
