// Package discord posts notifications to a Discord webhook: a short content
// line plus one embed per alert, within Discord's limits.
package discord

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"go.opentelemetry.io/collector/config/configopaque"

	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/channel"
	"github.com/otelcol-payments/otelcol-payments/internal/contract"
	"github.com/otelcol-payments/otelcol-payments/internal/httpdelivery"
)

// Discord's limits.
const (
	maxContent     = 2000
	maxEmbeds      = 10
	maxEmbedTitle  = 256
	maxDescription = 4096
	maxEmbedsTotal = 6000
)

// Config of a Discord channel.
type Config struct {
	WebhookURL configopaque.String `mapstructure:"webhook_url"`
	Username   string              `mapstructure:"username"`
	// Content is a Go template over the notification (default: headline).
	Content string `mapstructure:"content"`
}

// Validate checks the config.
func (c *Config) Validate() error {
	if c.WebhookURL == "" {
		return errors.New("discord.webhook_url is required")
	}
	if err := channel.ValidateURL("discord.webhook_url", string(c.WebhookURL)); err != nil {
		return err
	}
	_, err := channel.ParseTemplate("discord.content", c.Content, channel.DefaultTitle)
	return err
}

// Message is the webhook payload.
type Message struct {
	Username string  `json:"username,omitempty"`
	Content  string  `json:"content"`
	Embeds   []Embed `json:"embeds,omitempty"`
}

// Embed is a rich embed.
type Embed struct {
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
	URL         string `json:"url,omitempty"`
	Color       int    `json:"color"`
	Timestamp   string `json:"timestamp,omitempty"`
}

// Notifier posts to Discord.
type Notifier struct {
	cfg     *Config
	sender  *httpdelivery.Sender
	content *channel.Template
}

// New builds a notifier.
func New(cfg *Config, client *http.Client) (*Notifier, error) {
	t, err := channel.ParseTemplate("discord.content", cfg.Content, channel.DefaultTitle)
	if err != nil {
		return nil, err
	}
	return &Notifier{cfg: cfg, sender: httpdelivery.NewSender(client), content: t}, nil
}

func color(a contract.Alert) int {
	if a.Status == contract.AlertResolved {
		return 0x2eb886 // green
	}
	switch a.Severity {
	case contract.SeverityCritical:
		return 0xd00000
	case contract.SeverityHigh:
		return 0xff6a00
	case contract.SeverityWarning:
		return 0xffc400
	}
	return 0x439fe0
}

// Build renders the payload.
func (d *Notifier) Build(n *channel.Notification) (*Message, error) {
	content, err := d.content.Execute(n)
	if err != nil {
		return nil, err
	}
	alerts := n.Alerts
	if len(alerts) > maxEmbeds {
		content += fmt.Sprintf(" (+%d more)", len(alerts)-maxEmbeds)
		alerts = alerts[:maxEmbeds]
	}
	msg := &Message{Username: d.cfg.Username, Content: channel.Truncate(content, maxContent)}
	// Titles first, then share the rest of the 6000-character budget
	// fairly between the descriptions.
	titles := make([]string, len(alerts))
	budget := maxEmbedsTotal
	for i, a := range alerts {
		titles[i] = channel.Truncate(fmt.Sprintf("[%s] %s %s", strings.ToUpper(a.Severity), a.Name, a.Status), maxEmbedTitle)
		budget -= len([]rune(titles[i]))
	}
	for i, a := range alerts {
		share := min(maxDescription, max(budget, 0)/(len(alerts)-i))
		var desc strings.Builder
		desc.WriteString(a.Summary)
		if len(a.Labels) > 0 {
			desc.WriteString("\n" + channel.SortedPairs(a.Labels))
		}
		if a.RunbookURL != "" {
			desc.WriteString("\nRunbook: " + a.RunbookURL)
		}
		description := channel.Truncate(desc.String(), share)
		budget -= len([]rune(description))
		ts := a.StartsAt
		if a.Status == contract.AlertResolved {
			ts = a.EndsAt
		}
		msg.Embeds = append(msg.Embeds, Embed{Title: titles[i], Description: description, URL: embedURL(a.RunbookURL), Color: color(a), Timestamp: ts.UTC().Format(time.RFC3339)})
	}
	return msg, nil
}

// embedURL is the runbook link as an embed url when Discord takes it: an
// absolute http(s) URL. Discord refuses the whole message for any other
// (400 "Not a well formed URL."); the link stays in the description.
func embedURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ""
	}
	return s
}

// Notify posts n. Discord answers 204; on 429 the JSON body's retry_after
// (seconds) says how long to wait.
func (d *Notifier) Notify(ctx context.Context, n *channel.Notification) error {
	msg, err := d.Build(n)
	if err != nil {
		return err
	}
	body, err := json.Marshal(msg)
	if err != nil {
		return channel.Permanent(err)
	}
	resp, err := d.sender.Send(ctx, httpdelivery.Request{URL: string(d.cfg.WebhookURL), ContentType: "application/json", Body: body})
	var cerr *channel.Error
	if resp != nil && resp.StatusCode == http.StatusTooManyRequests && errors.As(err, &cerr) {
		var rl struct {
			RetryAfter float64 `json:"retry_after"`
		}
		if json.Unmarshal(resp.Body, &rl) == nil {
			cerr.RetryAfter = max(cerr.RetryAfter, httpdelivery.SecondsDelay(rl.RetryAfter))
		}
	}
	return err
}
