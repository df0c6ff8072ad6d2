package dashboardexporter

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/storagetest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension"

	"github.com/otelcol-payments/otelcol-payments/exporter/dashboardexporter/internal/fixture"
	"github.com/otelcol-payments/otelcol-payments/exporter/dashboardexporter/internal/metadata"
	"github.com/otelcol-payments/otelcol-payments/exporter/dashboardexporter/internal/store"
	"github.com/otelcol-payments/otelcol-payments/exporter/dashboardexporter/internal/view"
	"github.com/otelcol-payments/otelcol-payments/internal/contract"
	"github.com/otelcol-payments/otelcol-payments/internal/e2e"
	"github.com/otelcol-payments/otelcol-payments/internal/statestore"
)

var fileStorageID = component.MustNewID("file_storage")

func startFileStorage(t *testing.T, dir string) (extension.Extension, component.Host) {
	t.Helper()
	ext := e2e.StartFileStorage(t, dir)
	return ext, storagetest.NewStorageHost().WithExtension(fileStorageID, ext)
}

func dashboardAlerts(t *testing.T, base string) []view.Alert {
	t.Helper()
	code, _, body := get(t, base+"/api/dashboard", "")
	require.Equal(t, http.StatusOK, code)
	var d view.Dashboard
	require.NoError(t, json.Unmarshal(body, &d))
	return d.Alerts
}

// The dashboard still shows the alerts that fired (and their
// acknowledgements) after a restart, a graceful one or a kill -9: the book
// is on disk before ConsumeLogs returns.
func TestFiringAlertsSurviveRestart(t *testing.T) {
	dir := t.TempDir()
	now := time.Now()
	cfg := func() *Config {
		c := NewFactory().CreateDefaultConfig().(*Config)
		c.NetAddr.Endpoint = e2e.FreeAddr(t)
		c.Timezone = "UTC"
		c.Storage = &fileStorageID
		return c
	}
	latency := contract.Alert{
		Name: "HighPaymentLatency", Status: contract.AlertFiring, Severity: contract.SeverityCritical,
		Summary: "payment.charge p95 7.2s > 5s", StartsAt: now, Labels: map[string]string{"span.name": "payment.charge"}, Value: math.NaN(),
	}
	stock := contract.Alert{
		Name: "LowStock", Status: contract.AlertFiring, Severity: contract.SeverityWarning,
		StartsAt: now, Labels: map[string]string{"inventory.item_id": "sku-1"}, Value: 3,
	}

	ext, host := startFileStorage(t, dir)
	r := createStartedOn(t, cfg(), host)
	require.NoError(t, r.logs.ConsumeLogs(context.Background(), fixture.Alerts(latency, stock)))
	fp := dashboardAlerts(t, r.base)[0].Fingerprint
	res, err := postAck(r.base, fp)
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode)
	require.NoError(t, r.metrics.Shutdown(context.Background()))
	require.NoError(t, r.logs.Shutdown(context.Background()))
	require.NoError(t, ext.Shutdown(context.Background()))

	// Graceful restart.
	ext, host = startFileStorage(t, dir)
	r = createStartedOn(t, cfg(), host)
	alerts := dashboardAlerts(t, r.base)
	require.Len(t, alerts, 2)
	assert.Equal(t, "HighPaymentLatency", alerts[0].Name)
	assert.True(t, alerts[0].Acked, "the acknowledgement is kept")
	assert.Equal(t, "LowStock", alerts[1].Name)
	assert.False(t, alerts[1].Acked)

	// A resolve, then kill -9: nothing but the storage survives.
	resolved := stock
	resolved.Status = contract.AlertResolved
	require.NoError(t, r.logs.ConsumeLogs(context.Background(), fixture.Alerts(resolved)))
	sc, err := shared.GetOrAdd(r.cfg, func() (*dashboard, error) { return nil, errors.New("no dashboard") })
	require.NoError(t, err)
	d := sc.Unwrap()
	require.NoError(t, d.client.Close(context.Background()))
	d.client = nil
	require.NoError(t, ext.Shutdown(context.Background()))
	require.NoError(t, r.metrics.Shutdown(context.Background()))
	require.NoError(t, r.logs.Shutdown(context.Background()))

	ext, host = startFileStorage(t, dir)
	defer func() { assert.NoError(t, ext.Shutdown(context.Background())) }()
	r = createStartedOn(t, cfg(), host)
	defer func() {
		assert.NoError(t, r.metrics.Shutdown(context.Background()))
		assert.NoError(t, r.logs.Shutdown(context.Background()))
	}()
	alerts = dashboardAlerts(t, r.base)
	require.Len(t, alerts, 1)
	assert.Equal(t, "HighPaymentLatency", alerts[0].Name)
}

func TestStorageMustExist(t *testing.T) {
	c := NewFactory().CreateDefaultConfig().(*Config)
	c.NetAddr.Endpoint = e2e.FreeAddr(t)
	c.Storage = &fileStorageID
	me, err := NewFactory().CreateMetrics(context.Background(), exportertestSettings(), c)
	require.NoError(t, err)
	err = me.Start(context.Background(), storagetest.NewStorageHost())
	require.ErrorContains(t, err, `storage: extension "file_storage" not found`)
	require.NoError(t, me.Shutdown(context.Background()))
}

// The alert book the release before the envelope saved (bare gob) is
// restored, and saved back in the envelope.
func TestAlertBookOfThePreviousReleaseIsRestored(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	storageExt := storagetest.NewFileBackedStorageExtension("disk", dir)
	host := storagetest.NewStorageHost().WithExtension(storageExt.ID, storageExt)
	book := store.NewAlerts(time.Now, 10, 10)
	book.Apply(contract.Alert{
		Name: "HighPaymentLatency", Status: contract.AlertFiring, Severity: contract.SeverityCritical,
		StartsAt: time.Now(), Labels: map[string]string{"span.name": "payment.charge"}, Value: math.NaN(),
	})
	bare, err := book.MarshalState()
	require.NoError(t, err)
	id := component.NewID(metadata.Type)
	client, err := storageExt.GetClient(ctx, component.KindExporter, id, "dashboard")
	require.NoError(t, err)
	require.NoError(t, client.Set(ctx, alertsKey, bare))
	require.NoError(t, client.Close(ctx))

	c := NewFactory().CreateDefaultConfig().(*Config)
	c.NetAddr.Endpoint = e2e.FreeAddr(t)
	c.Storage = &storageExt.ID
	r := createStartedOn(t, c, host)
	alerts := dashboardAlerts(t, r.base)
	require.Len(t, alerts, 1)
	assert.Equal(t, "HighPaymentLatency", alerts[0].Name)
	res, err := postAck(r.base, alerts[0].Fingerprint)
	require.NoError(t, err)
	res.Body.Close()
	require.NoError(t, r.metrics.Shutdown(ctx))
	require.NoError(t, r.logs.Shutdown(ctx))

	client, err = storageExt.GetClient(ctx, component.KindExporter, id, "dashboard")
	require.NoError(t, err)
	saved, err := client.Get(ctx, alertsKey)
	require.NoError(t, err)
	require.NoError(t, client.Close(ctx))
	assert.NotEqual(t, bare[:4], saved[:4], "saved back in the envelope")
	_, err = (statestore.Format{Name: "dashboardexporter.alerts", Version: 1}).Decode(saved)
	require.NoError(t, err)
}
