package metadata

import (
	"errors"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// Metric names of the exporter's self-telemetry.
const (
	MetricEventsSent         = "otelcol_exporter_ga4_events_sent"
	MetricEventsDropped      = "otelcol_exporter_ga4_events_dropped"
	MetricParamsDropped      = "otelcol_exporter_ga4_params_dropped"
	MetricValuesTruncated    = "otelcol_exporter_ga4_values_truncated"
	MetricDeduplicated       = "otelcol_exporter_ga4_events_deduplicated"
	MetricRequests           = "otelcol_exporter_ga4_requests"
	MetricValidationMessages = "otelcol_exporter_ga4_validation_messages"
)

// AttrReason and AttrOutcome are the only metric attributes; their values are
// small fixed sets (never ids).
const (
	AttrReason  = "reason"
	AttrOutcome = "outcome"
)

// TelemetryBuilder holds the exporter's counters.
type TelemetryBuilder struct {
	EventsSent         metric.Int64Counter
	EventsDropped      metric.Int64Counter
	ParamsDropped      metric.Int64Counter
	ValuesTruncated    metric.Int64Counter
	Deduplicated       metric.Int64Counter
	Requests           metric.Int64Counter
	ValidationMessages metric.Int64Counter
}

// NewTelemetryBuilder creates the counters on the component's MeterProvider.
func NewTelemetryBuilder(set component.TelemetrySettings) (*TelemetryBuilder, error) {
	m := set.MeterProvider.Meter(ScopeName)
	var errs, err error
	tb := &TelemetryBuilder{}
	tb.EventsSent, err = m.Int64Counter(MetricEventsSent,
		metric.WithDescription("GA4 events accepted by the Measurement Protocol endpoint."), metric.WithUnit("{event}"))
	errs = errors.Join(errs, err)
	tb.EventsDropped, err = m.Int64Counter(MetricEventsDropped,
		metric.WithDescription("Business events not sent to GA4, by reason (too_old, reserved_name, invalid_name, no_client_id, invalid_amount, malformed_items, missing_transaction_id, partial_refund_without_items, too_large, rejected)."), metric.WithUnit("{event}"))
	errs = errors.Join(errs, err)
	tb.ParamsDropped, err = m.Int64Counter(MetricParamsDropped,
		metric.WithDescription("Event parameters left out to stay within GA4 limits, by reason (reserved, invalid_name, too_many)."), metric.WithUnit("{param}"))
	errs = errors.Join(errs, err)
	tb.ValuesTruncated, err = m.Int64Counter(MetricValuesTruncated,
		metric.WithDescription("String parameter values cut to the GA4 length limit."), metric.WithUnit("{value}"))
	errs = errors.Join(errs, err)
	tb.Deduplicated, err = m.Int64Counter(MetricDeduplicated,
		metric.WithDescription("Purchases not sent because the same transaction_id was already sent within dedup.window."), metric.WithUnit("{event}"))
	errs = errors.Join(errs, err)
	tb.Requests, err = m.Int64Counter(MetricRequests,
		metric.WithDescription("Measurement Protocol requests by outcome (success, retryable, permanent)."), metric.WithUnit("{request}"))
	errs = errors.Join(errs, err)
	tb.ValidationMessages, err = m.Int64Counter(MetricValidationMessages,
		metric.WithDescription("validationMessages returned by the validation server (validation_mode only)."), metric.WithUnit("{message}"))
	errs = errors.Join(errs, err)
	return tb, errs
}

// Reason returns the metric option for a reason attribute.
func Reason(r string) metric.AddOption {
	return metric.WithAttributeSet(attribute.NewSet(attribute.String(AttrReason, r)))
}

// Outcome returns the metric option for an outcome attribute. The three
// outcomes are built once: one is added per GA4 request.
func Outcome(o string) metric.AddOption {
	if opt, ok := outcomes[o]; ok {
		return opt
	}
	return metric.WithAttributeSet(attribute.NewSet(attribute.String(AttrOutcome, o)))
}

var outcomes = map[string]metric.AddOption{}

func init() {
	for _, o := range []string{"success", "retryable", "permanent"} {
		outcomes[o] = metric.WithAttributeSet(attribute.NewSet(attribute.String(AttrOutcome, o)))
	}
}
