package metadata

import (
	"context"
	"errors"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/otel/metric"
)

// Telemetry holds the connector's own metrics, in the shape of mdatagen's
// TelemetryBuilder.
type Telemetry struct {
	// SeriesEvicted counts series dropped to stay within max_series.
	SeriesEvicted metric.Int64Counter
	// AlertsEmitted counts alert records sent, by alert.status.
	AlertsEmitted metric.Int64Counter
	// AlertsDropped counts alert records the next consumer refused.
	AlertsDropped metric.Int64Counter
	// StateErrors counts failures to load or save persisted state.
	StateErrors metric.Int64Counter
	// Series is the number of series in memory.
	Series metric.Int64ObservableGauge

	meter metric.Meter
	reg   metric.Registration
}

// NewTelemetry creates the instruments; seriesCount is read on collection.
func NewTelemetry(set component.TelemetrySettings, seriesCount func() int64) (*Telemetry, error) {
	m := set.MeterProvider.Meter(ScopeName)
	t := &Telemetry{meter: m}
	var errs, err error
	t.SeriesEvicted, err = m.Int64Counter("otelcol_threshold_series_evicted",
		metric.WithDescription("Alert series evicted to stay within max_series."), metric.WithUnit("{series}"))
	errs = errors.Join(errs, err)
	t.AlertsEmitted, err = m.Int64Counter("otelcol_threshold_alerts_emitted",
		metric.WithDescription("Alert records emitted, by alert.status."), metric.WithUnit("{alert}"))
	errs = errors.Join(errs, err)
	t.AlertsDropped, err = m.Int64Counter("otelcol_threshold_alerts_dropped",
		metric.WithDescription("Alert records the next consumer refused."), metric.WithUnit("{alert}"))
	errs = errors.Join(errs, err)
	t.StateErrors, err = m.Int64Counter("otelcol_threshold_state_errors",
		metric.WithDescription("Failures to load or save persisted alert state."), metric.WithUnit("{error}"))
	errs = errors.Join(errs, err)
	t.Series, err = m.Int64ObservableGauge("otelcol_threshold_series",
		metric.WithDescription("Alert series held in memory."), metric.WithUnit("{series}"))
	errs = errors.Join(errs, err)
	if errs != nil {
		return nil, errs
	}
	t.reg, err = m.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		o.ObserveInt64(t.Series, seriesCount())
		return nil
	}, t.Series)
	return t, err
}

// Shutdown unregisters the gauge callback.
func (t *Telemetry) Shutdown() {
	if t.reg != nil {
		_ = t.reg.Unregister()
	}
}
