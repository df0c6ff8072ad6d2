// Package webhook posts Alertmanager's webhook payload (version 4), so
// receivers written for Alertmanager work unchanged.
package webhook

import (
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

// Config of a webhook channel.
type Config struct {
	URL configopaque.String `mapstructure:"url"`
	// Headers are added to every request (e.g. Authorization).
	Headers map[string]configopaque.String `mapstructure:"headers"`
	// MaxAlerts caps the alerts per payload (0 = all); the rest are counted
	// in truncatedAlerts.
	MaxAlerts int `mapstructure:"max_alerts"`
	// ExternalURL is sent as externalURL (e.g. the alert API's address);
	// default: the exporter's external_url.
	ExternalURL string `mapstructure:"external_url"`
}

// StatusAcknowledged is the payload and alert status of an
// acknowledgement, so receivers can tell it from a re-notification.
const StatusAcknowledged = "acknowledged"

// Validate checks the config.
func (c *Config) Validate() error {
	if c.URL == "" {
		return errors.New("webhook.url is required")
	}
	if err := channel.ValidateURL("webhook.url", string(c.URL)); err != nil {
		return err
	}
	if err := channel.ValidateURL("webhook.external_url", c.ExternalURL); err != nil {
		return err
	}
	if c.MaxAlerts < 0 {
		return errors.New("webhook.max_alerts must not be negative")
	}
	return nil
}

// Message is Alertmanager's webhook payload, version 4.
type Message struct {
	Version           string            `json:"version"`
	GroupKey          string            `json:"groupKey"`
	TruncatedAlerts   int               `json:"truncatedAlerts"`
	Status            string            `json:"status"`
	Receiver          string            `json:"receiver"`
	GroupLabels       map[string]string `json:"groupLabels"`
	CommonLabels      map[string]string `json:"commonLabels"`
	CommonAnnotations map[string]string `json:"commonAnnotations"`
	ExternalURL       string            `json:"externalURL"`
	Alerts            []Alert           `json:"alerts"`
}

// Alert is one alert in the payload.
type Alert struct {
	Status       string            `json:"status"`
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     time.Time         `json:"startsAt"`
	EndsAt       time.Time         `json:"endsAt"`
	GeneratorURL string            `json:"generatorURL"`
	Fingerprint  string            `json:"fingerprint"`
}

// Notifier posts to the webhook.
type Notifier struct {
	cfg    *Config
	sender *httpdelivery.Sender
}

// New builds a notifier.
func New(cfg *Config, client *http.Client) *Notifier {
	return &Notifier{cfg: cfg, sender: httpdelivery.NewSender(client)}
}

// Build renders the payload of n with at most maxAlerts alerts (0 = all).
func Build(n *channel.Notification, maxAlerts int, externalURL string) *Message {
	alerts := n.Alerts
	truncated := 0
	if maxAlerts > 0 && len(alerts) > maxAlerts {
		truncated = len(alerts) - maxAlerts
		alerts = alerts[:maxAlerts]
	}
	msg := &Message{
		Version:         "4",
		GroupKey:        n.GroupKey,
		TruncatedAlerts: truncated,
		Status:          n.Status(),
		Receiver:        n.Receiver,
		GroupLabels:     promNames(n.GroupLabels),
		ExternalURL:     externalURL,
		Alerts:          make([]Alert, 0, len(alerts)),
	}
	if n.Acknowledged {
		msg.Status = StatusAcknowledged
	}
	for _, a := range alerts {
		status := a.Status
		if n.Acknowledged && status == contract.AlertFiring {
			status = StatusAcknowledged
		}
		msg.Alerts = append(msg.Alerts, Alert{
			Status:       status,
			Labels:       channel.PromLabels(a),
			Annotations:  channel.Annotations(a),
			StartsAt:     a.StartsAt.UTC(),
			EndsAt:       a.EndsAt.UTC(),
			GeneratorURL: a.GeneratorURL,
			Fingerprint:  a.Fingerprint,
		})
	}
	msg.CommonLabels = common(msg.Alerts, func(a Alert) map[string]string { return a.Labels })
	msg.CommonAnnotations = common(msg.Alerts, func(a Alert) map[string]string { return a.Annotations })
	return msg
}

// promNames renames group labels the way PromLabels renames alert labels.
func promNames(m map[string]string) map[string]string {
	a := contract.Alert{Labels: map[string]string{}}
	for k, v := range m {
		switch k {
		case contract.AlertName:
			a.Name = v
		case contract.AlertSeverity:
			a.Severity = v
		default:
			a.Labels[k] = v
		}
	}
	out := channel.PromLabels(a)
	if a.Name == "" {
		delete(out, "alertname")
	}
	if a.Severity == "" {
		delete(out, "severity")
	}
	return out
}

func common(alerts []Alert, get func(Alert) map[string]string) map[string]string {
	out := map[string]string{}
	if len(alerts) == 0 {
		return out
	}
	for k, v := range get(alerts[0]) {
		out[k] = v
	}
	for _, a := range alerts[1:] {
		m := get(a)
		for k, v := range out {
			if m[k] != v {
				delete(out, k)
			}
		}
	}
	return out
}

// Notify posts n.
func (w *Notifier) Notify(ctx context.Context, n *channel.Notification) error {
	externalURL := w.cfg.ExternalURL
	if externalURL == "" {
		externalURL = n.ExternalURL
	}
	body, err := json.Marshal(Build(n, w.cfg.MaxAlerts, externalURL))
	if err != nil {
		return channel.Permanent(err)
	}
	hdr := http.Header{}
	for k, v := range w.cfg.Headers {
		hdr.Set(k, string(v))
	}
	_, err = w.sender.Send(ctx, httpdelivery.Request{URL: string(w.cfg.URL), ContentType: "application/json", Body: body, Header: hdr})
	return err
}
