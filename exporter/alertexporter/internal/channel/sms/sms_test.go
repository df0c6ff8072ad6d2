package sms

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/channel"
	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/channel/channeltest"
	"github.com/otelcol-payments/otelcol-payments/internal/contract"
)

func TestTwilioMessages(t *testing.T) {
	created := channeltest.Response{Status: 201, Body: `{"sid":"SM1","status":"queued"}`}
	srv := channeltest.NewServer(t, created,
		created,
		channeltest.Response{Status: 429, Header: map[string]string{"Retry-After": "1"}})
	cfg := &Config{AccountSID: "AC123", AuthToken: "tok", From: "+15005550006", To: "+4915112345678, +4915187654321", MaxLength: 60, URL: srv.URL}
	require.NoError(t, cfg.Validate())
	n, err := New(cfg, srv.Client())
	require.NoError(t, err)

	note := channeltest.Notification()
	var cerr *channel.Error
	require.ErrorAs(t, n.Notify(context.Background(), note), &cerr, "second recipient rate limited")
	assert.True(t, cerr.Retryable)
	require.NoError(t, n.Notify(context.Background(), note), "retry sends only to the remaining recipient")

	reqs := srv.Requests()
	require.Len(t, reqs, 3)
	tos := []string{}
	for _, r := range reqs {
		assert.Equal(t, "/2010-04-01/Accounts/AC123/Messages.json", r.Path)
		assert.Equal(t, "application/x-www-form-urlencoded", r.Header.Get("Content-Type"))
		assert.True(t, r.HasBasicAuth)
		assert.Equal(t, "AC123", r.User)
		assert.Equal(t, "tok", r.Password)
		form, err := url.ParseQuery(string(r.Body))
		require.NoError(t, err)
		assert.Equal(t, "+15005550006", form.Get("From"))
		assert.LessOrEqual(t, len([]rune(form.Get("Body"))), 60)
		assert.True(t, strings.HasPrefix(form.Get("Body"), "[FIRING:1]"))
		tos = append(tos, form.Get("To"))
	}
	assert.Equal(t, []string{"+4915112345678", "+4915187654321", "+4915187654321"}, tos)
}

func TestSMSConfig(t *testing.T) {
	ok := Config{AccountSID: "AC1", AuthToken: "t", MessagingServiceSID: "MG1", To: "+4915112345678"}
	require.NoError(t, ok.Validate())
	bad := ok
	bad.From = "+15005550006"
	require.ErrorContains(t, bad.Validate(), "exactly one of from and messaging_service_sid")
	bad = ok
	bad.MaxLength = 2000
	require.ErrorContains(t, bad.Validate(), "max_length")
	bad = ok
	bad.To = "+49 170 999"
	err := bad.Validate()
	require.ErrorContains(t, err, "E.164")
	assert.NotContains(t, err.Error(), "999", "numbers are personal data and not echoed")
	n, err := New(&ok, nil)
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(n.url, DefaultURL))
}

// Twilio refuses a message to one recipient for reasons of that recipient
// (21610: it replied STOP; 21614: a landline) with a 400 that is never
// retried: the other recipients must still get the alert.
func TestTwilioRefusedRecipientDoesNotStopTheOthers(t *testing.T) {
	srv := channeltest.NewServer(t, channeltest.Response{Status: 201, Body: `{"sid":"SM1","status":"queued"}`},
		channeltest.Response{Status: 400, Body: `{"code":21610,"message":"Attempt to send to unsubscribed recipient","status":400}`})
	cfg := &Config{AccountSID: "AC123", AuthToken: "tok", From: "+15005550006", To: "+4915112345678, +4915187654321", URL: srv.URL}
	require.NoError(t, cfg.Validate())
	n, err := New(cfg, srv.Client())
	require.NoError(t, err)

	note := channeltest.Notification()
	var cerr *channel.Error
	require.ErrorAs(t, n.Notify(context.Background(), note), &cerr)
	assert.False(t, cerr.Retryable, "the refusal is reported")
	var to []string
	for _, r := range srv.Requests() {
		form, err := url.ParseQuery(string(r.Body))
		require.NoError(t, err)
		to = append(to, form.Get("To"))
	}
	assert.Equal(t, []string{"+4915112345678", "+4915187654321"}, to)
	assert.Equal(t, []string{"+4915187654321"}, note.DeliveredTo())
}

// Twilio counts Body in UTF-16 code units (UCS-2 characters): an emoji
// outside the Basic Multilingual Plane uses two of the 1,600, so counting
// runes let a text full of emoji past the limit, and Twilio refused it
// (21617). The cut must also never split an emoji.
func TestTwilioBodyLimitCountsUTF16Units(t *testing.T) {
	srv := channeltest.NewServer(t, channeltest.Response{Status: 201, Body: `{"sid":"SM1","status":"queued"}`})
	cfg := &Config{
		AccountSID: "AC123", AuthToken: "tok", From: "+15005550006", To: "+4915112345678", MaxLength: 1600,
		Text: `{{ range .Alerts }}{{ .Summary }}{{ end }}`, URL: srv.URL,
	}
	require.NoError(t, cfg.Validate())
	n, err := New(cfg, srv.Client())
	require.NoError(t, err)
	note := channeltest.Notification()
	note.Alerts = note.Alerts[:1]
	note.Alerts[0].Summary = "Payments failing " + strings.Repeat("🔥", 1000)
	require.NoError(t, n.Notify(context.Background(), note))

	reqs := srv.Requests()
	require.Len(t, reqs, 1)
	form, err := url.ParseQuery(string(reqs[0].Body))
	require.NoError(t, err)
	body := form.Get("Body")
	assert.True(t, utf8.ValidString(body), "no emoji split")
	units := len(utf16.Encode([]rune(body)))
	assert.LessOrEqual(t, units, 1600, "Twilio's limit in UTF-16 code units")
	assert.Greater(t, units, 1590, "the limit is used, not undercut")
	assert.True(t, strings.HasPrefix(body, "Payments failing 🔥🔥"))
	assert.True(t, strings.HasSuffix(body, "…"))

	ascii, err := n.Body(&channel.Notification{Alerts: []contract.Alert{{Summary: strings.Repeat("a", 1600)}}})
	require.NoError(t, err)
	assert.Len(t, ascii, 1600, "text within the limit is unchanged")
}
