package alertexporter

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/config/configopaque"

	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/channel/channeltest"
	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/channel/webhook"
	"github.com/otelcol-payments/otelcol-payments/exporter/alertexporter/internal/clock"
	"github.com/otelcol-payments/otelcol-payments/internal/contract"
)

// The demo overlay's escalation tells its part of `make demo`: a critical
// alert reaches the log at once, the "on-call" channel 30 s later and the
// "manager" 30 s after that while nobody acknowledges it, and its resolve
// follows within the 30 s group interval. The overlay's log channels are
// swapped for local webhooks to observe who is told what, when.
func TestDemoEscalationAndResolve(t *testing.T) {
	cfg := shippedAlertConfig(t, nil, "otelcol.yaml", "overlays/demo.yaml")
	cfg.TickInterval = time.Hour // the test ticks by hand
	cfg.Storage = nil            // the profile's file_storage: not this story
	servers := map[string]*channeltest.Server{}
	for _, name := range []string{"log", "oncall", "manager"} {
		require.Contains(t, cfg.Channels, name)
		servers[name] = channeltest.NewServer(t, channeltest.Response{Status: 200})
		ch := newDefaultChannelConfig()
		ch.Webhook = &webhook.Config{URL: configopaque.String(servers[name].URL)}
		cfg.Channels[name] = &ch
	}
	r := startExporter(t, cfg, clock.NewFake(t0), nil)
	defer func() { assert.NoError(t, r.e.shutdown(context.Background())) }()

	outage := contract.Alert{
		Name: "payment_failure_rate", Status: contract.AlertFiring, Severity: contract.SeverityCritical,
		Labels:  map[string]string{"service.name": "payment-service", "payment.provider": "stripe"},
		Summary: "provider failures at 45 % of payment attempts", StartsAt: t0, Value: 0.45, Threshold: 0.1,
	}
	require.NoError(t, r.e.push(context.Background(), alertLogs(outage)))
	told := func() map[string][]string {
		out := map[string][]string{}
		for name, srv := range servers {
			out[name] = webhookAlerts(t, srv)
		}
		return out
	}
	r.at(time.Second)
	assert.Equal(t, map[string][]string{"log": {"firing:payment_failure_rate"}, "oncall": nil, "manager": nil}, told(), "level 1 at once")
	r.at(31 * time.Second)
	assert.Equal(t, []string{"firing:payment_failure_rate"}, told()["oncall"], "level 2 after 30 s")
	assert.Empty(t, told()["manager"])
	r.at(61 * time.Second)
	assert.Equal(t, []string{"firing:payment_failure_rate"}, told()["manager"], "level 3 after another 30 s")

	resolved := outage
	resolved.Status, resolved.EndsAt = contract.AlertResolved, t0.Add(70*time.Second)
	r.at(70 * time.Second)
	require.NoError(t, r.e.push(context.Background(), alertLogs(resolved)))
	r.at(101 * time.Second)
	assert.Equal(t, []string{"firing:payment_failure_rate", "resolved:payment_failure_rate"}, told()["log"], "resolved within the group interval")
}
