package paymentbi

import (
	"errors"
	"fmt"
	"math"
	"time"
	_ "time/tzdata" // time zones work in images without /usr/share/zoneinfo

	"go.opentelemetry.io/collector/component"

	"github.com/otelcol-payments/otelcol-payments/processor/paymentbi/internal/engine"
)

// Config is the configuration of the paymentbi processor. The connector's
// configuration embeds it.
type Config struct {
	// ReportingCurrency is the ISO 4217 code every amount is converted to.
	ReportingCurrency string `mapstructure:"reporting_currency"`
	// ExchangeRates maps a currency code to the value of one unit of it in
	// the reporting currency, as a decimal string ("EUR": "1.08"). Events in
	// a currency without a rate are invalid (reason no_exchange_rate).
	ExchangeRates map[string]string `mapstructure:"exchange_rates"`
	// Timezone is the IANA zone of day and month boundaries.
	Timezone string `mapstructure:"timezone"`
	// DedupWindow is how long an order id is remembered: a purchase with
	// the same order id within it is a duplicate delivery. 0 disables.
	DedupWindow time.Duration `mapstructure:"dedup_window"`
	// DedupMaxEntries bounds the remembered order ids (oldest go first).
	DedupMaxEntries int `mapstructure:"dedup_max_entries"`
	// CardinalityLimit caps the distinct values of each metric attribute
	// fed by application data (method, provider, error type, item id);
	// later values become "_other".
	CardinalityLimit int                 `mapstructure:"cardinality_limit"`
	CustomerState    CustomerStateConfig `mapstructure:"customer_state"`

	// prevent unkeyed literal initialization
	_ struct{}
}

// CustomerStateConfig sizes the new/returning customer filter and where it
// is persisted.
type CustomerStateConfig struct {
	ExpectedCustomers uint    `mapstructure:"expected_customers"`
	FalsePositiveRate float64 `mapstructure:"false_positive_rate"`
	// Storage is the id of a storage extension (file_storage) that keeps
	// the state across restarts; none keeps it in memory only.
	Storage *component.ID `mapstructure:"storage"`
	// SyncInterval is how often the state is saved besides shutdown;
	// 0 saves at shutdown only.
	SyncInterval time.Duration `mapstructure:"sync_interval"`

	// prevent unkeyed literal initialization
	_ struct{}
}

// ConnectorConfig is the configuration of the paymentbi connector.
type ConnectorConfig struct {
	Config `mapstructure:",squash"`
	// DailyRevenueTarget and MonthlyRevenueTarget are in major units of
	// the reporting currency; 0 leaves the target metrics out.
	DailyRevenueTarget   float64 `mapstructure:"daily_revenue_target"`
	MonthlyRevenueTarget float64 `mapstructure:"monthly_revenue_target"`
	// EmitInterval is how often the metrics are sent on.
	EmitInterval time.Duration `mapstructure:"emit_interval"`
	// DurationBuckets are the bounds of the payment.duration histogram.
	DurationBuckets []time.Duration `mapstructure:"duration_buckets"`
	// MaxSeriesPerMetric bounds the label combinations of each metric
	// with several application-fed labels; events of further ones are
	// counted under the metric's "_other" series.
	MaxSeriesPerMetric int `mapstructure:"max_series_per_metric"`
	// InventoryForecast configures depletion, sell-out and held stock.
	InventoryForecast InventoryForecastConfig `mapstructure:"inventory_forecast"`
	// Experiments configures the A/B variant comparison.
	Experiments ExperimentsConfig `mapstructure:"experiments"`
}

// maxFilterBytes keeps a typo in expected_customers from taking the
// collector's memory: the filter grows with the customers seen up to its
// size at expected_customers, and 256 MiB holds 94 million customers at 0.1%.
const maxFilterBytes = 256 << 20

