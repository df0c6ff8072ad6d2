package sentryexporter // import "github.com/otelcol-payments/otelcol-payments/exporter/sentryexporter"

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/getsentry/sentry-go"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/exporter/exporterhelper"

	"github.com/otelcol-payments/otelcol-payments/internal/shutdownbound"
)

// Config configures the Sentry exporter.
type Config struct {
	// DSN is the project DSN, {scheme}://{public_key}@{host}[/path]/{project_id}.
	// Typically ${env:SENTRY_DSN}. The public key is a credential: never logged.
	DSN configopaque.String `mapstructure:"dsn"`

	// Environment, when set, overrides deployment.environment.name of the
	// telemetry (useful when the applications do not set it).
	Environment string `mapstructure:"environment"`

	// Fingerprint lists what groups events into one Sentry issue. Each entry is
	// an attribute key looked up on the exception, the span or log record, then
	// the resource; "operation" (span name, or the log's event.name / scope
	// name) and "{{ default }}" (Sentry's own grouping) are special.
	Fingerprint []string `mapstructure:"fingerprint"`

	// MaxEventsPerBatch caps the error events one batch may produce; the rest
	// of the batch's events are dropped and counted, so an error storm cannot
	// burn the Sentry quota (one issue needs only a few events).
	MaxEventsPerBatch int `mapstructure:"max_events_per_batch"`

	// DedupWindow is how long a failure sent in one form (exception span
	// event, ERROR log with exception.*, error span of the same trace,
	// security.incident as span event or log) suppresses its other forms,
	// across the traces and logs pipelines. 0 turns de-duplication off.
	DedupWindow time.Duration `mapstructure:"dedup_window"`

	// Performance sends root and server spans as Sentry transactions.
	Performance PerformanceConfig `mapstructure:"performance"`

	// Client is the HTTP client towards Sentry: proxy_url, tls (ca_file for
	// a self-hosted Sentry behind a private CA), a per-request timeout,
	// headers, keepalive. The URL always comes from dsn, so client.endpoint
	// must stay empty.
	Client confighttp.ClientConfig `mapstructure:"client"`

	exporterhelper.TimeoutConfig `mapstructure:",squash"`
	QueueConfig                  configoptional.Optional[exporterhelper.QueueBatchConfig] `mapstructure:"sending_queue"`
	BackOffConfig                configretry.BackOffConfig                                `mapstructure:"retry_on_failure"`

	// ShutdownTimeout bounds shutdown, counted from the moment the
	// collector began stopping our components: requests still in flight
	// then are ended and stay in the persistent queue for the next start.
	ShutdownTimeout time.Duration `mapstructure:"shutdown_timeout"`
}

// PerformanceConfig configures transactions (Sentry performance monitoring).
type PerformanceConfig struct {
	// Enabled turns transactions on; off by default because transactions use
	// a separate, usually smaller, Sentry quota.
	Enabled bool `mapstructure:"enabled"`
	// SampleRate is the fraction of traces (by trace id, so a trace is kept
	// or dropped whole) sent as transactions, in [0, 1].
	SampleRate float64 `mapstructure:"sample_rate"`
}

// FingerprintDefault is Sentry's own grouping inside a custom fingerprint.
const FingerprintDefault = "{{ default }}"

// FingerprintOperation resolves to the span name, or for a log record its
// event.name, else its instrumentation scope name — except for an
// exception, where it is empty: a log record cannot know its span's name,
// and the span event and the log of one exception must group alike (the
// exception type and payment error type identify the bug).
const FingerprintOperation = "operation"

// Validate checks the exporter's own fields; the embedded helper configs
// validate themselves.
func (cfg *Config) Validate() error {
	var errs []error
	if err := shutdownbound.ValidateTimeout(cfg.ShutdownTimeout); err != nil {
		errs = append(errs, err)
	}
	if _, err := parseDSN(string(cfg.DSN)); err != nil {
		errs = append(errs, err)
	}
	if len(cfg.Fingerprint) == 0 {
		errs = append(errs, errors.New("fingerprint: must list at least one entry"))
	}
	for i, f := range cfg.Fingerprint {
		if strings.TrimSpace(f) == "" {
			errs = append(errs, fmt.Errorf("fingerprint[%d]: must not be empty", i))
		}
	}
	if env := cfg.Environment; env != "" && sentryName(env, maxEnvironment, restrictedEnvironment) != env {
		errs = append(errs, fmt.Errorf("environment: Sentry drops %q from events (at most %d bytes, no '/', line break or tab, no surrounding space, not %q, \".\" or \"..\")",
			env, maxEnvironment, restrictedEnvironment))
	}
	if cfg.DedupWindow < 0 {
		errs = append(errs, fmt.Errorf("dedup_window: must not be negative, got %s", cfg.DedupWindow))
	}
	if cfg.MaxEventsPerBatch <= 0 {
		errs = append(errs, fmt.Errorf("max_events_per_batch: must be positive, got %d", cfg.MaxEventsPerBatch))
	}
	if r := cfg.Performance.SampleRate; r < 0 || r > 1 || r != r {
		errs = append(errs, fmt.Errorf("performance.sample_rate: must be within [0, 1], got %v", r))
	}
	// Neither value is echoed: an endpoint may well be a pasted DSN, and a
	// proxy URL may carry proxy credentials.
	if cfg.Client.Endpoint != "" {
		errs = append(errs, errors.New("client.endpoint: must not be set; the Sentry URL comes from dsn"))
	}
	if p := cfg.Client.ProxyURL; p != "" {
		// The check ToClient makes, without its error that quotes the URL.
		if _, err := url.ParseRequestURI(p); err != nil {
			errs = append(errs, errors.New("client.proxy_url: not an absolute URL (expected http://host:port)"))
		}
	}
	return errors.Join(errs...)
}

// parseDSN parses a DSN with errors that name the field and never echo the
// value (it carries the project key).
func parseDSN(raw string) (*sentry.Dsn, error) {
	if strings.TrimSpace(raw) == "" {
		return nil, errors.New("dsn: is required (set it to ${env:SENTRY_DSN})")
	}
	dsn, err := sentry.NewDsn(raw)
	if err != nil {
		reason := "not a valid URL"
		var perr *sentry.DsnParseError
		// "invalid url" parse errors quote the whole URL: keep only our wording.
		if errors.As(err, &perr) && !strings.HasPrefix(perr.Message, "invalid url") {
			reason = perr.Message
		}
		return nil, fmt.Errorf("dsn: malformed (%s); expected {scheme}://{public_key}@{host}[/path]/{project_id}", reason)
	}
	return dsn, nil
}
