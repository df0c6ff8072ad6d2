package metadata

import (
	"errors"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/otel/metric"
)

// TelemetryBuilder holds the exporter's own metrics, in the shape of
// mdatagen's TelemetryBuilder and named otelcol_exporter_alert_* like
// contrib components' telemetry (otelcol_<kind>_<type>_<name>).
type TelemetryBuilder struct {
	// RecordsRejected counts log records the exporter could not use.
	RecordsRejected metric.Int64Counter
	// Notifications counts notifications per channel and outcome.
	Notifications metric.Int64Counter
	// FlapsDamped counts alerts that fired again within flap_window.
	FlapsDamped metric.Int64Counter
}

// NewTelemetryBuilder creates the instruments.
func NewTelemetryBuilder(set component.TelemetrySettings) (*TelemetryBuilder, error) {
	m := set.MeterProvider.Meter(ScopeName)
	tb := &TelemetryBuilder{}
	var errs, err error
	tb.RecordsRejected, err = m.Int64Counter("otelcol_exporter_alert_records_rejected",
		metric.WithDescription("Log records the alert exporter could not use (not an alert, invalid, stale resolve, over max_alerts)."),
		metric.WithUnit("{record}"))
	errs = errors.Join(errs, err)
	tb.Notifications, err = m.Int64Counter("otelcol_exporter_alert_notifications",
		metric.WithDescription("Notifications handled per channel and outcome (sent, failed, dropped)."),
		metric.WithUnit("{notification}"))
	errs = errors.Join(errs, err)
	tb.FlapsDamped, err = m.Int64Counter("otelcol_exporter_alert_flaps_damped",
		metric.WithDescription("Alerts that fired again within flap_window of their resolve and stayed one incident."),
		metric.WithUnit("{alert}"))
	errs = errors.Join(errs, err)
	return tb, errs
}
