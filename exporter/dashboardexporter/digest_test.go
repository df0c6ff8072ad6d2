package dashboardexporter

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/otelcol-payments/otelcol-payments/exporter/dashboardexporter/internal/fixture"
	"github.com/otelcol-payments/otelcol-payments/internal/channelhealth"
)

// slackHook is a local Slack incoming webhook: it checks the documented
// wire format (POST, JSON {"text"}) and answers with the queued statuses
// (then 200 "ok").
type slackHook struct {
	mu       sync.Mutex
	texts    []string
	statuses []int
}

func (h *slackHook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	defer h.mu.Unlock()
	body, _ := io.ReadAll(r.Body)
	var msg struct {
		Text string `json:"text"`
	}
	if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" || json.Unmarshal(body, &msg) != nil || msg.Text == "" {
		http.Error(w, "invalid_payload", http.StatusBadRequest)
		return
	}
	if len(h.statuses) > 0 {
		status := h.statuses[0]
		h.statuses = h.statuses[1:]
		w.WriteHeader(status)
		return
	}
	h.texts = append(h.texts, msg.Text)
	_, _ = io.WriteString(w, "ok")
}

func (h *slackHook) received() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.texts...)
}

// The daily digest reaches the channel at the configured time of day in
// the business time zone, once a day; a failed delivery is logged at warn
// at its first failure and retried on the next tick.
func TestDailyDigestReachesTheChannel(t *testing.T) {
	hook := &slackHook{statuses: []int{http.StatusInternalServerError}}
	srv := httptest.NewServer(hook)
	defer srv.Close()

	denver, err := time.LoadLocation("America/Denver")
	require.NoError(t, err)
	now := time.Date(2026, 11, 28, 17, 0, 0, 0, denver)
	cfg := createDefaultConfig().(*Config)
	cfg.Timezone = "America/Denver"
	cfg.Digest.URL = configopaque.String(srv.URL + "/services/T000/B000/secret")
	cfg.Digest.At = "18:00"
	require.NoError(t, cfg.Validate())
	core, logs := observer.New(zap.InfoLevel)
	set := componenttest.NewNopTelemetrySettings()
	set.Logger = zap.New(core)
	clock := func() time.Time { return now }
	d, err := newDashboard(cfg, set, clock)
	require.NoError(t, err)
	require.NoError(t, d.consumeMetrics(context.Background(), fixture.Default().Metrics(now.Add(-time.Hour), now)))

	client, err := cfg.Digest.Client.ToClient(context.Background(), nil, set)
	require.NoError(t, err)
	g := newDigester(cfg.Digest, d.store.Location(), client, d.summary, clock, set.Logger)
	var reg channelhealth.Registry
	g.health, g.component = &reg, "dashboard"
	at := func(local string) {
		var err error
		now, err = time.ParseInLocation("2006-01-02 15:04", local, denver)
		require.NoError(t, err)
		g.tick(context.Background())
	}

	at("2026-11-28 17:59")
	assert.Empty(t, hook.received(), "not before 18:00")
	at("2026-11-28 18:00")
	assert.Empty(t, hook.received(), "the first attempt got a 500")
	warns := logs.FilterMessage("daily digest not delivered; retrying every 30s today").All()
	require.Len(t, warns, 1, "the first failure is logged at once")
	assert.Equal(t, zap.WarnLevel, warns[0].Level)
	fields := warns[0].ContextMap()
	assert.Equal(t, "digest", fields["channel"])
	assert.EqualValues(t, 500, fields["status"])
	assert.Contains(t, fields["hint"], "destination service is failing")
	require.Len(t, reg.Snapshot(), 1)
	assert.Equal(t, channelhealth.StatusFailing, reg.Snapshot()[0].Status, "the digest's health shows the failure")
	for _, e := range logs.All() {
		assert.NotContains(t, fmt.Sprint(e.Message, e.ContextMap()), "secret", "the webhook URL is a secret")
	}

	at("2026-11-28 18:00")
	require.Len(t, hook.received(), 1, "retried on the next tick")
	text := hook.received()[0]
	assert.Contains(t, text, "*Payments digest* Sat 28 Nov 2026 18:00 -07:00 (America/Denver)")
	assert.Contains(t, text, "*Revenue today:* 1,734.50 USD")
	assert.Contains(t, text, "*Funnel:*")
	assert.Equal(t, 1, logs.FilterMessage("daily digest delivered after earlier failures").Len())
	assert.Equal(t, channelhealth.StatusOK, reg.Snapshot()[0].Status)

	at("2026-11-28 23:59")
	assert.Len(t, hook.received(), 1, "once a day")
	at("2026-11-29 17:59")
	assert.Len(t, hook.received(), 1)
	at("2026-11-29 18:01")
	assert.Len(t, hook.received(), 2, "the next day's")
}

// A collector that starts after the day's digest time does not send a late
// digest (a restart would otherwise repeat the one sent earlier that day).
func TestDigestNotSentLateAfterStart(t *testing.T) {
	hook := &slackHook{}
	srv := httptest.NewServer(hook)
	defer srv.Close()
	now := time.Date(2026, 11, 28, 19, 0, 0, 0, time.UTC)
	cfg := createDefaultConfig().(*Config)
	cfg.Timezone = "UTC"
	cfg.Digest.URL = configopaque.String(srv.URL)
	set := componenttest.NewNopTelemetrySettings()
	clock := func() time.Time { return now }
	d, err := newDashboard(cfg, set, clock)
	require.NoError(t, err)
	g := newDigester(cfg.Digest, time.UTC, srv.Client(), d.summary, clock, set.Logger)
	g.tick(context.Background())
	assert.Empty(t, hook.received())
	now = now.Add(23 * time.Hour)
	g.tick(context.Background())
	assert.Len(t, hook.received(), 1)
}

func TestDigestConfigIsValidated(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	cfg.Digest.URL = "https://hooks.slack.com/services/T/B/x"
	cfg.Digest.At = "6pm"
	require.ErrorContains(t, cfg.Validate(), `digest.at: "6pm" is not a time of day HH:MM`)
	cfg.Digest.At = "18:00"
	cfg.Digest.URL = "hooks.slack.com/services"
	require.ErrorContains(t, cfg.Validate(), "digest.url: must be an http(s) URL")
	cfg.Digest.URL = ""
	cfg.Digest.At = "nonsense"
	assert.NoError(t, cfg.Validate(), "off without a URL")
}
