// Package slack posts notifications to a Slack incoming webhook: Block Kit
// blocks with a plain text fallback.
package slack

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"go.opentelemetry.io/collector/config/configopaque"

	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/channel"
	"github.com/otelcol-payments/otelcol-payments/internal/httpdelivery"
)

// Slack's limits: header block text 150 characters, section text 3000, the
// top-level fallback text 40000 (we keep it far shorter).
const (
	maxHeader   = 150
	maxSection  = 3000
	maxFallback = 4000
)

// Config of a Slack channel.
type Config struct {
	WebhookURL configopaque.String `mapstructure:"webhook_url"`
	// Title and Text are Go templates over the notification.
	Title string `mapstructure:"title"`
	Text  string `mapstructure:"text"`
}

// Validate checks the config.
func (c *Config) Validate() error {
	if c.WebhookURL == "" {
		return errors.New("slack.webhook_url is required")
	}
	if err := channel.ValidateURL("slack.webhook_url", string(c.WebhookURL)); err != nil {
		return err
	}
	if _, err := channel.ParseTemplate("slack.title", c.Title, channel.DefaultTitle); err != nil {
		return err
	}
	_, err := channel.ParseTemplate("slack.text", c.Text, channel.DefaultText)
	return err
}

// Notifier posts to Slack.
type Notifier struct {
	url         string
	sender      *httpdelivery.Sender
	title, text *channel.Template
}

// New builds a notifier from a validated config.
func New(cfg *Config, client *http.Client) (*Notifier, error) {
	title, err := channel.ParseTemplate("slack.title", cfg.Title, channel.DefaultTitle)
	if err != nil {
		return nil, err
	}
	text, err := channel.ParseTemplate("slack.text", cfg.Text, channel.DefaultText)
	if err != nil {
		return nil, err
	}
	return &Notifier{url: string(cfg.WebhookURL), sender: httpdelivery.NewSender(client), title: title, text: text}, nil
}

// Message is the webhook payload.
type Message struct {
	Text   string  `json:"text"`
	Blocks []Block `json:"blocks"`
}

// Block is a Block Kit block (header, section or context).
type Block struct {
	Type     string  `json:"type"`
	Text     *Text   `json:"text,omitempty"`
	Elements []*Text `json:"elements,omitempty"`
}

// Text is a Block Kit text object.
type Text struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

// Build renders the payload for n.
func (s *Notifier) Build(n *channel.Notification) (*Message, error) {
	title, err := s.title.Execute(n)
	if err != nil {
		return nil, err
	}
	text, err := s.text.Execute(n)
	if err != nil {
		return nil, err
	}
	msg := &Message{
		Text: channel.Truncate(title+"\n"+text, maxFallback),
		Blocks: []Block{
			{Type: "header", Text: &Text{Type: "plain_text", Text: channel.Truncate(title, maxHeader)}},
		},
	}
	if text != "" {
		msg.Blocks = append(msg.Blocks, Block{Type: "section", Text: &Text{Type: "mrkdwn", Text: channel.Truncate(text, maxSection)}})
	}
	ctx := "receiver " + n.Receiver
	if n.Level > 1 {
		ctx += ", escalation level " + itoa(n.Level)
	}
	msg.Blocks = append(msg.Blocks, Block{Type: "context", Elements: []*Text{{Type: "mrkdwn", Text: channel.Truncate(ctx, maxHeader)}}})
	return msg, nil
}

// Notify posts n; Slack answers 200 "ok", 429 with Retry-After when rate
// limited.
func (s *Notifier) Notify(ctx context.Context, n *channel.Notification) error {
	msg, err := s.Build(n)
	if err != nil {
		return err
	}
	body, err := json.Marshal(msg)
	if err != nil {
		return channel.Permanent(err)
	}
	_, err = s.sender.Send(ctx, httpdelivery.Request{URL: s.url, ContentType: "application/json", Body: body})
	return err
}

func itoa(i int) string { return strconv.Itoa(i) }
