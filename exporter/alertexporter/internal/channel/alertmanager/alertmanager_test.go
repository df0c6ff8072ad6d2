package alertmanager

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/confmap"

	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/channel"
	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/channel/channeltest"
	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/clock"
)

func TestAlertmanagerPostAlerts(t *testing.T) {
	srv := channeltest.NewServer(t, channeltest.Response{Status: 200}, channeltest.Response{Status: 400, Body: `{"code":400,"message":"bad"}`})
	clk := clock.NewFake(channeltest.Start.Add(20 * time.Minute))
	n := New(&Config{URL: configopaque.String(srv.URL + "/"), ResendInterval: 30 * time.Second}, srv.Client(), clk)
	var cerr *channel.Error
	require.ErrorAs(t, n.Notify(context.Background(), channeltest.Notification()), &cerr)
	assert.False(t, cerr.Retryable, "400 is permanent")
	clk.Advance(time.Minute) // a retry stamps endsAt afresh
	require.NoError(t, n.Notify(context.Background(), channeltest.Notification()))

	reqs := srv.Requests()
	require.Len(t, reqs, 2)
	assert.Equal(t, "/api/v2/alerts", reqs[1].Path)
	var raw []map[string]any
	require.NoError(t, json.Unmarshal(reqs[1].Body, &raw))
	require.Len(t, raw, 2)
	assert.Equal(t, "2026-03-02T09:23:00Z", raw[0]["endsAt"], "firing: now + 4 × resend_interval, so Alertmanager keeps it firing until the next resends")
	assert.Equal(t, "2026-03-02T09:10:00Z", raw[1]["endsAt"], "resolved: its real endsAt")
	assert.Equal(t, "https://grafana.example.com/alerting", raw[0]["generatorURL"])
	labels := raw[0]["labels"].(map[string]any)
	assert.Equal(t, "PaymentErrorRate", labels["alertname"])
	assert.Equal(t, "critical", labels["severity"])
	for k := range labels {
		assert.Regexp(t, `^[a-zA-Z_][a-zA-Z0-9_]*$`, k, "Alertmanager 0.25 needs Prometheus label names")
	}
}

func TestConfigDefaultsAndValidation(t *testing.T) {
	var cfg Config
	require.NoError(t, confmap.NewFromStringMap(map[string]any{"url": "http://am:9093"}).Unmarshal(&cfg))
	assert.Equal(t, DefaultResendInterval, cfg.ResendInterval)
	require.NoError(t, cfg.Validate())

	cfg = Config{}
	require.NoError(t, confmap.NewFromStringMap(map[string]any{"url": "http://am:9093", "resend_interval": "0s"}).Unmarshal(&cfg))
	require.ErrorContains(t, cfg.Validate(), "alertmanager.resend_interval must be positive")
	assert.ErrorContains(t, (&Config{ResendInterval: time.Minute}).Validate(), "alertmanager.url is required")
}

func TestAcknowledgementIsAnnotated(t *testing.T) {
	n := channeltest.Notification()
	assert.NotContains(t, Build(n, channeltest.Start)[0].Annotations, "acknowledged")
	n.Acknowledged = true
	got := Build(n, channeltest.Start)
	assert.Equal(t, "true", got[0].Annotations["acknowledged"])
	assert.NotContains(t, got[1].Annotations, "acknowledged", "resolved alerts are not acknowledged")
}
