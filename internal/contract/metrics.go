package contract

import (
	"slices"
	"strings"

	"github.com/prometheus/otlptranslator"
)

// Business metric names: what the paymentbi connector emits. Dashboards,
// threshold rules, Prometheus rules and the Grafana dashboard refer to
// these and nothing else (metrics_test.go checks the shipped ones).
const (
	MetricPaymentRevenue           = "payment.revenue"
	MetricPaymentRevenueReporting  = "payment.revenue.reporting"
	MetricPaymentOrders            = "payment.orders"
	MetricPaymentAttempts          = "payment.attempts"
	MetricPaymentFailures          = "payment.failures"
	MetricPaymentRefunds           = "payment.refunds"
	MetricPaymentRefundsAmount     = "payment.refunds.amount"
	MetricPaymentDuration          = "payment.duration"
	MetricPaymentSuccessRatio      = "payment.success.ratio"
	MetricCheckoutFunnelEvents     = "checkout.funnel.events"
	MetricCheckoutConversionRatio  = "checkout.conversion.ratio"
	MetricCheckoutAbandonmentRatio = "checkout.abandonment.ratio"
	MetricOrderValueAverage        = "order.value.average"
	MetricCustomerOrders           = "customer.orders"
	MetricCustomerDistinct         = "customer.distinct"
	MetricCustomerLifetimeValue    = "customer.lifetime_value.average"
	MetricInventoryAvailable       = "inventory.available"
	MetricInventoryReserved        = "inventory.reserved"
	MetricRevenueDaily             = "payment.revenue.daily"
	MetricRevenueMonthly           = "payment.revenue.monthly"
	MetricInvalidEvents            = "paymentbi.invalid_events"
	MetricDuplicateEvents          = "paymentbi.duplicate_events"
	MetricLatePurchases            = "paymentbi.late_purchases"
	MetricLateInventory            = "paymentbi.late_inventory_levels"

	// Inventory forecast (sell-out) and held stock.
	MetricInventoryDepletionRate = "inventory.depletion.rate"
	MetricInventorySellOutHours  = "inventory.sellout.hours"
	MetricInventorySellOutTime   = "inventory.sellout.time"
	MetricInventoryHeld          = "inventory.held"
	MetricInventoryUnsoldAtEvent = "inventory.unsold_at_event"
	MetricDroppedCheckouts       = "paymentbi.dropped_checkouts"

	// Segments, growth and the hour-of-day pattern.
	MetricSegmentRevenue    = "segment.revenue"
	MetricSegmentOrders     = "segment.orders"
	MetricSegmentVisits     = "segment.visits"
	MetricSegmentConversion = "segment.conversion.ratio"
	MetricSegmentOrderValue = "segment.order_value.average"
	MetricRevenueSameTime   = "payment.revenue.same_time"
	MetricRevenueGrowth     = "payment.revenue.growth"
	MetricRevenueHourOfDay  = "payment.revenue.hour_of_day"

	// Experiments (A/B variants compared by an always-valid test).
	MetricExperimentFunnel        = "experiment.funnel.events"
	MetricExperimentRate          = "experiment.rate"
	MetricExperimentTrials        = "experiment.trials"
	MetricExperimentUplift        = "experiment.uplift"
	MetricExperimentUpliftLower   = "experiment.uplift.lower"
	MetricExperimentUpliftUpper   = "experiment.uplift.upper"
	MetricExperimentPValue        = "experiment.p_value"
	MetricExperimentGuardrail     = "experiment.guardrail"
	MetricDroppedExperimentEvents = "paymentbi.dropped_experiment_events"

	// Events counted under a metric's overflow series at its series bound.
	MetricFoldedEvents = "paymentbi.folded_events"

	// Suffixes of the gauges that go with each revenue period
	// (payment.revenue.daily.pace ...).
	RevenuePaceSuffix     = ".pace"
	RevenueTargetSuffix   = ".target"
	RevenueProgressSuffix = ".progress"
)

// Business metric labels that are not attribute keys (keys.go).
const (
	MetricLabelReason = "reason"
	MetricLabelPeriod = "period"
	// MetricLabelHour is the hour of the day, 00..23 in the business zone.
	MetricLabelHour = "hour"
	// MetricLabelSegmentDimension is what a segment splits by (customer,
	// channel, category, currency), MetricLabelSegmentValue its value.
	MetricLabelSegmentDimension = "segment.dimension"
	MetricLabelSegmentValue     = "segment.value"
	// MetricLabelExperimentMetric is the rate a variant is compared on
	// (conversion, payment_success).
	MetricLabelExperimentMetric = "experiment.metric"
)

