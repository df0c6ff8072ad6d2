package engine

// MetricNames lists every metric name the engine can emit, for configs
// that refer to them (threshold rules) to be checked at start.
func MetricNames() []string {
	names := []string{
		MetricRevenue, MetricRevenueReporting, MetricOrders, MetricAttempts, MetricFailures,
		MetricRefunds, MetricRefundsAmount, MetricDuration, MetricFunnelEvents, MetricConversionRatio,
		MetricAbandonmentRatio, MetricSuccessRatio, MetricOrderValueAverage, MetricCustomerOrders,
		MetricCustomerDistinct, MetricLifetimeValue, MetricInventoryAvailable, MetricInventoryReserved,
		MetricInvalidEvents, MetricDuplicateEvents, MetricLatePurchases, MetricLateInventory,
	}
	for _, period := range []string{MetricRevenueDaily, MetricRevenueMonthly} {
		names = append(names, period, period+".pace", period+".target", period+".progress")
	}
	return names
}
