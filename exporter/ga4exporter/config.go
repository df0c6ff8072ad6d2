package ga4exporter

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/exporter/exporterhelper"

	"github.com/otelcol-payments/otelcol-payments/exporter/ga4exporter/internal/mapping"
	"github.com/otelcol-payments/otelcol-payments/exporter/ga4exporter/internal/mp"
	"github.com/otelcol-payments/otelcol-payments/internal/contract"
	"github.com/otelcol-payments/otelcol-payments/internal/shutdownbound"
)

// Regions.
const (
	RegionGlobal = "global"
	RegionEU     = "eu"
)

// Base URLs of the Measurement Protocol endpoints.
const (
	GlobalBaseURL = "https://www.google-analytics.com"
	EUBaseURL     = "https://region1.google-analytics.com"
)

// Config is the ga4 exporter configuration.
type Config struct {
	// ClientConfig's endpoint, when set, replaces the regional base URL
	// (scheme and host, e.g. a local test server); the exporter appends
	// /mp/collect or /debug/mp/collect.
	ClientConfig confighttp.ClientConfig                                  `mapstructure:",squash"`
	QueueConfig  configoptional.Optional[exporterhelper.QueueBatchConfig] `mapstructure:"sending_queue"`
	RetryConfig  configretry.BackOffConfig                                `mapstructure:"retry_on_failure"`

	// MeasurementID is the web data stream's id, G-XXXXXXX.
	MeasurementID string `mapstructure:"measurement_id"`
	// APISecret is a Measurement Protocol API secret of that stream.
	APISecret configopaque.String `mapstructure:"api_secret"`
	// Region selects the global endpoint or the EU one (region1).
	Region string `mapstructure:"region"`
	// ValidationMode sends to the validation server (/debug/mp/collect),
	// which records nothing, and logs each validation message.
	ValidationMode bool `mapstructure:"validation_mode"`
	// Events maps event.name values to GA4 event names. Entries merge with
	// the default table; an empty GA4 name stops sending that event.
	Events map[string]string `mapstructure:"events"`
	// ExtraParams maps attribute keys to GA4 parameter names added to every
	// mapped event that carries the attribute.
	ExtraParams map[string]string `mapstructure:"extra_params"`
	// Consent is sent when an event carries no ga.consent.* attributes.
	Consent ConsentConfig `mapstructure:"consent"`
	// MaxEventAge drops events older than this at send time (GA4 accepts
	// at most 72h back).
	MaxEventAge time.Duration `mapstructure:"max_event_age"`
	// Dedup keeps a purchase (transaction_id) from being sent twice.
	Dedup DedupConfig `mapstructure:"dedup"`
	// ShutdownTimeout bounds shutdown, counted from the moment the
	// collector began stopping our components: requests still in flight
	// then are ended and stay in the persistent queue for the next start.
	ShutdownTimeout time.Duration `mapstructure:"shutdown_timeout"`
}

// ConsentConfig holds default consent values: GRANTED, DENIED or empty (not sent).
type ConsentConfig struct {
	AdUserData        string `mapstructure:"ad_user_data"`
	AdPersonalization string `mapstructure:"ad_personalization"`
}

// DedupConfig configures purchase deduplication.
type DedupConfig struct {
	Enabled bool `mapstructure:"enabled"`
	// Window is how long a sent transaction_id is remembered.
	Window time.Duration `mapstructure:"window"`
	// MaxEntries bounds the remembered ids (least recently used go first).
	MaxEntries int `mapstructure:"max_entries"`
	// Storage names a storage extension (e.g. file_storage) that keeps the
	// remembered ids across restarts.
	Storage *component.ID `mapstructure:"storage"`
}

var _ component.Config = (*Config)(nil)

var measurementIDPattern = regexp.MustCompile(`^G-[A-Z0-9]{4,20}$`)

// piiKeys are attributes that must never become a GA4 parameter.
var piiKeys = map[string]bool{
	contract.CustomerEmail: true,
	contract.ClientAddress: true,
	contract.CustomerID:    true,
}

