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
	}
	for _, period := range []string{MetricRevenueDaily, MetricRevenueMonthly} {
		names = append(names, period, period+".pace", period+".target", period+".progress")
	}
	return names
}
