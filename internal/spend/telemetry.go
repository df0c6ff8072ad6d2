package spend

import (
	"context"
	"errors"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// Metric names of the spend counters: cumulative since start, so
// `increase(otelcol_exporter_spend_bytes[1h])` is the bytes per hour.
const (
	MetricEvents   = "otelcol_exporter_spend_events"
	MetricBytes    = "otelcol_exporter_spend_bytes"
	MetricRequests = "otelcol_exporter_spend_requests"
)

// Attribute keys: the exporter's component ID, the destination's kind and
// host, and a request's outcome (sent or failed). All come from
// configuration: bounded.
const (
	AttrExporter = "exporter"
	AttrKind     = "destination.kind"
	AttrHost     = "destination.host"
	AttrOutcome  = "outcome"
)

// ScopeName is the instrumentation scope of the spend counters.
const ScopeName = "github.com/otelcol-payments/otelcol-payments/internal/spend"

// Observe reports meters as observable counters on mp, the owning
// component's MeterProvider (so the collector labels them with its
// component ID). Unregister the returned registration at shutdown.
func Observe(mp metric.MeterProvider, meters ...*Meter) (metric.Registration, error) {
	return observe(mp, func() []*Meter { return meters })
}

// ObserveExporter reports, on mp, every meter of r whose exporter is
// exporter, including those created later (an alert exporter's channels
// meet their hosts at their first request).
func (r *Registry) ObserveExporter(mp metric.MeterProvider, exporter string) (metric.Registration, error) {
	return observe(mp, func() []*Meter {
		r.mu.Lock()
		defer r.mu.Unlock()
		var out []*Meter
		for k, m := range r.meters {
			if k.Exporter == exporter {
				out = append(out, m)
			}
		}
		return out
	})
}

func observe(mp metric.MeterProvider, meters func() []*Meter) (metric.Registration, error) {
	m := mp.Meter(ScopeName)
	events, err1 := m.Int64ObservableCounter(MetricEvents, metric.WithUnit("{event}"),
		metric.WithDescription("Events a destination accepted (GA4 events, Sentry envelopes, spans, notifications), by destination kind and host."))
	bytes, err2 := m.Int64ObservableCounter(MetricBytes, metric.WithUnit("By"),
		metric.WithDescription("Request body bytes a destination accepted, as sent before transport compression (HTTP bodies; OTLP protobuf for the tracing backend)."))
	requests, err3 := m.Int64ObservableCounter(MetricRequests, metric.WithUnit("{request}"),
		metric.WithDescription("Requests to a destination, by outcome (sent: accepted; failed: an error status or no answer)."))
	if err := errors.Join(err1, err2, err3); err != nil {
		return nil, err
	}
	return m.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		for _, mt := range meters() {
			exp := attribute.String(AttrExporter, mt.key.Exporter)
			kind, host := attribute.String(AttrKind, mt.key.Kind), attribute.String(AttrHost, mt.key.Host)
			o.ObserveInt64(events, mt.sent.events.Load(), metric.WithAttributes(exp, kind, host))
			o.ObserveInt64(bytes, mt.sent.bytes.Load(), metric.WithAttributes(exp, kind, host))
			o.ObserveInt64(requests, mt.sent.requests.Load(), metric.WithAttributes(exp, kind, host, attribute.String(AttrOutcome, "sent")))
			o.ObserveInt64(requests, mt.failed.Load(), metric.WithAttributes(exp, kind, host, attribute.String(AttrOutcome, "failed")))
		}
		return nil
	}, events, bytes, requests)
}
