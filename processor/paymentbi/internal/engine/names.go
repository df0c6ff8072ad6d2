package engine

// The engine's short names for the later internal/contract metric names,
// by the file that emits them. The contract is the list: the engine has
// none of its own (contract_test.go checks what it emits against it).

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

// The series bound's fold counter (series.go).
const MetricFoldedEvents = contract.MetricFoldedEvents
