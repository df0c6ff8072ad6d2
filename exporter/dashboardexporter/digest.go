package dashboardexporter

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"time"

	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.uber.org/zap"

	"github.com/otelcol-payments/otelcol-payments/exporter/dashboardexporter/internal/view"
	"github.com/otelcol-payments/otelcol-payments/internal/channelhealth"
)

// DigestConfig schedules the executive summary as a daily text message.
type DigestConfig struct {
	// URL is a Slack incoming webhook, or any endpoint that takes Slack's
	// {"text": "..."} JSON (Mattermost, Rocket.Chat, a relay). Empty turns
	// the digest off. It holds a secret and is never logged.
	URL configopaque.String `mapstructure:"url"`
	// At is the local time of day (HH:MM in timezone) the digest leaves.
	// A digest missed while the collector was down is not sent late.
	At string `mapstructure:"at"`
	// Client is the HTTP client (timeout, proxy_url, tls, headers); its
	// endpoint is unused.
	Client confighttp.ClientConfig `mapstructure:"client"`
}

func (c *DigestConfig) validate() error {
	if c.URL == "" {
		return nil
	}
	var errs []error
	if u, err := url.Parse(string(c.URL)); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, errors.New("digest.url: must be an http(s) URL"))
	}
	if _, err := time.Parse("15:04", c.At); err != nil {
		errs = append(errs, fmt.Errorf("digest.at: %q is not a time of day HH:MM", c.At))
	}
	return errors.Join(errs...)
}

// digestTick is how often the scheduler checks whether the digest is due.
const digestTick = 30 * time.Second

// digester sends the daily digest. tick is driven by a ticker in the
// collector and by hand in tests, with the dashboard's clock.
type digester struct {
	url     string
	hour    int
	minute  int
	loc     *time.Location
	client  *http.Client
	summary func() view.Summary
	now     func() time.Time
	logger  *zap.Logger

	// health, when set, receives each attempt as component's "digest".
	health    *channelhealth.Registry
	component string

	mu sync.Mutex
	// sentDay is the local date (2006-01-02) of the last digest sent, or
	// skipped because the collector started after that day's time.
	sentDay string
	failing bool
}

func newDigester(cfg DigestConfig, loc *time.Location, client *http.Client, summary func() view.Summary, now func() time.Time, logger *zap.Logger) *digester {
	at, _ := time.Parse("15:04", cfg.At) // validated
	g := &digester{
		url: string(cfg.URL), hour: at.Hour(), minute: at.Minute(), loc: loc, client: client,
		summary: summary, now: now, logger: logger,
	}
	if local := now().In(loc); !local.Before(g.scheduled(local)) {
		g.sentDay = local.Format(time.DateOnly) // today's is past: the next one is tomorrow's
	}
	return g
}

func (g *digester) scheduled(local time.Time) time.Time {
	y, m, d := local.Date()
	return time.Date(y, m, d, g.hour, g.minute, 0, 0, g.loc)
}

// tick sends the digest when its time of day has come and today's has not
// been sent; a failure is retried on the next tick, and the first failure
// is logged at warn at once.
func (g *digester) tick(ctx context.Context) {
	g.mu.Lock()
	defer g.mu.Unlock()
	local := g.now().In(g.loc)
	day := local.Format(time.DateOnly)
	if day == g.sentDay || local.Before(g.scheduled(local)) {
		return
	}
	status, err := g.post(ctx, view.DigestText(g.summary(), g.loc))
	if g.health != nil {
		g.health.Report(g.component, "digest", err, status, g.now())
	}
	if err != nil {
		if !g.failing {
			g.logger.Warn("daily digest not delivered; retrying every 30s today",
				zap.String("channel", "digest"), zap.Int("status", status), zap.Error(err),
				zap.String("hint", channelhealth.Hint(err, status)))
		}
		g.failing = true
		return
	}
	if g.failing {
		g.logger.Info("daily digest delivered after earlier failures", zap.String("channel", "digest"))
	}
	g.failing, g.sentDay = false, day
}

func (g *digester) post(ctx context.Context, text string) (int, error) {
	body, err := json.Marshal(map[string]string{"text": text})
	if err != nil {
		return 0, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, g.url, bytes.NewReader(body))
	if err != nil {
		return 0, errors.New("bad digest URL")
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := g.client.Do(req)
	if err != nil {
		// The error quotes the URL, which holds the webhook's secret.
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		return 0, err
	}
	defer func() { _ = resp.Body.Close() }()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 != 2 {
		return resp.StatusCode, fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	return resp.StatusCode, nil
}

// run ticks until ctx ends.
func (g *digester) run(ctx context.Context) {
	t := time.NewTicker(digestTick)
	defer t.Stop()
	g.tick(ctx)
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			g.tick(ctx)
		}
	}
}
