package alertexporter

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"

	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/metadata"
	"github.com/otelcol-payments/otelcol-payments/internal/e2e"
)

func loadSub(t *testing.T, cm *confmap.Conf, key string) *Config {
	t.Helper()
	sub, err := cm.Sub(key)
	require.NoError(t, err)
	cfg := createDefaultConfig().(*Config)
	require.NoError(t, sub.Unmarshal(cfg))
	return cfg
}

func TestLoadConfig(t *testing.T) {
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)

	minimal := loadSub(t, cm, component.NewID(metadata.Type).String())
	require.NoError(t, confmap.Validate(minimal))
	assert.Equal(t, time.Second, minimal.TickInterval)
	assert.Equal(t, 10000, minimal.MaxAlerts)
	assert.True(t, minimal.QueueConfig.HasValue(), "the sending queue is on by default")
	require.Contains(t, minimal.Channels, "log")
	assert.NotNil(t, minimal.Channels["log"].Log, "log: {} selects the log channel")
	assert.Equal(t, 10*time.Second, minimal.Channels["log"].Timeout)
	assert.True(t, minimal.Channels["log"].RetryOnFailure.Enabled)
	assert.False(t, minimal.API.HasValue())

	full := loadSub(t, cm, component.NewIDWithName(metadata.Type, "full").String())
	require.NoError(t, confmap.Validate(full))
	assert.Equal(t, "file_storage/alerts", full.Storage.String())
	assert.Equal(t, 2*time.Second, full.TickInterval)
	assert.Equal(t, 500, full.MaxAlerts)
	slackRetry := full.Channels["ops_slack"].RetryOnFailure
	assert.Equal(t, 2*time.Second, slackRetry.InitialInterval)
	assert.True(t, slackRetry.Enabled, "a partial retry_on_failure keeps the other defaults")
	assert.Equal(t, 1.5, slackRetry.Multiplier)
	assert.Equal(t, 5*time.Second, full.Channels["oncall_pagerduty"].Timeout)
	assert.Equal(t, "https://hooks.slack.com/services/T000/B000/XXXX", string(full.Channels["ops_slack"].Slack.WebhookURL))
	slackClient := full.Channels["ops_slack"].Client
	assert.Equal(t, "http://proxy.internal:3128", slackClient.ProxyURL)
	assert.Equal(t, "/etc/ssl/company-ca.pem", slackClient.TLS.CAFile)
	team, ok := slackClient.Headers.Get("X-Team")
	assert.True(t, ok)
	assert.Equal(t, "payments", string(team))
	assert.True(t, full.Channels["ops_discord"].Client.Keepalive.HasValue(), "an absent client block keeps confighttp's defaults")
	assert.Equal(t, "warn", full.Channels["log"].Log.Level)
	require.NotNil(t, full.Route.GroupWait)
	assert.Equal(t, 10*time.Second, *full.Route.GroupWait)
	assert.Nil(t, full.Route.Routes[0].GroupWait, "unset timings inherit")
	assert.Len(t, full.EscalationPolicies["payments"].Levels, 2)
	assert.Equal(t, 10*time.Minute, full.EscalationPolicies["payments"].Levels[0].Delay)
	require.True(t, full.API.HasValue())
	assert.Equal(t, "127.0.0.1:9094", full.API.Get().NetAddr.Endpoint)

	b, err := full.build()
	require.NoError(t, err)
	assert.Equal(t, "pagerduty", b.channels["oncall_pagerduty"])
	assert.Len(t, b.engine.Silences, 1)
	assert.Len(t, b.engine.Inhibit, 1)
	assert.True(t, b.engine.Route.Routes[1].GroupByAll)
	assert.Equal(t, map[string]time.Duration{"am": time.Minute}, b.engine.Resend, "only alertmanager channels resend, every minute by default")
}

