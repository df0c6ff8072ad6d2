package discord

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/config/configopaque"

	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/channel"
	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/channel/channeltest"
	"github.com/otelcol-payments/otelcol-payments/internal/contract"
)

func TestDiscordPayloadAndRateLimit(t *testing.T) {
	srv := channeltest.NewServer(t, channeltest.Response{Status: 204},
		channeltest.Response{Status: 429, Header: map[string]string{"Retry-After": "1"}, Body: `{"message":"You are being rate limited.","retry_after":2.5,"global":false}`},
		channeltest.Response{Status: 502})
	n, err := New(&Config{WebhookURL: configopaque.String(srv.URL + "/api/webhooks/123/tok"), Username: "alerts"}, srv.Client())
	require.NoError(t, err)

	var cerr *channel.Error
	err = n.Notify(context.Background(), channeltest.Notification())
	require.ErrorAs(t, err, &cerr)
	assert.True(t, cerr.Retryable)
	assert.Equal(t, 2500*time.Millisecond, cerr.RetryAfter, "the JSON retry_after wins over a shorter header")

	err = n.Notify(context.Background(), channeltest.Notification())
	require.ErrorAs(t, err, &cerr)
	assert.True(t, cerr.Retryable, "5xx is retried")

	require.NoError(t, n.Notify(context.Background(), channeltest.Notification()))
	reqs := srv.Requests()
	require.Len(t, reqs, 3)
	assert.Equal(t, "/api/webhooks/123/tok", reqs[2].Path)
	var msg Message
	require.NoError(t, json.Unmarshal(reqs[2].Body, &msg))
	assert.Equal(t, "alerts", msg.Username)
	assert.Equal(t, "[FIRING:1] PaymentErrorRate, CheckoutLatency", msg.Content)
	require.Len(t, msg.Embeds, 2)
	assert.Equal(t, "[CRITICAL] PaymentErrorRate firing", msg.Embeds[0].Title)
	assert.Equal(t, 0xd00000, msg.Embeds[0].Color)
	assert.Equal(t, 0x2eb886, msg.Embeds[1].Color, "resolved is green")
	assert.Equal(t, "https://runbooks.example.com/PaymentErrorRate", msg.Embeds[0].URL)
}

func TestDiscordLimits(t *testing.T) {
	n, err := New(&Config{WebhookURL: "http://unused", Content: strings.Repeat("c", 3000)}, nil)
	require.NoError(t, err)
	note := channeltest.Notification()
	note.Alerts = nil
	for i := range 15 {
		a := channeltest.Alert(fmt.Sprintf("Alert%02d%s", i, strings.Repeat("n", 300)), contract.AlertFiring, contract.SeverityWarning)
		a.Summary = strings.Repeat("s", 5000)
		note.Alerts = append(note.Alerts, a)
	}
	msg, err := n.Build(note)
	require.NoError(t, err)
	assert.Len(t, []rune(msg.Content), maxContent)
	require.Len(t, msg.Embeds, maxEmbeds)
	total := 0
	for _, e := range msg.Embeds {
		assert.LessOrEqual(t, len([]rune(e.Title)), maxEmbedTitle)
		assert.LessOrEqual(t, len([]rune(e.Description)), maxDescription)
		total += len([]rune(e.Title)) + len([]rune(e.Description))
	}
	assert.LessOrEqual(t, total, maxEmbedsTotal)
}

// Discord refuses the whole message (400 "embeds": ["0"], "Not a well
// formed URL.") when an embed's url is not an absolute http(s) URL, so one
// alert with a relative or odd runbook link cost every alert of the
// notification. Such links stay in the description as text.
func TestDiscordEmbedURLIsWellFormedOrAbsent(t *testing.T) {
	n, err := New(&Config{WebhookURL: "http://unused"}, nil)
	require.NoError(t, err)
	note := channeltest.Notification()
	runbooks := []string{"runbooks.example.com/PaymentErrorRate", "javascript:alert(1)", "/wiki/runbooks/latency", "https://runbooks.example.com/ok"}
	note.Alerts = nil
	for i, rb := range runbooks {
		a := channeltest.Alert(fmt.Sprintf("Alert%d", i), contract.AlertFiring, contract.SeverityWarning)
		a.RunbookURL = rb
		note.Alerts = append(note.Alerts, a)
	}
	msg, err := n.Build(note)
	require.NoError(t, err)
	require.Len(t, msg.Embeds, len(runbooks))
	for i, e := range msg.Embeds {
		if e.URL != "" {
			u, err := url.Parse(e.URL)
			require.NoError(t, err)
			assert.True(t, (u.Scheme == "http" || u.Scheme == "https") && u.Host != "", "embed %d url %q is not an absolute http(s) URL", i, e.URL)
		}
		assert.Contains(t, e.Description, "Runbook: "+runbooks[i])
	}
	assert.Equal(t, "https://runbooks.example.com/ok", msg.Embeds[3].URL)
}