// Validate checks the configuration.
func (cfg *Config) Validate() error {
	var errs []error
	if err := shutdownbound.ValidateTimeout(cfg.ShutdownTimeout); err != nil {
		errs = append(errs, err)
	}
	if !measurementIDPattern.MatchString(cfg.MeasurementID) {
		errs = append(errs, fmt.Errorf("measurement_id %q must look like G-XXXXXXXXXX (G-, then upper-case letters and digits)", cfg.MeasurementID))
	}
	if cfg.APISecret == "" {
		errs = append(errs, errors.New("api_secret must be set"))
	}
	if cfg.Region != RegionGlobal && cfg.Region != RegionEU {
		errs = append(errs, fmt.Errorf("region %q must be %q or %q", cfg.Region, RegionGlobal, RegionEU))
	}
	if cfg.ClientConfig.Endpoint != "" {
		u, err := url.Parse(cfg.ClientConfig.Endpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" {
			errs = append(errs, fmt.Errorf("endpoint %q must be an http(s) base URL without query", cfg.ClientConfig.Endpoint))
		}
	}
	for _, src := range sortedKeys(cfg.Events) {
		name := cfg.Events[src]
		switch {
		case src == "":
			errs = append(errs, errors.New("events: empty event.name key"))
		case name == "":
			// disabled
		case !mp.ValidName(name):
			errs = append(errs, fmt.Errorf("events[%s]: GA4 event name %q must be 1-40 letters, digits or underscores starting with a letter", src, name))
		case mp.ReservedEventName(name):
			errs = append(errs, fmt.Errorf("events[%s]: GA4 event name %q is reserved", src, name))
		}
	}
	builtin := map[string]bool{}
	for _, p := range builtinParams {
		builtin[p] = true
	}
	for _, attr := range sortedKeys(cfg.ExtraParams) {
		param := cfg.ExtraParams[attr]
		switch {
		case piiKeys[attr]:
			errs = append(errs, fmt.Errorf("extra_params[%s]: personal data is never sent to GA4", attr))
		case !mp.ValidName(param):
			errs = append(errs, fmt.Errorf("extra_params[%s]: parameter name %q must be 1-40 letters, digits or underscores starting with a letter", attr, param))
		case mp.ReservedParamName(param):
			errs = append(errs, fmt.Errorf("extra_params[%s]: parameter name %q is reserved", attr, param))
		case builtin[param]:
			errs = append(errs, fmt.Errorf("extra_params[%s]: parameter name %q is set by the mapping itself", attr, param))
		}
	}
	if len(cfg.ExtraParams) > mp.MaxParamsPerEvent-len(builtinParams) {
		errs = append(errs, fmt.Errorf("extra_params: at most %d entries (GA4 allows %d params per event)", mp.MaxParamsPerEvent-len(builtinParams), mp.MaxParamsPerEvent))
	}
	for field, v := range map[string]string{"consent::ad_user_data": cfg.Consent.AdUserData, "consent::ad_personalization": cfg.Consent.AdPersonalization} {
		if v != "" && v != mp.Granted && v != mp.Denied {
			errs = append(errs, fmt.Errorf("%s %q must be GRANTED, DENIED or empty", field, v))
		}
	}
	if cfg.MaxEventAge <= 0 || cfg.MaxEventAge > mp.MaxEventAge {
		errs = append(errs, fmt.Errorf("max_event_age %s must be positive and at most %s", cfg.MaxEventAge, mp.MaxEventAge))
	}
	if cfg.Dedup.Enabled {
		if cfg.Dedup.Window <= 0 {
			errs = append(errs, errors.New("dedup::window must be positive"))
		}
		if cfg.Dedup.MaxEntries <= 0 {
			errs = append(errs, errors.New("dedup::max_entries must be positive"))
		}
	}
	return errors.Join(errs...)
}

// builtinParams are the parameter names the mapping writes itself.
var builtinParams = []string{
	mapping.ParamCurrency, mapping.ParamValue, mapping.ParamItems, mapping.ParamTransactionID,
	mapping.ParamTax, mapping.ParamShipping, mapping.ParamCoupon, mapping.ParamPaymentType,
	mapping.ParamErrorType, mapping.ParamPaymentProvider, mapping.ParamSessionID,
	mapping.ParamEngagementTimeMsec,
}

// baseURL returns the endpoint's base URL.
func (cfg *Config) baseURL() string {
	if cfg.ClientConfig.Endpoint != "" {
		return cfg.ClientConfig.Endpoint
	}
	if cfg.Region == RegionEU {
		return EUBaseURL
	}
	return GlobalBaseURL
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
