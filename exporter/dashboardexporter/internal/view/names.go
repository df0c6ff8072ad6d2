package view

import (
	"strconv"
	"strings"

	"github.com/otelcol-payments/otelcol-payments/internal/contract"
)

// Metric names emitted by the paymentbi connector (internal/contract).
const (
	MetricRevenue          = contract.MetricPaymentRevenue
	MetricRevenueReporting = contract.MetricPaymentRevenueReporting
	MetricOrders           = contract.MetricPaymentOrders
	MetricAttempts         = contract.MetricPaymentAttempts
	MetricRefunds          = contract.MetricPaymentRefunds
	MetricFunnel           = contract.MetricCheckoutFunnelEvents
	MetricConversion       = contract.MetricCheckoutConversionRatio
	MetricSuccessRatio     = contract.MetricPaymentSuccessRatio
	MetricCustomerOrders   = contract.MetricCustomerOrders
	MetricCustomerDistinct = contract.MetricCustomerDistinct
	MetricInventoryAvail   = contract.MetricInventoryAvailable
	MetricInventoryReserve = contract.MetricInventoryReserved
	MetricRevenueDaily     = contract.MetricRevenueDaily
	MetricRevenueMonthly   = contract.MetricRevenueMonthly
	targetSuffix           = contract.RevenueTargetSuffix
)

// Span metrics connector metric names under its namespace.
const (
	spanCalls    = ".calls"
	spanDuration = ".duration"
	spanNameKey  = contract.SpanName
	statusKey    = contract.StatusCode
	statusError  = "STATUS_CODE_ERROR"
)

// Label keys of paymentbi's metrics (internal/contract/metrics.go). The
// currency is the reporting one where the metric has it.
var (
	outcomeKeys   = []string{contract.PaymentStatus}
	methodKeys    = []string{contract.PaymentMethod}
	errorTypeKeys = []string{contract.PaymentErrorType}
	stepKeys      = []string{contract.CheckoutStep}
	segmentKeys   = []string{contract.CustomerSegment}
	currencyKeys  = []string{contract.PaymentReportingCurrency, contract.PaymentCurrency}
	itemKeys      = []string{contract.InventoryItemID}
)

var stepLabels = map[string]string{
	contract.EventViewItem:       "Viewed item",
	contract.EventAddToCart:      "Added to cart",
	contract.EventBeginCheckout:  "Began checkout",
	contract.EventAddPaymentInfo: "Added payment info",
	contract.EventPurchase:       "Purchased",
}

// funnelIndex maps a step label value to its funnel index: a contract event
// name, the same without the ecommerce. prefix, or the index itself.
func funnelIndex(v string) int {
	if i := contract.FunnelStep(v); i >= 0 {
		return i
	}
	if i := contract.FunnelStep("ecommerce." + v); i >= 0 {
		return i
	}
	if i, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && i >= 0 && i < len(contract.FunnelSteps) {
		return i
	}
	return -1
}

func isSucceeded(outcome string) bool { return outcome == contract.StatusSucceeded }
func isFailed(outcome string) bool    { return outcome == contract.StatusFailed }
