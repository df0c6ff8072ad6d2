// Package alertmanager posts alerts to a Prometheus Alertmanager through its
// API v2 (POST /api/v2/alerts), for teams that already route there.
package alertmanager

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"go.opentelemetry.io/collector/config/configopaque"

	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/channel"
)

// Config of an Alertmanager channel.
type Config struct {
	// URL is Alertmanager's base address, e.g. http://alertmanager:9093.
	URL     configopaque.String            `mapstructure:"url"`
	Headers map[string]configopaque.String `mapstructure:"headers"`
}

// Validate checks the config.
func (c *Config) Validate() error {
	if c.URL == "" {
		return errors.New("alertmanager.url is required")
	}
	return nil
}

// PostableAlert is one element of the API v2 request body.
type PostableAlert struct {
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations,omitempty"`
	StartsAt     time.Time         `json:"startsAt,omitzero"`
	EndsAt       time.Time         `json:"endsAt,omitzero"`
	GeneratorURL string            `json:"generatorURL,omitempty"`
}

// Notifier posts to Alertmanager.
type Notifier struct {
	cfg    *Config
	client *http.Client
}

// New builds a notifier.
func New(cfg *Config, client *http.Client) *Notifier { return &Notifier{cfg: cfg, client: client} }

// Build renders the request body. Firing alerts carry no endsAt, so
// Alertmanager resolves them after its resolve_timeout unless re-sent:
// route them with a repeat_interval shorter than that.
func Build(n *channel.Notification) []PostableAlert {
	out := make([]PostableAlert, 0, len(n.Alerts))
	for _, a := range n.Alerts {
		pa := PostableAlert{
			Labels:       channel.PromLabels(a),
			Annotations:  channel.Annotations(a),
			StartsAt:     a.StartsAt.UTC(),
			GeneratorURL: a.GeneratorURL,
		}
		if !a.EndsAt.IsZero() {
			pa.EndsAt = a.EndsAt.UTC()
		}
		out = append(out, pa)
	}
	return out
}

// Notify posts n's alerts.
func (a *Notifier) Notify(ctx context.Context, n *channel.Notification) error {
	body, err := json.Marshal(Build(n))
	if err != nil {
		return channel.Permanent(err)
	}
	hdr := http.Header{}
	for k, v := range a.cfg.Headers {
		hdr.Set(k, string(v))
	}
	url := strings.TrimSuffix(string(a.cfg.URL), "/") + "/api/v2/alerts"
	_, err = channel.Do(ctx, a.client, channel.Request{URL: url, ContentType: "application/json", Body: body, Header: hdr})
	return err
}
