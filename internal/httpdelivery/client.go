package httpdelivery

import (
	"errors"
	"net/url"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
)

// ValidateClientConfig checks a confighttp.ClientConfig kept under a
// `client:` key by a component whose URL comes from its own settings (a
// webhook URL, a DSN): client.endpoint must stay empty and client.proxy_url
// must be an absolute http, https or socks5 URL. Neither value is echoed: an endpoint may be a
// pasted secret URL and a proxy URL may carry credentials.
func ValidateClientConfig(cc *confighttp.ClientConfig) error {
	if cc.Endpoint != "" {
		return errors.New("client.endpoint: must not be set; the URL comes from the component's own settings")
	}
	if cc.ProxyURL != "" {
		// Stricter than ToClient, which takes "host:port" as a scheme and
		// fails only at the first request.
		u, err := url.Parse(cc.ProxyURL)
		if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https" && u.Scheme != "socks5") {
			return errors.New("client.proxy_url: not an absolute URL (expected http://host:port)")
		}
	}
	return nil
}

// NewQueuedClientConfig is confighttp's default client for an exporter
// that sends from exporterhelper's sending queue: one idle connection per
// queue consumer. With Go's default of two per host, the other consumers'
// connections were closed after each request and dialled again (a tenth
// of the gateway's CPU in issue 18's profile).
func NewQueuedClientConfig() confighttp.ClientConfig {
	client := confighttp.NewDefaultClientConfig()
	keepalive := confighttp.NewDefaultKeepaliveClientConfig()
	keepalive.MaxIdleConnsPerHost = exporterhelper.NewDefaultQueueConfig().NumConsumers
	client.Keepalive = configoptional.Some(keepalive)
	return client
}

// Uninstrumented is the telemetry to build a queued exporter's client with,
// so that confighttp does not wrap it in otelhttp (it does so only when
// both providers are set). GA4 sends one POST per ~3 business events and
// Sentry one per error; the wrapper cost a tenth of each POST's CPU and a
// third of its allocations (its body wrapper makes net/http write headers
// and body in two syscalls). Its metrics are dropped below telemetry level
// detailed anyway, and the requests are counted by outcome in
// otelcol_exporter_spend_requests and the exporters' own counters.
func Uninstrumented(set component.TelemetrySettings) component.TelemetrySettings {
	set.TracerProvider = nil
	return set
}