func TestConfigValidateErrors(t *testing.T) {
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)
	tests := []struct {
		name   string
		mutate func(*Config)
		want   string
	}{
		{"no channels", func(c *Config) { c.Channels = nil }, "channels: at least one channel"},
		{"two channel types", func(c *Config) { c.Channels["log"].Slack = c.Channels["ops_slack"].Slack }, "channels.log: exactly one of"},
		{"unknown channel in receiver", func(c *Config) { c.Receivers["ops"].Channels = []string{"nope"} }, `receivers.ops.channels: unknown channel "nope"`},
		{"unknown policy", func(c *Config) { c.Receivers["ops"].EscalationPolicy = "nope" }, `unknown policy "nope"`},
		{"unknown receiver in route", func(c *Config) { c.Route.Routes[0].Receiver = "nope" }, `route.routes[0].receiver: unknown receiver "nope"`},
		{"bad matcher", func(c *Config) { c.Route.Routes[0].Matchers = []string{"severity"} }, "route.routes[0].matchers: invalid matcher"},
		{"bad regexp", func(c *Config) { c.Route.Routes[0].Matchers = []string{`a=~"("`} }, "invalid matcher"},
		{"unknown time interval", func(c *Config) { c.Route.Routes[0].MuteTimeIntervals = []string{"nope"} }, `unknown time interval "nope"`},
		{"bad location", func(c *Config) { c.TimeIntervals["maintenance"][0].Location = "Mars/Base" }, "time_intervals.maintenance[0].location"},
		{"bad clock", func(c *Config) { c.TimeIntervals["maintenance"][0].Times[0].EndTime = "25:00" }, "end_time"},
		{"escalation without levels", func(c *Config) { c.EscalationPolicies["payments"].Levels = nil }, "escalation_policies.payments.levels"},
		{"escalation bad severity", func(c *Config) { c.EscalationPolicies["payments"].Severities = []string{"urgent"} }, `unknown severity "urgent"`},
		{"escalation zero delay", func(c *Config) { c.EscalationPolicies["payments"].Levels[0].Delay = 0 }, "levels[0].delay: must be positive"},
		{"silence without end", func(c *Config) { c.Silences[0].EndsAt = time.Time{} }, "silences[0]: silence needs ends_at"},
		{"inhibit without target", func(c *Config) { c.InhibitRules[0].TargetMatchers = nil }, "inhibit_rules[0]"},
		{"tick interval", func(c *Config) { c.TickInterval = 0 }, "tick_interval must be positive"},
		{"shutdown timeout", func(c *Config) { c.ShutdownTimeout = 0 }, "shutdown_timeout: must be positive"},
		{"slack without url", func(c *Config) { c.Channels["ops_slack"].Slack.WebhookURL = "" }, "slack.webhook_url is required"},
		{"pagerduty without key", func(c *Config) { c.Channels["oncall_pagerduty"].PagerDuty.RoutingKey = "" }, "pagerduty.routing_key is required"},
		{"email bad recipient", func(c *Config) { c.Channels["ops_email"].Email.To = "not-an-address" }, "email.to"},
		{"sms bad number", func(c *Config) { c.Channels["oncall_sms"].SMS.To = "12345" }, "E.164"},
		{"slack bad template", func(c *Config) { c.Channels["ops_slack"].Slack.Text = "{{ .Nope" }, "slack.text"},
		{"slack template on a missing field", func(c *Config) { c.Channels["ops_slack"].Slack.Text = "{{ .Nope }}" }, "slack.text: fails on a sample notification"},
		{"api short token", func(c *Config) { c.API.Get().BearerToken = "short" }, "api.bearer_token"},
		{"alertmanager zero resend", func(c *Config) { c.Channels["am"].Alertmanager.ResendInterval = 0 }, "alertmanager.resend_interval must be positive"},
		{"negative group_wait", func(c *Config) { d := -time.Second; c.Route.GroupWait = &d }, "route.group_wait: must not be negative"},
		{"slack url not a url", func(c *Config) { c.Channels["ops_slack"].Slack.WebhookURL = "not a url" }, "slack.webhook_url: must be an absolute http:// or https:// URL"},
		{"slack url without scheme", func(c *Config) { c.Channels["ops_slack"].Slack.WebhookURL = "hooks.slack.com/services/T/B/x" }, "slack.webhook_url: must be an absolute"},
		{"alertmanager url not http", func(c *Config) { c.Channels["am"].Alertmanager.URL = "ftp://am:9093" }, "alertmanager.url: must be an absolute"},
		{"pagerduty url relative", func(c *Config) { c.Channels["oncall_pagerduty"].PagerDuty.URL = "/v2/enqueue" }, "pagerduty.url: must be an absolute"},
		{"external url not a url", func(c *Config) { c.ExternalURL = "alerts.example.com" }, "external_url: must be an absolute"},
		{"client endpoint", func(c *Config) { c.Channels["ops_slack"].Client.Endpoint = "https://example.com" }, "channels.ops_slack.client.endpoint: must not be set"},
		{"client proxy not a url", func(c *Config) { c.Channels["ops_slack"].Client.ProxyURL = "proxy:3128" }, "channels.ops_slack.client.proxy_url"},
		{"client on email", func(c *Config) { c.Channels["ops_email"].Client.ProxyURL = "http://proxy:3128" }, "channels.ops_email.client: not used by email channels"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := loadSub(t, cm, component.NewIDWithName(metadata.Type, "full").String())
			tt.mutate(cfg)
			err := confmap.Validate(cfg)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func resolveProfile(t *testing.T, file string) *confmap.Conf {
	t.Helper()
	return e2e.ResolveFiles(t, filepath.Join("testdata", file))
}

func TestDefaultProfileLoads(t *testing.T) {
	cfg := loadSub(t, resolveProfile(t, "otelcol-default.yaml"), "exporters::alert")
	require.NoError(t, confmap.Validate(cfg))
	b, err := cfg.build()
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"log": "log"}, b.channels, "the default profile needs no secrets")
}

