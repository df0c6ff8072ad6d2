package alertexporter

import (
	"net/http"

	"github.com/otelcol-payments/otelcol-payments/internal/spend"
)

// meterSpend counts what the channel's destination accepts (one
// notification per request, its body bytes) in the monitoring spend
// figures, keyed by channel kind and the request's host: never the webhook
// path, which holds its token.
// client comes from confighttp's ToClient, which always sets its
// transport.
func (e *alertExporter) meterSpend(client *http.Client, c *ChannelConfig) {
	client.Transport = &spend.Transport{Registry: spend.Default, Exporter: e.set.ID.String(), Kind: channelKind(c), Next: client.Transport}
}

func channelKind(c *ChannelConfig) string {
	switch {
	case c.Slack != nil:
		return "slack"
	case c.Discord != nil:
		return "discord"
	case c.PagerDuty != nil:
		return "pagerduty"
	case c.SMS != nil:
		return "sms"
	case c.Webhook != nil:
		return "webhook"
	case c.Alertmanager != nil:
		return "alertmanager"
	}
	return "http"
}

// reportSpend reports the exporter's spend meters as its telemetry
// (otelcol_exporter_spend_*), until shutdown.
func (e *alertExporter) reportSpend() error {
	reg, err := spend.Default.ObserveExporter(e.set.MeterProvider, e.set.ID.String())
	if err != nil {
		return err
	}
	e.spendReport = reg
	return nil
}

func (e *alertExporter) stopSpendReport() {
	if e.spendReport != nil {
		_ = e.spendReport.Unregister()
		e.spendReport = nil
	}
}