// The spanmetrics connector's metrics under the namespace the profiles use,
// and the labels it adds besides the configured dimensions.
const (
	SpanMetricsNamespace = "traces.span.metrics"
	MetricSpanCalls      = SpanMetricsNamespace + ".calls"
	MetricSpanDuration   = SpanMetricsNamespace + ".duration"
	MetricSpanEvents     = SpanMetricsNamespace + ".events"
	SpanName             = "span.name"
	SpanKind             = "span.kind"
	StatusCode           = "status.code"
)

// MetricKind is how a metric is exported; with the unit it decides the
// Prometheus name.
type MetricKind int

const (
	// Counter is a monotonic sum (Prometheus appends _total).
	Counter MetricKind = iota
	Gauge
	Histogram
)

// Metric describes one metric: its OpenTelemetry name, kind, unit and the
// attribute keys its points carry.
type Metric struct {
	Name   string
	Kind   MetricKind
	Unit   string
	Labels []string
}

var (
	moneyLabels      = []string{PaymentCurrency, PaymentMethod, PaymentProvider}
	attemptLabels    = []string{PaymentStatus, PaymentMethod, PaymentProvider, PaymentErrorType}
	reportingLabel   = []string{PaymentReportingCurrency}
	stepLabel        = []string{CheckoutStep}
	segmentLabels    = []string{MetricLabelSegmentDimension, MetricLabelSegmentValue}
	experimentLabels = []string{ExperimentID, ExperimentVariant, MetricLabelExperimentMetric}
)

// BusinessMetrics lists every metric the paymentbi connector emits.
var BusinessMetrics = append([]Metric{
	{MetricPaymentRevenue, Counter, "{payment.currency}", moneyLabels},
	{MetricPaymentRevenueReporting, Counter, "{payment.reporting.currency}", append(slices.Clone(moneyLabels), PaymentReportingCurrency)},
	{MetricPaymentOrders, Counter, "{order}", moneyLabels},
	{MetricOrderValueAverage, Gauge, "{payment.currency}", []string{PaymentCurrency}},
	{MetricPaymentRefunds, Counter, "{refund}", moneyLabels},
	{MetricPaymentRefundsAmount, Counter, "{payment.currency}", moneyLabels},
	{MetricPaymentAttempts, Counter, "{attempt}", attemptLabels},
	{MetricPaymentSuccessRatio, Gauge, "1", []string{PaymentMethod}},
	{MetricPaymentDuration, Histogram, "s", []string{PaymentStatus, PaymentMethod, PaymentProvider}},
	{MetricPaymentFailures, Counter, "{failure}", []string{PaymentErrorType, PaymentMethod, PaymentProvider}},
	{MetricCheckoutFunnelEvents, Counter, "{event}", stepLabel},
	{MetricCheckoutConversionRatio, Gauge, "1", stepLabel},
	{MetricCheckoutAbandonmentRatio, Gauge, "1", stepLabel},
	{MetricCustomerOrders, Counter, "{order}", []string{CustomerSegment}},
	{MetricCustomerDistinct, Gauge, "{customer}", nil},
	{MetricCustomerLifetimeValue, Gauge, "{payment.reporting.currency}", reportingLabel},
	{MetricInventoryAvailable, Gauge, "{item}", []string{InventoryItemID}},
	{MetricInventoryReserved, Gauge, "{item}", []string{InventoryItemID}},
	{MetricInvalidEvents, Counter, "{event}", []string{MetricLabelReason, EventName}},
	{MetricDuplicateEvents, Counter, "{event}", []string{EventName}},
	{MetricLatePurchases, Counter, "{event}", []string{MetricLabelPeriod}},
	{MetricLateInventory, Counter, "{event}", nil},

	{MetricInventoryDepletionRate, Gauge, "{item}/h", []string{InventoryItemID}},
	{MetricInventorySellOutHours, Gauge, "h", []string{InventoryItemID}},
	{MetricInventorySellOutTime, Gauge, "s", []string{InventoryItemID}},
	{MetricInventoryHeld, Gauge, "{item}", []string{InventoryItemID}},
	{MetricInventoryUnsoldAtEvent, Gauge, "{item}", []string{InventoryItemID}},
	{MetricDroppedCheckouts, Counter, "{checkout}", nil},

	{MetricSegmentRevenue, Counter, "{payment.reporting.currency}", append(slices.Clone(segmentLabels), PaymentReportingCurrency)},
	{MetricSegmentOrders, Counter, "{order}", segmentLabels},
	{MetricSegmentVisits, Counter, "{event}", segmentLabels},
	{MetricSegmentConversion, Gauge, "1", segmentLabels},
	{MetricSegmentOrderValue, Gauge, "{payment.reporting.currency}", append(slices.Clone(segmentLabels), PaymentReportingCurrency)},
	{MetricRevenueSameTime, Gauge, "{payment.reporting.currency}", []string{MetricLabelPeriod, PaymentReportingCurrency}},
	{MetricRevenueGrowth, Gauge, "1", []string{MetricLabelPeriod}},
	{MetricRevenueHourOfDay, Gauge, "{payment.reporting.currency}", []string{MetricLabelHour, PaymentReportingCurrency}},

	{MetricExperimentFunnel, Gauge, "{event}", []string{ExperimentID, ExperimentVariant, CheckoutStep}},
	{MetricExperimentRate, Gauge, "1", experimentLabels},
	{MetricExperimentTrials, Gauge, "{trial}", experimentLabels},
	{MetricExperimentUplift, Gauge, "1", experimentLabels},
	{MetricExperimentUpliftLower, Gauge, "1", experimentLabels},
	{MetricExperimentUpliftUpper, Gauge, "1", experimentLabels},
	{MetricExperimentPValue, Gauge, "1", experimentLabels},
	{MetricExperimentGuardrail, Gauge, "1", experimentLabels},
	{MetricDroppedExperimentEvents, Counter, "{event}", nil},
	{MetricFoldedEvents, Counter, "{event}", []string{EventName}},
}, slices.Concat(revenuePeriod(MetricRevenueDaily), revenuePeriod(MetricRevenueMonthly))...)

