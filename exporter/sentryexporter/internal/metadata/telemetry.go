package metadata

import (
	"errors"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/otel/metric"
)

// Names of the exporter's own metrics, otelcol_<kind>_<type>_<name> like
// contrib components' telemetry.
const (
	MetricEventsSent    = "otelcol_exporter_sentry_events_sent"
	MetricEventsDropped = "otelcol_exporter_sentry_events_dropped"
)

// TelemetryBuilder holds the exporter's own metrics, in the shape of
// mdatagen's TelemetryBuilder.
type TelemetryBuilder struct {
	// EventsSent counts events Sentry accepted, by type.
	EventsSent metric.Int64Counter
	// EventsDropped counts events not delivered on purpose, by reason.
	EventsDropped metric.Int64Counter
}

// NewTelemetryBuilder creates the instruments.
func NewTelemetryBuilder(set component.TelemetrySettings) (*TelemetryBuilder, error) {
	m := set.MeterProvider.Meter(ScopeName)
	tb := &TelemetryBuilder{}
	var errs, err error
	tb.EventsSent, err = m.Int64Counter(MetricEventsSent,
		metric.WithDescription("Events accepted by Sentry, by type (error, transaction)."),
		metric.WithUnit("{event}"))
	errs = errors.Join(errs, err)
	tb.EventsDropped, err = m.Int64Counter(MetricEventsDropped,
		metric.WithDescription("Events not delivered on purpose, by reason (event_limit, rejected, rate_limited, duplicate, invalid_transaction)."),
		metric.WithUnit("{event}"))
	errs = errors.Join(errs, err)
	if errs != nil {
		return nil, errs
	}
	return tb, nil
}
