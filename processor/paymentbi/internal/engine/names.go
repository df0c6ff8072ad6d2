package engine

// Inventory forecast metrics (forecast.go).
const (
	MetricInventoryDepletionRate = "inventory.depletion.rate"
	MetricInventorySellOutHours  = "inventory.sellout.hours"
	MetricInventorySellOutTime   = "inventory.sellout.time"
	MetricInventoryHeld          = "inventory.held"
	MetricInventoryUnsoldAtEvent = "inventory.unsold_at_event"
	MetricDroppedCheckouts       = "paymentbi.dropped_checkouts"
)

// Segment metrics (segments.go).
const (
	MetricSegmentRevenue    = "segment.revenue"
	MetricSegmentOrders     = "segment.orders"
	MetricSegmentVisits     = "segment.visits"
	MetricSegmentConversion = "segment.conversion.ratio"
	MetricSegmentOrderValue = "segment.order_value.average"
)

// Growth metrics (growth.go).
const (
	MetricRevenueSameTime  = "payment.revenue.same_time"
	MetricRevenueGrowth    = "payment.revenue.growth"
	MetricRevenueHourOfDay = "payment.revenue.hour_of_day"
)

// Experiment metrics (experiment.go).
const (
	MetricExperimentFunnel        = "experiment.funnel.events"
	MetricExperimentRate          = "experiment.rate"
	MetricExperimentTrials        = "experiment.trials"
	MetricExperimentUplift        = "experiment.uplift"
	MetricExperimentUpliftLower   = "experiment.uplift.lower"
	MetricExperimentUpliftUpper   = "experiment.uplift.upper"
	MetricExperimentPValue        = "experiment.p_value"
	MetricExperimentGuardrail     = "experiment.guardrail"
	MetricDroppedExperimentEvents = "paymentbi.dropped_experiment_events"
)

// MetricNames lists every metric name the engine can emit, for configs
// that refer to them (threshold rules) to be checked at start.
func MetricNames() []string {
	names := []string{
		MetricRevenue, MetricRevenueReporting, MetricOrders, MetricAttempts, MetricFailures,
		MetricRefunds, MetricRefundsAmount, MetricDuration, MetricFunnelEvents, MetricConversionRatio,
		MetricAbandonmentRatio, MetricSuccessRatio, MetricOrderValueAverage, MetricCustomerOrders,
		MetricCustomerDistinct, MetricLifetimeValue, MetricInventoryAvailable, MetricInventoryReserved,
		MetricInvalidEvents, MetricDuplicateEvents, MetricLatePurchases, MetricLateInventory,
		MetricInventoryDepletionRate, MetricInventorySellOutHours, MetricInventorySellOutTime,
		MetricInventoryHeld, MetricInventoryUnsoldAtEvent, MetricDroppedCheckouts,
		MetricExperimentFunnel, MetricExperimentRate, MetricExperimentTrials, MetricExperimentUplift,
		MetricExperimentUpliftLower, MetricExperimentUpliftUpper, MetricExperimentPValue,
		MetricExperimentGuardrail, MetricDroppedExperimentEvents,
		MetricRevenueSameTime, MetricRevenueGrowth, MetricRevenueHourOfDay,
		MetricSegmentRevenue, MetricSegmentOrders, MetricSegmentVisits, MetricSegmentConversion, MetricSegmentOrderValue,
	}
	for _, period := range []string{MetricRevenueDaily, MetricRevenueMonthly} {
		names = append(names, period, period+".pace", period+".target", period+".progress")
	}
	return names
}
