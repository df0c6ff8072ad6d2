package webhook

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

func TestWebhookV4Payload(t *testing.T) {
	srv := channeltest.NewServer(t, channeltest.Response{Status: 200}, channeltest.Response{Status: 503})
	cfg := &Config{URL: configopaque.String(srv.URL + "/hook"), Headers: map[string]configopaque.String{"Authorization": "Bearer s3cret"}, MaxAlerts: 1, ExternalURL: "https://alerts.example.com"}
	require.NoError(t, cfg.Validate())
	n := New(cfg, srv.Client())
	var cerr *channel.Error
	require.ErrorAs(t, n.Notify(context.Background(), channeltest.Notification()), &cerr)
	assert.True(t, cerr.Retryable)
	require.NoError(t, n.Notify(context.Background(), channeltest.Notification()))

	reqs := srv.Requests()
	require.Len(t, reqs, 2)
	assert.Equal(t, "Bearer s3cret", reqs[1].Header.Get("Authorization"))
	// Decode generically to check the exact wire field names.
	var raw map[string]any
	require.NoError(t, json.Unmarshal(reqs[1].Body, &raw))
	for _, k := range []string{"version", "groupKey", "truncatedAlerts", "status", "receiver", "groupLabels", "commonLabels", "commonAnnotations", "externalURL", "alerts"} {
		assert.Contains(t, raw, k)
	}
	var msg Message
	require.NoError(t, json.Unmarshal(reqs[1].Body, &msg))
	assert.Equal(t, "4", msg.Version)
	assert.Equal(t, "firing", msg.Status)
	assert.Equal(t, "ops", msg.Receiver)
	assert.Equal(t, 1, msg.TruncatedAlerts)
	assert.Equal(t, map[string]string{"alertname": "PaymentErrorRate"}, msg.GroupLabels)
	require.Len(t, msg.Alerts, 1)
	a := msg.Alerts[0]
	assert.Equal(t, "firing", a.Status)
	assert.Equal(t, "PaymentErrorRate", a.Labels["alertname"])
	assert.Equal(t, "checkout", a.Labels["service_name"])
	assert.Equal(t, "PaymentErrorRate above threshold", a.Annotations["summary"])
	assert.Equal(t, channeltest.Start, a.StartsAt)
	assert.NotEmpty(t, a.Fingerprint)
	assert.Equal(t, "https://alerts.example.com", msg.ExternalURL)
}

func TestWebhookCommonLabels(t *testing.T) {
	msg := Build(channeltest.Notification(), 0, "")
	assert.Equal(t, map[string]string{"service_name": "checkout", "payment_provider": "stripe"}, msg.CommonLabels)
	assert.Equal(t, map[string]string{"description": "Payment errors are above 5% for 5m", "value": "0.12", "threshold": "0.05"}, msg.CommonAnnotations)
	assert.Zero(t, msg.TruncatedAlerts)
	assert.Len(t, msg.Alerts, 2)
	assert.Error(t, (&Config{}).Validate())
}

// The exporter's external_url is used when the channel sets none, and an
// acknowledgement says so instead of looking like a re-notification.
func TestWebhookExternalURLAndAcknowledgement(t *testing.T) {
	srv := channeltest.NewServer(t, channeltest.Response{Status: 200}, channeltest.Response{Status: 200})
	n := New(&Config{URL: configopaque.String(srv.URL)}, srv.Client())
	note := channeltest.Notification()
	note.ExternalURL = "https://alerts.example.com:9094"
	require.NoError(t, n.Notify(context.Background(), note))
	ack := channeltest.Notification()
	ack.Acknowledged = true
	require.NoError(t, n.Notify(context.Background(), ack))

	reqs := srv.Requests()
	require.Len(t, reqs, 2)
	var first, second Message
	require.NoError(t, json.Unmarshal(reqs[0].Body, &first))
	require.NoError(t, json.Unmarshal(reqs[1].Body, &second))
	assert.Equal(t, "https://alerts.example.com:9094", first.ExternalURL)
	assert.Equal(t, "firing", first.Status)
	assert.Equal(t, StatusAcknowledged, second.Status)
	assert.Equal(t, StatusAcknowledged, second.Alerts[0].Status)
	assert.Equal(t, "resolved", second.Alerts[1].Status, "a resolved alert in the group stays resolved")
}
