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

// Label keys are read tolerantly: the contract key first, then the short
// forms a producer might use.
var (
	outcomeKeys   = []string{"outcome", "payment.outcome", contract.PaymentStatus}
	methodKeys    = []string{contract.PaymentMethod, "method"}
	errorTypeKeys = []string{contract.PaymentErrorType, contract.ErrorType}
	stepKeys      = []string{"step", contract.CheckoutStep, contract.EventName}
	segmentKeys   = []string{contract.CustomerSegment, "segment"}
	currencyKeys  = []string{contract.PaymentReportingCurrency, contract.PaymentCurrency, "currency"}
	itemKeys      = []string{contract.InventoryItemID, "item_id"}
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
