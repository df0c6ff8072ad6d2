// Package sms sends notifications as text messages through Twilio's
// Messages API.
package sms

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"unicode/utf16"

	"go.opentelemetry.io/collector/config/configopaque"

	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/channel"
	"github.com/otelcol-payments/otelcol-payments/internal/httpdelivery"
)

// DefaultURL is Twilio's API base.
const DefaultURL = "https://api.twilio.com"

// twilioMaxBody is Twilio's hard limit on Body, in UTF-16 code units.
const twilioMaxBody = 1600

const defaultText = `{{ .Headline }}{{ range .Alerts }} | {{ .Severity | upper }} {{ .Name }}: {{ .Summary }}{{ end }}`

// Config of an SMS channel.
type Config struct {
	AccountSID string              `mapstructure:"account_sid"`
	AuthToken  configopaque.String `mapstructure:"auth_token"`
	// From is the sending number; or use MessagingServiceSID.
	From                string `mapstructure:"from"`
	MessagingServiceSID string `mapstructure:"messaging_service_sid"`
	// To is a comma-separated list of E.164 numbers (one env var friendly).
	To string `mapstructure:"to"`
	// MaxLength truncates the text, in UTF-16 code units as Twilio counts
	// (default 320, two SMS segments; at most 1600).
	MaxLength int    `mapstructure:"max_length"`
	Text      string `mapstructure:"text"`
	URL       string `mapstructure:"url"`
}

var e164 = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)

// Validate checks the config.
func (c *Config) Validate() error {
	var errs []error
	if c.AccountSID == "" {
		errs = append(errs, errors.New("sms.account_sid is required"))
	}
	if c.AuthToken == "" {
		errs = append(errs, errors.New("sms.auth_token is required"))
	}
	if err := channel.ValidateURL("sms.url", c.URL); err != nil {
		errs = append(errs, err)
	}
	if (c.From == "") == (c.MessagingServiceSID == "") {
		errs = append(errs, errors.New("sms: set exactly one of from and messaging_service_sid"))
	}
	to := Recipients(c.To)
	if len(to) == 0 {
		errs = append(errs, errors.New("sms.to: at least one recipient is required"))
	}
	for _, r := range to {
		if !e164.MatchString(r) {
			// Not echoing the number: it is personal data.
			errs = append(errs, errors.New("sms.to: recipients must be E.164 numbers like +4915112345678"))
			break
		}
	}
	if c.MaxLength < 0 || c.MaxLength > twilioMaxBody {
		errs = append(errs, fmt.Errorf("sms.max_length must be between 1 and %d", twilioMaxBody))
	}
	if _, err := channel.ParseTemplate("sms.text", c.Text, defaultText); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// Recipients splits a comma-separated list.
func Recipients(s string) []string {
	var out []string
	for _, r := range strings.Split(s, ",") {
		if r = strings.TrimSpace(r); r != "" {
			out = append(out, r)
		}
	}
	return out
}

// Notifier sends SMS.
type Notifier struct {
	cfg    *Config
	sender *httpdelivery.Sender
	text   *channel.Template
	to     []string
	max    int
	url    string
}

// New builds a notifier.
func New(cfg *Config, client *http.Client) (*Notifier, error) {
	t, err := channel.ParseTemplate("sms.text", cfg.Text, defaultText)
	if err != nil {
		return nil, err
	}
	n := &Notifier{cfg: cfg, sender: httpdelivery.NewSender(client), text: t, to: Recipients(cfg.To), max: cfg.MaxLength, url: cfg.URL}
	if n.max == 0 {
		n.max = 320
	}
	if n.url == "" {
		n.url = DefaultURL
	}
	n.url = strings.TrimSuffix(n.url, "/") + "/2010-04-01/Accounts/" + url.PathEscape(cfg.AccountSID) + "/Messages.json"
	return n, nil
}

// Body renders the message text within the length limit.
func (s *Notifier) Body(n *channel.Notification) (string, error) {
	text, err := s.text.Execute(n)
	if err != nil {
		return "", err
	}
	return truncateUTF16(strings.TrimSpace(text), s.max), nil
}

// truncateUTF16 cuts s to max UTF-16 code units, the way Twilio counts
// Body (UCS-2 characters: an emoji outside the Basic Multilingual Plane
// takes two of the 1,600), ending in "…" when cut and never splitting a
// character.
func truncateUTF16(s string, max int) string {
	if utf16Len(s) <= max {
		return s
	}
	const ellipsis = "…" // one unit
	n := 0
	for i, r := range s {
		w := utf16.RuneLen(r)
		if n+w > max-1 {
			return s[:i] + ellipsis
		}
		n += w
	}
	return s
}

func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// Notify sends one message per recipient (Twilio answers 201). A retry,
// also after a restart (the delivered set is persisted with the outbox
// entry), skips recipients that already got it. A recipient Twilio refuses
// (4xx: unsubscribed, a landline) does not keep the others from getting
// it; the first refusal is returned at the end.
func (s *Notifier) Notify(ctx context.Context, n *channel.Notification) error {
	body, err := s.Body(n)
	if err != nil {
		return err
	}
	var refused error
	for _, to := range s.to {
		if n.WasDelivered(to) {
			continue
		}
		form := url.Values{"To": {to}, "Body": {body}}
		if s.cfg.From != "" {
			form.Set("From", s.cfg.From)
		} else {
			form.Set("MessagingServiceSid", s.cfg.MessagingServiceSID)
		}
		_, err := s.sender.Send(ctx, httpdelivery.Request{
			URL: s.url, ContentType: "application/x-www-form-urlencoded", Body: []byte(form.Encode()),
			BasicUser: s.cfg.AccountSID, BasicPassword: string(s.cfg.AuthToken),
		})
		if cerr, ok := errors.AsType[*channel.Error](err); ok && !cerr.Retryable {
			refused = cmp.Or(refused, err)
			continue
		}
		if err != nil {
			return err
		}
		n.MarkDelivered(to)
	}
	return refused
}
