package paymentbi

import (
	"errors"
	"fmt"
	"time"

	"github.com/otelcol-payments/otelcol-payments/processor/paymentbi/internal/engine"
)

// InventoryForecastConfig configures the connector's inventory forecast:
// depletion rate, sell-out projection and the stock held by open checkouts.
type InventoryForecastConfig struct {
	// Bucket is the sales bucket the depletion rate is smoothed over.
	Bucket time.Duration `mapstructure:"bucket"`
	// HalfLife is how fast old sales lose weight in the depletion rate.
	HalfLife time.Duration `mapstructure:"half_life"`
	// ReservationTimeout is when an open checkout counts as abandoned and
	// stops holding stock.
	ReservationTimeout time.Duration `mapstructure:"reservation_timeout"`
	// MaxOpenCheckouts bounds the checkouts tracked for held stock.
	MaxOpenCheckouts int `mapstructure:"max_open_checkouts"`
	// EventDate (RFC 3339) is when sales end, e.g. a festival's opening;
	// EventDates overrides it per inventory.item_id. Empty: no event date.
	EventDate  string            `mapstructure:"event_date"`
	EventDates map[string]string `mapstructure:"event_dates"`

	// prevent unkeyed literal initialization
	_ struct{}
}

func defaultInventoryForecast() InventoryForecastConfig {
	return InventoryForecastConfig{Bucket: 5 * time.Minute, HalfLife: time.Hour, ReservationTimeout: 30 * time.Minute, MaxOpenCheckouts: 100_000}
}

// Validate checks the forecast settings; errors name the field.
func (c *InventoryForecastConfig) Validate() error {
	var errs []error
	if c.Bucket < time.Second {
		errs = append(errs, errors.New("inventory_forecast.bucket must be at least 1s"))
	}
	if c.HalfLife < c.Bucket {
		errs = append(errs, errors.New("inventory_forecast.half_life must be at least one bucket"))
	}
	if c.ReservationTimeout <= 0 {
		errs = append(errs, errors.New("inventory_forecast.reservation_timeout must be positive"))
	}
	if c.MaxOpenCheckouts < 1 {
		errs = append(errs, errors.New("inventory_forecast.max_open_checkouts must be at least 1"))
	}
	if _, _, err := c.dates(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func (c *InventoryForecastConfig) dates() (time.Time, map[string]time.Time, error) {
	var def time.Time
	if c.EventDate != "" {
		d, err := time.Parse(time.RFC3339, c.EventDate)
		if err != nil {
			return def, nil, fmt.Errorf("inventory_forecast.event_date: %q is not an RFC 3339 time (2026-07-17T14:00:00+02:00)", c.EventDate)
		}
		def = d
	}
	per := make(map[string]time.Time, len(c.EventDates))
	for item, s := range c.EventDates {
		d, err := time.Parse(time.RFC3339, s)
		if err != nil {
			return def, nil, fmt.Errorf("inventory_forecast.event_dates[%s]: %q is not an RFC 3339 time", item, s)
		}
		per[item] = d
	}
	return def, per, nil
}

func (c *InventoryForecastConfig) settings() engine.ForecastSettings {
	def, per, _ := c.dates()
	return engine.ForecastSettings{
		Bucket: c.Bucket, HalfLife: c.HalfLife, ReservationTimeout: c.ReservationTimeout,
		MaxOpenCheckouts: c.MaxOpenCheckouts, EventDate: def, EventDates: per,
	}
}

// ExperimentsConfig configures the comparison of experiment variants.
type ExperimentsConfig struct {
	// Alpha is the false-alarm level of the always-valid test.
	Alpha float64 `mapstructure:"alpha"`
	// Tau is the standard deviation of the mixture over effect sizes.
	Tau float64 `mapstructure:"tau"`
	// Control names the control variant.
	Control string `mapstructure:"control"`
	// MinTrials is the trials each variant needs before it is tested.
	MinTrials int64 `mapstructure:"min_trials"`
	// MaxExperiments and MaxVariants bound the cardinality.
	MaxExperiments int `mapstructure:"max_experiments"`
	MaxVariants    int `mapstructure:"max_variants"`

	// prevent unkeyed literal initialization
	_ struct{}
}

func defaultExperiments() ExperimentsConfig {
	return ExperimentsConfig{Alpha: 0.05, Tau: 0.05, Control: "control", MinTrials: 100, MaxExperiments: 10, MaxVariants: 5}
}

// Validate checks the experiment settings; errors name the field.
func (c *ExperimentsConfig) Validate() error {
	var errs []error
	if !(c.Alpha > 0 && c.Alpha < 1) {
		errs = append(errs, errors.New("experiments.alpha must be between 0 and 1 (exclusive)"))
	}
	if !(c.Tau > 0 && c.Tau <= 1) {
		errs = append(errs, errors.New("experiments.tau must be in (0, 1]"))
	}
	if c.Control == "" {
		errs = append(errs, errors.New("experiments.control must name the control variant"))
	}
	if c.MinTrials < 30 {
		errs = append(errs, errors.New("experiments.min_trials must be at least 30 (the test's normal approximation)"))
	}
	if c.MaxExperiments < 1 || c.MaxVariants < 2 {
		errs = append(errs, errors.New("experiments.max_experiments must be at least 1 and experiments.max_variants at least 2"))
	}
	return errors.Join(errs...)
}

func (c *ExperimentsConfig) settings() engine.ExperimentSettings {
	return engine.ExperimentSettings{
		Alpha: c.Alpha, Tau: c.Tau, Control: c.Control, MinTrials: c.MinTrials,
		MaxExperiments: c.MaxExperiments, MaxVariants: c.MaxVariants,
	}
}
