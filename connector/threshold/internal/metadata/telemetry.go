package metadata

import (
	"context"
	"errors"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/otel/metric"
)

// Names of the connector's own metrics, otelcol_<kind>_<type>_<name> like
// contrib components' telemetry.
const (
	MetricSeries        = "otelcol_connector_threshold_series"
	MetricSeriesEvicted = "otelcol_connector_threshold_series_evicted"
	MetricAlertsEmitted = "otelcol_connector_threshold_alerts_emitted"
	MetricAlertsDropped = "otelcol_connector_threshold_alerts_dropped"
	MetricStateErrors   = "otelcol_connector_threshold_state_errors"
)

// TelemetryBuilder holds the connector's own metrics, in the shape of
// mdatagen's TelemetryBuilder.
type TelemetryBuilder struct {
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

// NewTelemetryBuilder creates the instruments; seriesCount is read on
// collection.
func NewTelemetryBuilder(set component.TelemetrySettings, seriesCount func() int64) (*TelemetryBuilder, error) {
	m := set.MeterProvider.Meter(ScopeName)
	t := &TelemetryBuilder{meter: m}
	var errs, err error
	t.SeriesEvicted, err = m.Int64Counter(MetricSeriesEvicted,
		metric.WithDescription("Alert series evicted to stay within max_series."), metric.WithUnit("{series}"))
	errs = errors.Join(errs, err)
	t.AlertsEmitted, err = m.Int64Counter(MetricAlertsEmitted,
		metric.WithDescription("Alert records emitted, by alert.status."), metric.WithUnit("{alert}"))
	errs = errors.Join(errs, err)
	t.AlertsDropped, err = m.Int64Counter(MetricAlertsDropped,
		metric.WithDescription("Alert records the next consumer refused."), metric.WithUnit("{alert}"))
	errs = errors.Join(errs, err)
	t.StateErrors, err = m.Int64Counter(MetricStateErrors,
		metric.WithDescription("Failures to load or save persisted alert state."), metric.WithUnit("{error}"))
	errs = errors.Join(errs, err)
	t.Series, err = m.Int64ObservableGauge(MetricSeries,
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
func (t *TelemetryBuilder) Shutdown() {
	if t.reg != nil {
		_ = t.reg.Unregister()
	}
}
