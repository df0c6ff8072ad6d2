package slack

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/config/configopaque"

	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/channel"
	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/channel/channeltest"
)

func TestSlackPayloadAndRateLimit(t *testing.T) {
	srv := channeltest.NewServer(t, channeltest.Response{Status: 200, Body: "ok"},
		channeltest.Response{Status: 429, Header: map[string]string{"Retry-After": "2"}, Body: "rate_limited"})
	n, err := New(&Config{WebhookURL: configopaque.String(configURL(srv.URL))}, srv.Client())
	require.NoError(t, err)

	err = n.Notify(context.Background(), channeltest.Notification())
	var cerr *channel.Error
	require.ErrorAs(t, err, &cerr)
	assert.True(t, cerr.Retryable)
	assert.Equal(t, 2*time.Second, cerr.RetryAfter)

	require.NoError(t, n.Notify(context.Background(), channeltest.Notification()))
	reqs := srv.Requests()
	require.Len(t, reqs, 2)
	r := reqs[1]
	assert.Equal(t, "POST", r.Method)
	assert.Equal(t, "/services/T0/B0/XYZ", r.Path)
	assert.Equal(t, "application/json", r.Header.Get("Content-Type"))
	var msg Message
	require.NoError(t, json.Unmarshal(r.Body, &msg))
	assert.True(t, strings.HasPrefix(msg.Text, "[FIRING:1] PaymentErrorRate"), "text fallback: %q", msg.Text)
	require.Len(t, msg.Blocks, 3)
	assert.Equal(t, "header", msg.Blocks[0].Type)
	assert.Equal(t, "plain_text", msg.Blocks[0].Text.Type)
	assert.Equal(t, "section", msg.Blocks[1].Type)
	assert.Equal(t, "mrkdwn", msg.Blocks[1].Text.Type)
	assert.Contains(t, msg.Blocks[1].Text.Text, "[CRITICAL] PaymentErrorRate")
	assert.Equal(t, "context", msg.Blocks[2].Type)
}

func configURL(base string) string { return base + "/services/T0/B0/XYZ" }

func TestSlackLimits(t *testing.T) {
	n, err := New(&Config{WebhookURL: "http://unused", Title: strings.Repeat("t", 500), Text: strings.Repeat("x", 5000)}, nil)
	require.NoError(t, err)
	msg, err := n.Build(channeltest.Notification())
	require.NoError(t, err)
	assert.Len(t, []rune(msg.Blocks[0].Text.Text), maxHeader)
	assert.Len(t, []rune(msg.Blocks[1].Text.Text), maxSection)
	assert.LessOrEqual(t, len([]rune(msg.Text)), maxFallback)
}

func TestSlackPermanentError(t *testing.T) {
	srv := channeltest.NewServer(t, channeltest.Response{Status: 404, Body: "no_service"})
	n, err := New(&Config{WebhookURL: configopaque.String(configURL(srv.URL))}, srv.Client())
	require.NoError(t, err)
	err = n.Notify(context.Background(), channeltest.Notification())
	var cerr *channel.Error
	require.ErrorAs(t, err, &cerr)
	assert.False(t, cerr.Retryable)
	assert.NotContains(t, err.Error(), "XYZ", "the secret webhook path never appears in errors")
	assert.Error(t, (&Config{}).Validate())
}
