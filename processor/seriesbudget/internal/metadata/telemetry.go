package metadata

import (
	"context"
	"errors"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/otel/metric"
)

// TelemetryBuilder holds the processor's own metrics, in the shape of
// mdatagen's TelemetryBuilder.
type TelemetryBuilder struct {
	// Refused counts data points of new series removed, per reason.
	Refused metric.Int64Counter
	// Series is the number of series holding a place in the budget.
	Series metric.Int64ObservableGauge

	reg metric.Registration
}

// NewTelemetryBuilder creates the instruments; seriesInUse is read on
// collection.
func NewTelemetryBuilder(set component.TelemetrySettings, seriesInUse func() int64) (*TelemetryBuilder, error) {
	meter := set.MeterProvider.Meter(ScopeName)
	tb := &TelemetryBuilder{}
	var errs, err error
	tb.Refused, err = meter.Int64Counter(RefusedMetric,
		metric.WithDescription("Data points of new series removed because the series budget was full, per reason (max_series, max_series_per_metric). [Alpha]"),
		metric.WithUnit("{datapoint}"))
	errs = errors.Join(errs, err)
	tb.Series, err = meter.Int64ObservableGauge(SeriesMetric,
		metric.WithDescription("Series holding a place in the budget, counted as Prometheus counts them. [Alpha]"),
		metric.WithUnit("{series}"))
	errs = errors.Join(errs, err)
	if errs != nil {
		return nil, errs
	}
	tb.reg, err = meter.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		o.ObserveInt64(tb.Series, seriesInUse())
		return nil
	}, tb.Series)
	if err != nil {
		return nil, err
	}
	return tb, nil
}

// Shutdown unregisters the gauge callback.
func (tb *TelemetryBuilder) Shutdown() error {
	if tb.reg == nil {
		return nil
	}
	return tb.reg.Unregister()
}
