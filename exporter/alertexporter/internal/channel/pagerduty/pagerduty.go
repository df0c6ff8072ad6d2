// Package pagerduty sends PagerDuty Events API v2 events: one per alert,
// deduplicated by the alert fingerprint, so trigger, acknowledge and
// resolve address the same incident and re-sending after a retry is safe.
package pagerduty

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"go.opentelemetry.io/collector/config/configopaque"

	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/channel"
	"github.com/otelcol-payments/otelcol-payments/internal/contract"
	"github.com/otelcol-payments/otelcol-payments/internal/httpdelivery"
)

// DefaultURL is the Events API v2 enqueue endpoint.
const DefaultURL = "https://events.pagerduty.com/v2/enqueue"

const (
	maxSummary  = 1024
	maxDedupKey = 255
	// maxEventBytes stays under PagerDuty's 512 KB event limit (read as
	// 512,000 bytes to be safe): a larger event is refused with a 400.
	maxEventBytes = 512_000
	// maxDetailLen caps each custom detail (a description, a label value)
	// of an event that is over the limit.
	maxDetailLen = 8192
)

// Config of a PagerDuty channel.
type Config struct {
	RoutingKey configopaque.String `mapstructure:"routing_key"`
	URL        string              `mapstructure:"url"`
	// Source is payload.source (default "otelcol-payments").
	Source string `mapstructure:"source"`
	// Summary is a Go template over one alert (default "[SEVERITY] name: summary").
	Summary string `mapstructure:"summary"`
}

const defaultSummary = `[{{ .Severity | upper }}] {{ .Name }}: {{ .Summary }}`

// Validate checks the config.
func (c *Config) Validate() error {
	if c.RoutingKey == "" {
		return errors.New("pagerduty.routing_key is required")
	}
	if err := channel.ValidateURL("pagerduty.url", c.URL); err != nil {
		return err
	}
	_, err := parseSummary(c.Summary)
	return err
}

// Event is an Events API v2 request body.
type Event struct {
	RoutingKey  string   `json:"routing_key"`
	EventAction string   `json:"event_action"`
	DedupKey    string   `json:"dedup_key"`
	Payload     *Payload `json:"payload,omitempty"`
	Links       []Link   `json:"links,omitempty"`
}

// Payload describes a triggered incident.
type Payload struct {
	Summary       string         `json:"summary"`
	Source        string         `json:"source"`
	Severity      string         `json:"severity"`
	Timestamp     string         `json:"timestamp,omitempty"`
	Component     string         `json:"component,omitempty"`
	Group         string         `json:"group,omitempty"`
	Class         string         `json:"class,omitempty"`
	CustomDetails map[string]any `json:"custom_details,omitempty"`
}

// Link is a related URL.
type Link struct {
	Href string `json:"href"`
	Text string `json:"text"`
}

// Notifier sends events.
type Notifier struct {
	cfg     *Config
	url     string
	source  string
	sender  *httpdelivery.Sender
	summary *template
}

type template = channel.AlertTemplate

func parseSummary(s string) (*template, error) {
	return channel.ParseAlertTemplate("pagerduty.summary", s, defaultSummary)
}

// New builds a notifier.
func New(cfg *Config, client *http.Client) (*Notifier, error) {
	sum, err := parseSummary(cfg.Summary)
	if err != nil {
		return nil, err
	}
	n := &Notifier{cfg: cfg, url: cfg.URL, source: cfg.Source, sender: httpdelivery.NewSender(client), summary: sum}
	if n.url == "" {
		n.url = DefaultURL
	}
	if n.source == "" {
		n.source = "otelcol-payments"
	}
	return n, nil
}

// Severity maps our severities onto PagerDuty's.
func Severity(s string) string {
	switch s {
	case contract.SeverityCritical:
		return "critical"
	case contract.SeverityHigh:
		return "error"
	case contract.SeverityWarning:
		return "warning"
	default:
		return "info"
	}
}

