package channel_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/channel"
	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/channel/channeltest"
	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/channel/discord"
	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/channel/email"
	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/channel/pagerduty"
	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/channel/slack"
	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/channel/sms"
)

// A user template that fails to execute can never succeed on a retry: every
// channel that renders templates reports it as permanent, sends nothing, and
// the error text carries no alert content (text/template quotes values in
// some errors, e.g. "range can't iterate over <summary>").
func TestTemplateExecutionErrorsArePermanent(t *testing.T) {
	const (
		badField = `{{ .NoSuchField }}`
		// Ranging over a string makes text/template quote the value.
		leaksNote  = `{{ range .Alerts }}{{ range .Summary }}x{{ end }}{{ end }}`
		leaksAlert = `{{ range .Summary }}x{{ end }}`
	)
	srv := channeltest.NewServer(t, channeltest.Response{Status: 500})
	type build func(text string) (channel.Notifier, error)
	channels := map[string]struct {
		build      build
		bad, leaky string
	}{
		"slack": {func(s string) (channel.Notifier, error) {
			return slack.New(&slack.Config{WebhookURL: "http://unused", Text: s}, srv.Client())
		}, badField, leaksNote},
		"discord": {func(s string) (channel.Notifier, error) {
			return discord.New(&discord.Config{WebhookURL: "http://unused", Content: s}, srv.Client())
		}, badField, leaksNote},
		"sms": {func(s string) (channel.Notifier, error) {
			return sms.New(&sms.Config{AccountSID: "AC1", AuthToken: "t", From: "+15005550006", To: "+4915112345678", URL: srv.URL, Text: s}, srv.Client())
		}, badField, leaksNote},
		"pagerduty": {func(s string) (channel.Notifier, error) {
			return pagerduty.New(&pagerduty.Config{RoutingKey: "k", URL: srv.URL, Summary: s}, srv.Client())
		}, badField, leaksAlert},
		"email text": {func(s string) (channel.Notifier, error) {
			return email.New(context.Background(), &email.Config{Host: "127.0.0.1", Port: 1, Security: email.SecurityNone, From: "a@example.com", To: "b@example.com", Text: s})
		}, badField, leaksNote},
		"email html": {func(s string) (channel.Notifier, error) {
			return email.New(context.Background(), &email.Config{Host: "127.0.0.1", Port: 1, Security: email.SecurityNone, From: "a@example.com", To: "b@example.com", HTML: s})
		}, badField, leaksNote},
	}
	for name, c := range channels {
		for _, text := range []string{c.bad, c.leaky} {
			n, err := c.build(text)
			require.NoError(t, err, "%s: the template parses", name)
			err = n.Notify(context.Background(), channeltest.Notification())
			var cerr *channel.Error
			require.ErrorAs(t, err, &cerr, "%s %s", name, text)
			assert.False(t, cerr.Retryable, "%s %s: a template error is permanent", name, text)
			assert.NotContains(t, err.Error(), "above threshold", "%s %s: no alert content in the error", name, text)
			if text == badField {
				assert.Contains(t, err.Error(), "can't evaluate field NoSuchField", "%s: the mistake is named", name)
			}
		}
	}
	assert.Empty(t, srv.Requests(), "nothing is sent when a template fails")
}
