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
	return engine.ForecastSettings{Bucket: c.Bucket, HalfLife: c.HalfLife, ReservationTimeout: c.ReservationTimeout,
		MaxOpenCheckouts: c.MaxOpenCheckouts, EventDate: def, EventDates: per}
}
