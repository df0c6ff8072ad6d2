package dashboardexporter

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exportertest"

	"github.com/otelcol-payments/otelcol-payments/exporter/dashboardexporter/internal/fixture"
	"github.com/otelcol-payments/otelcol-payments/exporter/dashboardexporter/internal/metadata"
	"github.com/otelcol-payments/otelcol-payments/exporter/dashboardexporter/internal/view"
	"github.com/otelcol-payments/otelcol-payments/exporter/dashboardexporter/internal/web"
	"github.com/otelcol-payments/otelcol-payments/internal/contract"
	"github.com/otelcol-payments/otelcol-payments/internal/e2e"
)

type running struct {
	cfg     *Config
	base    string
	metrics exporter.Metrics
	logs    exporter.Logs
}

// startExporters creates the metrics and logs exporters of one dashboard, as
// a collector does, and starts them; they shut down with the test.
func startExporters(t *testing.T, mutate func(*Config)) running {
	t.Helper()
	cfg := NewFactory().CreateDefaultConfig().(*Config)
	cfg.NetAddr.Endpoint = e2e.FreeAddr(t)
	cfg.Timezone = "UTC"
	if mutate != nil {
		mutate(cfg)
	}
	r := createStarted(t, cfg)
	t.Cleanup(func() {
		assert.NoError(t, r.metrics.Shutdown(context.Background()))
		assert.NoError(t, r.logs.Shutdown(context.Background()))
	})
	return r
}

func createStarted(t *testing.T, cfg *Config) running {
	t.Helper()
	return createStartedOn(t, cfg, componenttest.NewNopHost())
}

func createStartedOn(t *testing.T, cfg *Config, host component.Host) running {
	t.Helper()
	f := NewFactory()
	set := exportertest.NewNopSettings(metadata.Type)
	set.ID = component.NewID(metadata.Type) // stable across restarts
	ctx := context.Background()
	me, err := f.CreateMetrics(ctx, set, cfg)
	require.NoError(t, err)
	le, err := f.CreateLogs(ctx, set, cfg)
	require.NoError(t, err)
	require.NoError(t, me.Start(ctx, host))
	require.NoError(t, le.Start(ctx, host), "the second start must not bind again")
	return running{cfg: cfg, base: "http://" + cfg.NetAddr.Endpoint, metrics: me, logs: le}
}

func exportertestSettings() exporter.Settings { return exportertest.NewNopSettings(metadata.Type) }

func get(t *testing.T, url, token string) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	require.NoError(t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return res.StatusCode, res.Header, body
}

func TestServesDashboardSummaryAndHealth(t *testing.T) {
	r := startExporters(t, nil)
	ctx := context.Background()
	now := time.Now()
	require.NoError(t, r.metrics.ConsumeMetrics(ctx, fixture.Default().Metrics(now.Add(-time.Minute), now)))
	firing := contract.Alert{
		Name: "HighPaymentLatency", Status: contract.AlertFiring, Severity: contract.SeverityCritical,
		Summary: "payment.charge p95 7.2s > 5s", StartsAt: now, Labels: map[string]string{"span.name": "payment.charge"},
	}
	ld := fixture.Alerts(firing)
	// A business event and a broken alert next to the good one.
	ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().AppendEmpty().Attributes().PutStr(contract.EventName, contract.EventPurchase)
	bad := ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().AppendEmpty()
	bad.Attributes().PutStr(contract.EventName, contract.EventAlert)
	require.NoError(t, r.logs.ConsumeLogs(ctx, ld))

	code, hdr, body := get(t, r.base+"/", "")
	require.Equal(t, http.StatusOK, code)
	assert.Contains(t, string(body), `<script src="assets/app.js">`)
	assert.Contains(t, hdr.Get("Content-Security-Policy"), "default-src 'self'")
	code, _, body = get(t, r.base+"/assets/app.js", "")
	require.Equal(t, http.StatusOK, code)
	assert.Contains(t, string(body), "api/dashboard")

	code, hdr, body = get(t, r.base+"/api/dashboard", "")
	require.Equal(t, http.StatusOK, code)
	assert.Equal(t, "application/json", hdr.Get("Content-Type"))
	var d view.Dashboard
	require.NoError(t, json.Unmarshal(body, &d))
	assert.Equal(t, view.Money("1734.50"), d.Revenue.Today)
	assert.Contains(t, string(body), `"today":"1734.50"`, "money is an exact decimal string")
	require.Len(t, d.Alerts, 1)
	assert.Equal(t, "HighPaymentLatency", d.Alerts[0].Name)

	code, _, body = get(t, r.base+"/api/summary", "")
	require.Equal(t, http.StatusOK, code)
	var s view.Summary
	require.NoError(t, json.Unmarshal(body, &s))
	assert.Equal(t, view.StatusCritical, s.Status)
	assert.Equal(t, 32.0, s.OrdersToday)

	code, _, body = get(t, r.base+"/healthz", "")
	require.Equal(t, http.StatusOK, code)
	var h Health
	require.NoError(t, json.Unmarshal(body, &h))
	assert.True(t, h.DataFlowing)
	assert.Equal(t, "ok", h.Status)
	assert.Equal(t, int64(1), h.InvalidAlerts)
	assert.Equal(t, int64(1), h.IgnoredRecords)
	assert.Equal(t, 1, h.ActiveAlerts)

	// Ack through the API, as the page does (same origin, marker header);
	// without them it is refused as a possible cross-site request.
	res, err := http.Post(r.base+"/api/alerts/"+d.Alerts[0].Fingerprint+"/ack", "", nil)
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, http.StatusForbidden, res.StatusCode)
	res, err = postAck(r.base, d.Alerts[0].Fingerprint)
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, http.StatusOK, res.StatusCode)
	_, _, body = get(t, r.base+"/api/dashboard", "")
	require.NoError(t, json.Unmarshal(body, &d))
	assert.True(t, d.Alerts[0].Acked)
	res, err = postAck(r.base, "0000000000000000")
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, http.StatusNotFound, res.StatusCode)
}

