package alertmanager

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/config/configopaque"

	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/channel"
	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/channel/channeltest"
)

func TestAlertmanagerPostAlerts(t *testing.T) {
	srv := channeltest.NewServer(t, channeltest.Response{Status: 200}, channeltest.Response{Status: 400, Body: `{"code":400,"message":"bad"}`})
	n := New(&Config{URL: configopaque.String(srv.URL + "/")}, srv.Client())
	var cerr *channel.Error
	require.ErrorAs(t, n.Notify(context.Background(), channeltest.Notification()), &cerr)
	assert.False(t, cerr.Retryable, "400 is permanent")
	require.NoError(t, n.Notify(context.Background(), channeltest.Notification()))

	reqs := srv.Requests()
	require.Len(t, reqs, 2)
	assert.Equal(t, "/api/v2/alerts", reqs[1].Path)
	var raw []map[string]any
	require.NoError(t, json.Unmarshal(reqs[1].Body, &raw))
	require.Len(t, raw, 2)
	assert.NotContains(t, raw[0], "endsAt", "firing alerts carry no endsAt")
	assert.Equal(t, "2026-03-02T09:10:00Z", raw[1]["endsAt"])
	assert.Equal(t, "https://grafana.example.com/alerting", raw[0]["generatorURL"])
	labels := raw[0]["labels"].(map[string]any)
	assert.Equal(t, "PaymentErrorRate", labels["alertname"])
	assert.Equal(t, "critical", labels["severity"])
	for k := range labels {
		assert.Regexp(t, `^[a-zA-Z_][a-zA-Z0-9_]*$`, k, "Alertmanager 0.25 needs Prometheus label names")
	}
}
