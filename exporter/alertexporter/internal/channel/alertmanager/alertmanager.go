// Package alertmanager posts alerts to a Prometheus Alertmanager through its
// API v2 (POST /api/v2/alerts), for teams that already route there.
package alertmanager

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/confmap"

	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/channel"
	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/clock"
	"github.com/otelcol-payments/otelcol-payments/internal/contract"
	"github.com/otelcol-payments/otelcol-payments/internal/httpdelivery"
)

// DefaultResendInterval matches Prometheus' --rules.alert.resend-delay.
const DefaultResendInterval = time.Minute

// endsAtResends is how many resend intervals a posted firing alert stays
// valid in Alertmanager, as Prometheus does: a few lost posts do not
// resolve it, a collector that stops does within minutes.
const endsAtResends = 4

// Config of an Alertmanager channel.
type Config struct {
	// URL is Alertmanager's base address, e.g. http://alertmanager:9093.
	URL     configopaque.String            `mapstructure:"url"`
	Headers map[string]configopaque.String `mapstructure:"headers"`
	// ResendInterval is how often a firing alert is posted again, whatever
	// the route's repeat_interval: Alertmanager resolves an alert once its
	// endsAt passes, so firing alerts are posted with endsAt = now +
	// 4 × ResendInterval and refreshed before that.
	ResendInterval time.Duration `mapstructure:"resend_interval"`
}

// Unmarshal applies the defaults before the user's values.
func (c *Config) Unmarshal(conf *confmap.Conf) error {
	c.ResendInterval = DefaultResendInterval
	return conf.Unmarshal(c)
}

// Validate checks the config.
func (c *Config) Validate() error {
	var errs []error
	if c.URL == "" {
		errs = append(errs, errors.New("alertmanager.url is required"))
	}
	if err := channel.ValidateURL("alertmanager.url", string(c.URL)); err != nil {
		errs = append(errs, err)
	}
	if c.ResendInterval <= 0 {
		errs = append(errs, fmt.Errorf("alertmanager.resend_interval must be positive (got %s)", c.ResendInterval))
	}
	return errors.Join(errs...)
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
	sender *httpdelivery.Sender
	clock  clock.Clock
	resend time.Duration
}

// New builds a notifier; clk stamps the endsAt of firing alerts.
func New(cfg *Config, client *http.Client, clk clock.Clock) *Notifier {
	resend := cfg.ResendInterval
	if resend <= 0 {
		resend = DefaultResendInterval
	}
	return &Notifier{cfg: cfg, sender: httpdelivery.NewSender(client), clock: clk, resend: resend}
}

// Build renders the request body. Firing alerts get firingEndsAt; resolved
// ones keep their real endsAt.
func Build(n *channel.Notification, firingEndsAt time.Time) []PostableAlert {
	out := make([]PostableAlert, 0, len(n.Alerts))
	for _, a := range n.Alerts {
		pa := PostableAlert{
			Labels:       channel.PromLabels(a),
			Annotations:  channel.Annotations(a),
			StartsAt:     a.StartsAt.UTC(),
			GeneratorURL: a.GeneratorURL,
		}
		if n.Acknowledged && a.Status == contract.AlertFiring {
			// API v2 alerts have no acknowledged state; the annotation
			// tells its receivers (templates, webhooks) without changing
			// the alert's identity.
			if pa.Annotations == nil {
				pa.Annotations = map[string]string{}
			}
			pa.Annotations["acknowledged"] = "true"
		}
		switch {
		case a.Status == contract.AlertFiring:
			pa.EndsAt = firingEndsAt.UTC()
		case !a.EndsAt.IsZero():
			pa.EndsAt = a.EndsAt.UTC()
		}
		out = append(out, pa)
	}
	return out
}

// Notify posts n's alerts. endsAt is stamped at each attempt, so a retried
// or redelivered (after a restart) post never carries a stale one.
func (a *Notifier) Notify(ctx context.Context, n *channel.Notification) error {
	body, err := json.Marshal(Build(n, a.clock.Now().Add(endsAtResends*a.resend)))
	if err != nil {
		return channel.Permanent(err)
	}
	hdr := http.Header{}
	for k, v := range a.cfg.Headers {
		hdr.Set(k, string(v))
	}
	url := strings.TrimSuffix(string(a.cfg.URL), "/") + "/api/v2/alerts"
	_, err = a.sender.Send(ctx, httpdelivery.Request{URL: url, ContentType: "application/json", Body: body, Header: hdr})
	return err
}