// Validate checks the processor configuration.
func (c *Config) Validate() error {
	var errs []error
	if _, err := engine.NewConverter(c.ReportingCurrency, c.ExchangeRates); err != nil {
		errs = append(errs, err)
	}
	if _, err := time.LoadLocation(c.Timezone); err != nil {
		errs = append(errs, fmt.Errorf("timezone %q: %w", c.Timezone, err))
	}
	if c.DedupWindow < 0 {
		errs = append(errs, errors.New("dedup_window must not be negative"))
	}
	if c.DedupMaxEntries < 0 {
		errs = append(errs, errors.New("dedup_max_entries must not be negative"))
	} else if c.DedupMaxEntries == 0 && c.DedupWindow > 0 {
		// the window would silently remember nothing and count re-deliveries
		errs = append(errs, errors.New("dedup_max_entries must be positive when dedup_window is set (dedup_window: 0 disables deduplication)"))
	}
	if c.CardinalityLimit < 1 {
		errs = append(errs, errors.New("cardinality_limit must be at least 1"))
	}
	cs := c.CustomerState
	if cs.ExpectedCustomers == 0 {
		errs = append(errs, errors.New("customer_state.expected_customers must be positive"))
	}
	if !(cs.FalsePositiveRate > 0 && cs.FalsePositiveRate < 1) {
		errs = append(errs, errors.New("customer_state.false_positive_rate must be between 0 and 1 (exclusive)"))
	} else if cs.ExpectedCustomers > 0 {
		if size := engine.CustomerFilterMaxBytes(cs.ExpectedCustomers, cs.FalsePositiveRate); size > maxFilterBytes {
			errs = append(errs, fmt.Errorf("customer_state: %d customers at false_positive_rate %g need %d MiB, over the 256 MiB limit",
				cs.ExpectedCustomers, cs.FalsePositiveRate, size>>20))
		}
	}
	if cs.SyncInterval < 0 {
		errs = append(errs, errors.New("customer_state.sync_interval must not be negative"))
	}
	return errors.Join(errs...)
}

// Validate checks the connector configuration.
func (c *ConnectorConfig) Validate() error {
	var errs []error
	if err := c.Config.Validate(); err != nil {
		errs = append(errs, err)
	}
	for name, v := range map[string]float64{"daily_revenue_target": c.DailyRevenueTarget, "monthly_revenue_target": c.MonthlyRevenueTarget} {
		if v < 0 || math.IsNaN(v) || math.IsInf(v, 0) {
			errs = append(errs, fmt.Errorf("%s must be a non-negative amount, got %v", name, v))
		}
	}
	if c.EmitInterval <= 0 {
		errs = append(errs, errors.New("emit_interval must be positive"))
	}
	if c.MaxSeriesPerMetric < 1 {
		errs = append(errs, errors.New("max_series_per_metric must be at least 1"))
	}
	for i, b := range c.DurationBuckets {
		if b <= 0 || (i > 0 && b <= c.DurationBuckets[i-1]) {
			errs = append(errs, errors.New("duration_buckets must be positive and increasing"))
			break
		}
	}
	if err := c.InventoryForecast.Validate(); err != nil {
		errs = append(errs, err)
	}
	if err := c.Experiments.Validate(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// engineSettings turns the processor configuration into engine settings.
func (c *Config) engineSettings() (engine.Settings, error) {
	loc, err := time.LoadLocation(c.Timezone)
	if err != nil {
		return engine.Settings{}, err
	}
	return engine.Settings{
		ReportingCurrency: c.ReportingCurrency,
		ExchangeRates:     c.ExchangeRates,
		Location:          loc,
		DedupWindow:       c.DedupWindow,
		DedupMaxEntries:   c.DedupMaxEntries,
		CardinalityLimit:  c.CardinalityLimit,
		ExpectedCustomers: c.CustomerState.ExpectedCustomers,
		FalsePositiveRate: c.CustomerState.FalsePositiveRate,
	}, nil
}

func (c *ConnectorConfig) engineSettings() (engine.Settings, error) {
	s, err := c.Config.engineSettings()
	if err != nil {
		return s, err
	}
	s.DailyTarget, s.MonthlyTarget = c.DailyRevenueTarget, c.MonthlyRevenueTarget
	s.MaxSeriesPerMetric = c.MaxSeriesPerMetric
	s.Forecast = c.InventoryForecast.settings()
	s.Experiments = c.Experiments.settings()
	s.DurationBounds = make([]float64, len(c.DurationBuckets))
	for i, b := range c.DurationBuckets {
		s.DurationBounds[i] = b.Seconds()
	}
	return s, nil
}
