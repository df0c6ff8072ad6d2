package view

import (
	"strconv"
	"strings"

	"github.com/otelcol-payments/otelcol-payments/internal/contract"
)

// Metric names emitted by the paymentbi connector.
const (
	MetricRevenue          = "payment.revenue"
	MetricRevenueReporting = "payment.revenue.reporting"
	MetricOrders           = "payment.orders"
	MetricAttempts         = "payment.attempts"
	MetricRefunds          = "payment.refunds"
	MetricFunnel           = "checkout.funnel.events"
	MetricConversion       = "checkout.conversion.ratio"
	MetricSuccessRatio     = "payment.success.ratio"
	MetricCustomerOrders   = "customer.orders"
	MetricCustomerDistinct = "customer.distinct"
	MetricInventoryAvail   = "inventory.available"
	MetricInventoryReserve = "inventory.reserved"
	MetricRevenueDaily     = "payment.revenue.daily"
	MetricRevenueMonthly   = "payment.revenue.monthly"
	targetSuffix           = ".target"
)

// Span metrics connector metric names under its namespace.
const (
	spanCalls    = ".calls"
	spanDuration = ".duration"
	spanNameKey  = "span.name"
	statusKey    = "status.code"
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
