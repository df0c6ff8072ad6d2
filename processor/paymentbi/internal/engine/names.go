package engine

import "github.com/otelcol-payments/otelcol-payments/internal/contract"

// Inventory forecast metrics (forecast.go).
const (
	MetricInventoryDepletionRate = contract.MetricInventoryDepletionRate
	MetricInventorySellOutHours  = contract.MetricInventorySellOutHours
	MetricInventorySellOutTime   = contract.MetricInventorySellOutTime
	MetricInventoryHeld          = contract.MetricInventoryHeld
	MetricInventoryUnsoldAtEvent = contract.MetricInventoryUnsoldAtEvent
	MetricDroppedCheckouts       = contract.MetricDroppedCheckouts
)

// Segment metrics (segments.go).
const (
	MetricSegmentRevenue    = contract.MetricSegmentRevenue
	MetricSegmentOrders     = contract.MetricSegmentOrders
	MetricSegmentVisits     = contract.MetricSegmentVisits
	MetricSegmentConversion = contract.MetricSegmentConversion
	MetricSegmentOrderValue = contract.MetricSegmentOrderValue
)

// Growth metrics (growth.go).
const (
	MetricRevenueSameTime  = contract.MetricRevenueSameTime
	MetricRevenueGrowth    = contract.MetricRevenueGrowth
	MetricRevenueHourOfDay = contract.MetricRevenueHourOfDay
)

// Experiment metrics (experiment.go).
const (
	MetricExperimentFunnel        = contract.MetricExperimentFunnel
	MetricExperimentRate          = contract.MetricExperimentRate
	MetricExperimentTrials        = contract.MetricExperimentTrials
	MetricExperimentUplift        = contract.MetricExperimentUplift
	MetricExperimentUpliftLower   = contract.MetricExperimentUpliftLower
	MetricExperimentUpliftUpper   = contract.MetricExperimentUpliftUpper
	MetricExperimentPValue        = contract.MetricExperimentPValue
	MetricExperimentGuardrail     = contract.MetricExperimentGuardrail
	MetricDroppedExperimentEvents = contract.MetricDroppedExperimentEvents
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
