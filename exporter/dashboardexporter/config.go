package dashboardexporter

import (
	"errors"
	"fmt"
	"regexp"
	"time"

	// The distroless image has no zoneinfo; embed it so timezone always loads.
	_ "time/tzdata"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/config/configopaque"

	"github.com/otelcol-payments/otelcol-payments/internal/contract"
	"github.com/otelcol-payments/otelcol-payments/internal/httpguard"
	"github.com/otelcol-payments/otelcol-payments/internal/shutdownbound"
)

// Config of the dashboard exporter.
type Config struct {
	// ServerConfig is the HTTP server of the dashboard (endpoint, TLS, CORS...).
	confighttp.ServerConfig `mapstructure:",squash"`
	// BearerToken, when set, is required as "Authorization: Bearer <token>"
	// on the /api routes. The page itself and /healthz stay open: they hold
	// no business data.
	// It is required, at least 16 bytes, when the endpoint binds beyond
	// loopback.
	BearerToken configopaque.String `mapstructure:"bearer_token"`
	// AllowedHosts are the Host header names the dashboard answers (no port;
	// ".example.com" for a domain and its subdomains; "*" for any). The
	// default, the loopback names, refuses DNS-rebinding pages.
	AllowedHosts []string `mapstructure:"allowed_hosts"`
	// Timezone sets the day and month boundaries (IANA name, "UTC" or
	// "Local"). Use the same as the paymentbi connector.
	Timezone string `mapstructure:"timezone"`
	// ReportingCurrency is shown when the metrics do not carry
	// payment.reporting.currency (ISO 4217).
	ReportingCurrency string `mapstructure:"reporting_currency"`
	// Targets are used when paymentbi sends no revenue target gauges.
	Targets TargetsConfig `mapstructure:"targets"`
	// LatencyThresholds set the p95 limit per operation; the first rule whose
	// match (a regular expression on the span name) fits wins.
	LatencyThresholds []LatencyThreshold `mapstructure:"latency_thresholds"`
	// LatencyWindow is the recent window of percentiles and error rates.
	LatencyWindow time.Duration `mapstructure:"latency_window"`
	// SpanMetricsNamespace is the spanmetrics connector's namespace.
	SpanMetricsNamespace string `mapstructure:"span_metrics_namespace"`
	// LowStockThreshold lists items whose inventory.available is at or under it.
	LowStockThreshold float64 `mapstructure:"low_stock_threshold"`
	// RefreshInterval is how often the page polls for new data.
	RefreshInterval time.Duration `mapstructure:"refresh_interval"`
	// StaleAfter is how long without any input before the dashboard reports
	// that data is not flowing.
	StaleAfter time.Duration `mapstructure:"stale_after"`
	// MaxSeries bounds the stored series (about 12 KiB each for sums).
	MaxSeries int `mapstructure:"max_series"`
	// MaxAlerts bounds the firing alerts tracked.
	MaxAlerts int `mapstructure:"max_alerts"`
	// Storage is a storage extension (file_storage) that keeps the firing
	// alerts, their acknowledgements and the recently resolved ones across
	// restarts. Without it they are in memory only.
	Storage *component.ID `mapstructure:"storage"`
	// ShutdownTimeout bounds shutdown (open dashboard requests), counted
	// from the moment the collector began stopping our components.
	ShutdownTimeout time.Duration `mapstructure:"shutdown_timeout"`
	// Digest sends the executive summary as text once a day (digest.go).
	Digest DigestConfig `mapstructure:"digest"`
}

// TargetsConfig are revenue targets in major units of the reporting currency.
type TargetsConfig struct {
	Daily   float64 `mapstructure:"daily"`
	Monthly float64 `mapstructure:"monthly"`
}

// LatencyThreshold is the p95 limit of the operations a pattern matches.
type LatencyThreshold struct {
	Category  string        `mapstructure:"category"`
	Match     string        `mapstructure:"match"`
	Threshold time.Duration `mapstructure:"threshold"`
}

// maxLatencyWindow bounds the histogram buckets kept per series.
const maxLatencyWindow = time.Hour

// Validate checks the exporter's own fields; the embedded server config
// validates itself.
func (c *Config) Validate() error {
	var errs []error
	if c.NetAddr.Endpoint == "" {
		errs = append(errs, errors.New("endpoint: must be a host:port to serve the dashboard on"))
	}
	if err := httpguard.ValidateToken("bearer_token", c.NetAddr.Endpoint, string(c.BearerToken)); err != nil {
		errs = append(errs, err)
	}
	if err := httpguard.ValidateAllowedHosts("allowed_hosts", c.AllowedHosts); err != nil {
		errs = append(errs, err)
	}
	if _, err := time.LoadLocation(c.Timezone); err != nil || c.Timezone == "" {
		errs = append(errs, fmt.Errorf("timezone: %q is not an IANA time zone name, \"UTC\" or \"Local\"", c.Timezone))
	}
	if _, err := contract.NormalizeCurrency(c.ReportingCurrency); err != nil {
		errs = append(errs, fmt.Errorf("reporting_currency: %q is not an ISO 4217 code", c.ReportingCurrency))
	}
	if c.Targets.Daily < 0 || c.Targets.Monthly < 0 {
		errs = append(errs, errors.New("targets: daily and monthly must not be negative"))
	}
	for i, t := range c.LatencyThresholds {
		if t.Category == "" {
			errs = append(errs, fmt.Errorf("latency_thresholds[%d].category: must not be empty", i))
		}
		if _, err := regexp.Compile(t.Match); err != nil || t.Match == "" {
			errs = append(errs, fmt.Errorf("latency_thresholds[%d].match: %q is not a regular expression", i, t.Match))
		}
		if t.Threshold <= 0 {
			errs = append(errs, fmt.Errorf("latency_thresholds[%d].threshold: must be positive, got %s", i, t.Threshold))
		}
	}
	if c.LatencyWindow < time.Minute || c.LatencyWindow > maxLatencyWindow {
		errs = append(errs, fmt.Errorf("latency_window: must be within 1m and %s, got %s", maxLatencyWindow, c.LatencyWindow))
	}
	if c.SpanMetricsNamespace == "" {
		errs = append(errs, errors.New("span_metrics_namespace: must not be empty"))
	}
	if c.LowStockThreshold < 0 {
		errs = append(errs, fmt.Errorf("low_stock_threshold: must not be negative, got %g", c.LowStockThreshold))
	}
	if c.RefreshInterval < 500*time.Millisecond {
		errs = append(errs, fmt.Errorf("refresh_interval: must be at least 500ms, got %s", c.RefreshInterval))
	}
	if c.StaleAfter <= 0 {
		errs = append(errs, fmt.Errorf("stale_after: must be positive, got %s", c.StaleAfter))
	}
	if c.MaxSeries <= 0 {
		errs = append(errs, fmt.Errorf("max_series: must be positive, got %d", c.MaxSeries))
	}
	if c.MaxAlerts <= 0 {
		errs = append(errs, fmt.Errorf("max_alerts: must be positive, got %d", c.MaxAlerts))
	}
	if err := shutdownbound.ValidateTimeout(c.ShutdownTimeout); err != nil {
		errs = append(errs, err)
	}
	if err := c.Digest.validate(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}
