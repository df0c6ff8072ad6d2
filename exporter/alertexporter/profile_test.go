package alertexporter

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/confmap"

	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/route"
	"github.com/otelcol-payments/otelcol-payments/internal/contract"
	"github.com/otelcol-payments/otelcol-payments/internal/e2e"
)

// shippedAlertConfig resolves the alert exporter of config/<files> with
// config/validate.env's dummy values (as `make validate` does) plus env.
func shippedAlertConfig(t *testing.T, env map[string]string, files ...string) *Config {
	t.Helper()
	e2e.SetEnvFile(t, filepath.Join("..", "..", "config", "validate.env"))
	for k, v := range env {
		t.Setenv(k, v)
	}
	var paths []string
	for _, file := range files {
		paths = append(paths, filepath.Join("..", "..", "config", file))
	}
	cm := e2e.ResolveFiles(t, paths...)
	cfg := loadSub(t, cm, "exporters::alert")
	require.NoError(t, confmap.Validate(cfg))
	return cfg
}

// criticalRoute returns the route a critical payment alert of service svc
// takes.
func criticalRoute(t *testing.T, cfg *Config) *route.Route {
	t.Helper()
	b, err := cfg.build()
	require.NoError(t, err)
	a := contract.Alert{Name: "payment_failure_rate", Severity: contract.SeverityCritical, Labels: map[string]string{"service.name": "checkout"}}
	matched := b.engine.Route.Match(route.LabelSet(a))
	require.Len(t, matched, 1)
	return matched[0]
}

// What the docs promise of every shipped profile: critical alerts leave
// without group_wait, and the inhibit rule can match (a payment outage
// mutes the latency alerts of the same service, not of another).
func TestShippedProfilesPageAtOnceAndInhibit(t *testing.T) {
	for _, files := range [][]string{
		{"otelcol.yaml"},
		{"gateway.yaml"},
		{"gateway.yaml", "overlays/production.yaml"},
		{"gateway.yaml", "overlays/staging.yaml"},
		{"gateway.yaml", "overlays/development.yaml"},
	} {
		t.Run(strings.Join(files, "+"), func(t *testing.T) {
			cfg := shippedAlertConfig(t, nil, files...)
			assert.Zero(t, criticalRoute(t, cfg).GroupWait, "critical route group_wait")
			// A new critical alert in a group that just emptied waits for the
			// group_interval: a short one keeps that wait small.
			assert.Equal(t, time.Minute, criticalRoute(t, cfg).GroupInterval, "critical route group_interval")
			assert.Equal(t, 5*time.Minute, cfg.FlapWindow)

			b, err := cfg.build()
			require.NoError(t, err)
			outage := route.Candidate{Fingerprint: "src", Labels: route.LabelSet(contract.Alert{
				Name: "payment_failure_rate", Severity: contract.SeverityCritical,
				Labels: map[string]string{"service.name": "checkout", "payment.provider": "stripe"},
			})}
			slow := func(svc string) map[string]string {
				return route.LabelSet(contract.Alert{
					Name: "api_response_time", Severity: contract.SeverityWarning,
					Labels: map[string]string{"service.name": svc, "http.route": "/cart"},
				})
			}
			assert.True(t, route.Inhibited(b.engine.Inhibit, "tgt", slow("checkout"), []route.Candidate{outage}))
			assert.False(t, route.Inhibited(b.engine.Inhibit, "tgt", slow("search"), []route.Candidate{outage}))
		})
	}
}

// The gateway's paging policy holds incidents open longer than its chain,
// and its Discord and webhook channels are there, disabled until their URL
// is set.
func TestGatewayIncidentsAndOptionalChannels(t *testing.T) {
	for _, files := range [][]string{{"gateway.yaml"}, {"gateway.yaml", "overlays/production.yaml"}} {
		cfg := shippedAlertConfig(t, map[string]string{"DISCORD_WEBHOOK_URL": "", "ALERT_WEBHOOK_URL": ""}, files...)
		r := criticalRoute(t, cfg)
		b, err := cfg.build()
		require.NoError(t, err)
		rcv := b.engine.Receivers[r.Receiver]
		require.NotNil(t, rcv.Policy)
		var chain time.Duration
		for _, l := range rcv.Policy.Levels {
			chain += l.Delay
		}
		assert.Greater(t, rcv.Policy.AutoResolveAfter, chain)
		assert.True(t, b.disabled["ops_discord"])
		assert.True(t, b.disabled["ops_webhook"])
		assert.NotContains(t, rcv.Channels, "ops_discord")
	}

	cfg := shippedAlertConfig(t, map[string]string{
		"DISCORD_WEBHOOK_URL": "https://discord.com/api/webhooks/1/abc", "ALERT_WEBHOOK_URL": "https://hooks.example.com/alerts",
	}, "gateway.yaml")
	b, err := cfg.build()
	require.NoError(t, err)
	assert.Empty(t, b.disabled)
	assert.Contains(t, b.engine.Receivers["payments_ops"].Channels, "ops_discord")
	assert.Contains(t, b.engine.Receivers["payments_ops"].Channels, "ops_webhook")
	assert.Equal(t, "discord", b.channels["ops_discord"])
}

// Without optional, an empty destination is still refused.
func TestOptionalChannelOnlyWhenAsked(t *testing.T) {
	conf := confmap.NewFromStringMap(map[string]any{"webhook": map[string]any{"url": ""}})
	var strict ChannelConfig
	require.NoError(t, strict.Unmarshal(conf))
	require.ErrorContains(t, confmap.Validate(&strict), "webhook.url is required")

	conf = confmap.NewFromStringMap(map[string]any{"optional": true, "webhook": map[string]any{"url": ""}})
	var optional ChannelConfig
	require.NoError(t, optional.Unmarshal(conf))
	require.NoError(t, confmap.Validate(&optional))
	assert.True(t, optional.disabled)
}
