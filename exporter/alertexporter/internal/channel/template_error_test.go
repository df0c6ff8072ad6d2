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
	// Each fails only on channeltest's data, not on the sample the
	// templates are tried on at start (TestTemplatesAreTriedAtStart).
	const (
		badField = `{{ if eq .Receiver "ops" }}{{ .NoSuchField }}{{ end }}`
		// Ranging over a string makes text/template quote the value.
		leaksNote     = `{{ range .Alerts }}{{ if eq .Name "PaymentErrorRate" }}{{ range .Summary }}x{{ end }}{{ end }}{{ end }}`
		leaksAlert    = `{{ if eq .Name "PaymentErrorRate" }}{{ range .Summary }}x{{ end }}{{ end }}`
		badAlertField = `{{ if eq .Name "PaymentErrorRate" }}{{ .NoSuchField }}{{ end }}`
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
		}, badAlertField, leaksAlert},
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
			if text == c.bad {
				assert.Contains(t, err.Error(), "can't evaluate field NoSuchField", "%s: the mistake is named", name)
			}
		}
	}
	assert.Empty(t, srv.Requests(), "nothing is sent when a template fails")
}

// A template naming a field that does not exist fails on every alert: each
// channel refuses it when built (at start), naming its field, instead of
// failing every notification later.
func TestTemplatesAreTriedAtStart(t *testing.T) {
	srv := channeltest.NewServer(t, channeltest.Response{Status: 200})
	for field, build := range map[string]func() error{
		"slack.text": func() error {
			_, err := slack.New(&slack.Config{WebhookURL: "http://unused", Text: "{{ .NoSuchField }}"}, srv.Client())
			return err
		},
		"discord.content": func() error {
			_, err := discord.New(&discord.Config{WebhookURL: "http://unused", Content: "{{ .Headline }} {{ .NoSuchField }}"}, srv.Client())
			return err
		},
		"pagerduty.summary": func() error {
			_, err := pagerduty.New(&pagerduty.Config{RoutingKey: "k", URL: srv.URL, Summary: "{{ .NoSuchField }}"}, srv.Client())
			return err
		},
		"email.html": func() error {
			_, err := email.New(context.Background(), &email.Config{Host: "127.0.0.1", Port: 1, Security: email.SecurityNone, From: "a@example.com", To: "b@example.com", HTML: "{{ range .Alerts }}{{ .NoSuchField }}{{ end }}"})
			return err
		},
	} {
		err := build()
		require.Error(t, err, field)
		assert.Contains(t, err.Error(), field, "the field is named")
		assert.Contains(t, err.Error(), "NoSuchField", "the mistake is named")
	}
}