func revenuePeriod(name string) []Metric {
	return []Metric{
		{name, Gauge, "{payment.reporting.currency}", reportingLabel},
		{name + RevenuePaceSuffix, Gauge, "1", nil},
		{name + RevenueTargetSuffix, Gauge, "{payment.reporting.currency}", reportingLabel},
		{name + RevenueProgressSuffix, Gauge, "1", nil},
	}
}

// SpanMetricDimensions are the span attributes the profiles' spanmetrics
// connector adds as dimensions.
var SpanMetricDimensions = []string{PaymentProvider, PaymentMethod}

// SpanMetrics lists the spanmetrics connector's metrics as the profiles
// configure it.
var SpanMetrics = []Metric{
	{MetricSpanCalls, Counter, "", append([]string{ServiceName, SpanName, SpanKind, StatusCode}, SpanMetricDimensions...)},
	{MetricSpanDuration, Histogram, "ms", append([]string{ServiceName, SpanName, SpanKind, StatusCode}, SpanMetricDimensions...)},
	{MetricSpanEvents, Counter, "", []string{ServiceName, SpanName, SpanKind, StatusCode, EventName}},
}

// BusinessMetricNames returns the OpenTelemetry names of BusinessMetrics.
func BusinessMetricNames() []string {
	names := make([]string, len(BusinessMetrics))
	for i, m := range BusinessMetrics {
		names[i] = m.Name
	}
	return names
}

// LookupMetric returns the business or span metric named name.
func LookupMetric(name string) (Metric, bool) {
	for _, list := range [][]Metric{BusinessMetrics, SpanMetrics} {
		if i := slices.IndexFunc(list, func(m Metric) bool { return m.Name == name }); i >= 0 {
			return list[i], true
		}
	}
	return Metric{}, false
}

// prometheusNamer is the collector's prometheus exporter's own namer with
// its default translation (UnderscoreEscapingWithSuffixes), so a unit such
// as "{item}/h" gets the exporter's "_per_hour" and no hand-kept table can
// drift from it.
var prometheusNamer = otlptranslator.MetricNamer{WithMetricSuffixes: true}

// PrometheusName is the name the collector's prometheus exporter serves
// m under: dots become underscores, the unit becomes a suffix ("_ratio"
// for a gauge of unit 1, "_per_hour" for "/h") unless the name already
// ends with it, and counters get _total.
func (m Metric) PrometheusName() string {
	var kind otlptranslator.MetricType = otlptranslator.MetricTypeGauge
	switch m.Kind {
	case Counter:
		kind = otlptranslator.MetricTypeMonotonicCounter
	case Histogram:
		kind = otlptranslator.MetricTypeHistogram
	}
	name, err := prometheusNamer.Build(otlptranslator.Metric{Name: m.Name, Unit: m.Unit, Type: kind})
	if err != nil { // only for an empty name, which no listed metric has
		return PrometheusLabel(m.Name)
	}
	return name
}

// PrometheusSeries are the series names of m in Prometheus: a histogram
// has _bucket, _sum and _count.
func (m Metric) PrometheusSeries() []string {
	name := m.PrometheusName()
	if m.Kind == Histogram {
		return []string{name + "_bucket", name + "_sum", name + "_count"}
	}
	return []string{name}
}

// PrometheusLabel is the Prometheus form of an attribute key or metric
// name: every character outside [a-zA-Z0-9_:] becomes an underscore.
func PrometheusLabel(key string) string {
	return strings.Map(func(r rune) rune {
		if r == '_' || r == ':' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') {
			return r
		}
		return '_'
	}, key)
}