func TestProductionProfileLoads(t *testing.T) {
	env := map[string]string{
		"SLACK_WEBHOOK_URL":         "https://hooks.slack.com/services/T1/B1/abc",
		"PAGERDUTY_INTEGRATION_KEY": "0123456789abcdef0123456789abcdef",
		"ALERT_EMAIL_RECIPIENTS":    "ops@example.com,payments-oncall@example.com",
		"EXEC_EMAIL_RECIPIENTS":     "cto@example.com",
		"ALERT_EMAIL_FROM":          "alerts@example.com",
		"SMTP_HOST":                 "smtp.example.com",
		"SMTP_USERNAME":             "alerts",
		"SMTP_PASSWORD":             "pw",
		"TWILIO_ACCOUNT_SID":        "AC0123",
		"TWILIO_AUTH_TOKEN":         "tok",
		"TWILIO_FROM_NUMBER":        "+15005550006",
		"ONCALL_SMS_RECIPIENTS":     "+4915112345678,+4915187654321",
		"ALERT_API_TOKEN":           "a-long-enough-api-token",
	}
	for k, v := range env {
		t.Setenv(k, v)
	}
	cfg := loadSub(t, resolveProfile(t, "otelcol-production.yaml"), "exporters::alert")
	require.NoError(t, confmap.Validate(cfg))
	assert.Equal(t, env["SLACK_WEBHOOK_URL"], string(cfg.Channels["ops_slack"].Slack.WebhookURL))
	assert.Equal(t, env["PAGERDUTY_INTEGRATION_KEY"], string(cfg.Channels["oncall_pagerduty"].PagerDuty.RoutingKey))
	assert.Equal(t, env["ALERT_EMAIL_RECIPIENTS"], cfg.Channels["ops_email"].Email.To)
	assert.Equal(t, "localhost:9094", cfg.API.Get().NetAddr.Endpoint)

	t.Setenv("SLACK_WEBHOOK_URL", "")
	cfg = loadSub(t, resolveProfile(t, "otelcol-production.yaml"), "exporters::alert")
	err := confmap.Validate(cfg)
	require.Error(t, err, "a missing secret fails validation at startup")
	assert.Contains(t, err.Error(), "slack.webhook_url is required")
}