// Build returns the events for n.
func (p *Notifier) Build(n *channel.Notification) ([]Event, error) {
	out := make([]Event, 0, len(n.Alerts))
	for _, a := range n.Alerts {
		ev := Event{RoutingKey: string(p.cfg.RoutingKey), DedupKey: dedupKey(a.Fingerprint)}
		switch {
		case a.Status == contract.AlertResolved:
			ev.EventAction = "resolve"
		case n.Acknowledged:
			ev.EventAction = "acknowledge"
		default:
			ev.EventAction = "trigger"
			summary, err := p.summary.Execute(a)
			if err != nil {
				return nil, err
			}
			details := map[string]any{"labels": a.Labels, "escalation_level": n.Level, "receiver": n.Receiver}
			for k, v := range channel.Annotations(a) {
				details[k] = v
			}
			ev.Payload = &Payload{
				Summary:       channel.Truncate(summary, maxSummary),
				Source:        p.source,
				Severity:      Severity(a.Severity),
				Timestamp:     a.StartsAt.UTC().Format(time.RFC3339),
				Component:     a.Labels["service.name"],
				Group:         n.Receiver,
				Class:         a.Name,
				CustomDetails: details,
			}
			if a.RunbookURL != "" {
				ev.Links = []Link{{Href: a.RunbookURL, Text: "Runbook"}}
			}
		}
		out = append(out, ev)
	}
	return out, nil
}

// Notify sends one event per alert (PagerDuty answers 202). A retryable
// failure retries the whole notification; dedup_key makes that idempotent.
// An event PagerDuty refuses (4xx, never retried) does not keep the other
// alerts from being sent; the first refusal is returned at the end.
func (p *Notifier) Notify(ctx context.Context, n *channel.Notification) error {
	events, err := p.Build(n)
	if err != nil {
		return err
	}
	var refused error
	for _, ev := range events {
		body, err := marshalWithinLimit(ev)
		if err != nil {
			refused = cmp.Or(refused, channel.Permanent(err))
			continue
		}
		_, err = p.sender.Send(ctx, httpdelivery.Request{URL: p.url, ContentType: "application/json", Body: body})
		var cerr *channel.Error
		switch {
		case err == nil:
		case errors.As(err, &cerr) && !cerr.Retryable:
			refused = cmp.Or(refused, err)
		default:
			return err
		}
	}
	return refused
}

// marshalWithinLimit encodes ev, cutting custom_details when the event
// would be over PagerDuty's size limit, which would lose the alert: first
// each detail and label value to maxDetailLen, then the labels, then every
// detail but the alert's own figures. Routing, dedup_key, severity,
// summary, class, component and links are never cut.
func marshalWithinLimit(ev Event) ([]byte, error) {
	body, err := json.Marshal(ev)
	if err != nil || len(body) <= maxEventBytes || ev.Payload == nil {
		return body, err
	}
	payload := *ev.Payload
	ev.Payload = &payload
	details := make(map[string]any, len(payload.CustomDetails)+1)
	for k, v := range payload.CustomDetails {
		switch v := v.(type) {
		case string:
			details[k] = channel.Truncate(v, maxDetailLen)
		case map[string]string:
			labels := make(map[string]string, len(v))
			for lk, lv := range v {
				labels[channel.Truncate(lk, maxDetailLen)] = channel.Truncate(lv, maxDetailLen)
			}
			details[k] = labels
		default:
			details[k] = v
		}
	}
	details["truncated"] = "custom details cut to fit PagerDuty's 512 KB event limit"
	payload.CustomDetails = details
	if body, err = json.Marshal(ev); err != nil || len(body) <= maxEventBytes {
		return body, err
	}
	delete(details, "labels")
	if body, err = json.Marshal(ev); err != nil || len(body) <= maxEventBytes {
		return body, err
	}
	for k := range details {
		switch k {
		case "summary", "value", "threshold", "runbook_url", "escalation_level", "receiver", "truncated":
		default:
			delete(details, k)
		}
	}
	return json.Marshal(ev)
}

// dedupKey cuts to PagerDuty's 255-character limit without a marker, which
// would change the key's bytes (our fingerprints are 16 hex digits anyway).
func dedupKey(fp string) string {
	if len(fp) > maxDedupKey {
		return fp[:maxDedupKey]
	}
	return fp
}