func TestHealthWithoutDataSaysNoData(t *testing.T) {
	r := startExporters(t, nil)
	code, _, body := get(t, r.base+"/healthz", "")
	require.Equal(t, http.StatusOK, code, "no traffic must not fail a liveness probe")
	var h Health
	require.NoError(t, json.Unmarshal(body, &h))
	assert.Equal(t, "no_data", h.Status)
	assert.Nil(t, h.LastDataAt)
}

func TestBearerTokenGuardsAPI(t *testing.T) {
	r := startExporters(t, func(c *Config) { c.BearerToken = "s3cret" })
	for _, path := range []string{"/api/dashboard", "/api/summary"} {
		code, hdr, _ := get(t, r.base+path, "")
		assert.Equal(t, http.StatusUnauthorized, code, path)
		assert.Contains(t, hdr.Get("WWW-Authenticate"), "Bearer")
		code, _, _ = get(t, r.base+path, "wrong")
		assert.Equal(t, http.StatusUnauthorized, code, path)
		code, _, _ = get(t, r.base+path, "s3cret")
		assert.Equal(t, http.StatusOK, code, path)
	}
	req, err := http.NewRequest(http.MethodPost, r.base+"/api/alerts/x/ack", strings.NewReader(""))
	require.NoError(t, err)
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, res.StatusCode)
	// The page and health stay reachable for the browser and probes.
	code, _, _ := get(t, r.base+"/", "")
	assert.Equal(t, http.StatusOK, code)
	code, _, _ = get(t, r.base+"/healthz", "")
	assert.Equal(t, http.StatusOK, code)
}

func TestShutdownStopsServerAfterBothExporters(t *testing.T) {
	cfg := NewFactory().CreateDefaultConfig().(*Config)
	cfg.NetAddr.Endpoint = e2e.FreeAddr(t)
	r := createStarted(t, cfg)
	ctx := context.Background()
	require.NoError(t, r.metrics.Shutdown(ctx))
	code, _, _ := get(t, r.base+"/healthz", "")
	assert.Equal(t, http.StatusOK, code, "still serving for the logs exporter")
	require.NoError(t, r.logs.Shutdown(ctx))
	_, err := http.Get(r.base + "/healthz")
	require.Error(t, err, "server stopped")
	assert.Zero(t, shared.Len())
}

// postAck acknowledges like the page's JS: same Origin, marker header.
func postAck(base, fp string) (*http.Response, error) {
	req, err := http.NewRequest(http.MethodPost, base+"/api/alerts/"+fp+"/ack", nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Origin", base)
	req.Header.Set(web.RequestedByHeader, web.RequestedByValue)
	return http.DefaultClient.Do(req)
}
