package contract

import "strings"

// AttributeKeys are the contract's attribute keys (keys.go), for checks
// that a configured key is one of them.
func AttributeKeys() []string {
	return []string{
		PaymentAmount, PaymentAmountMinor, PaymentCurrency, PaymentMethod, PaymentProvider, PaymentStatus,
		PaymentErrorType, PaymentID, PaymentAttempt, PaymentRefundReason, PaymentRefundFull,
		OrderID, OrderItems, OrderTax, OrderShipping, OrderCoupon, OrderItemCount,
		CheckoutSessionID, CheckoutStep,
		CustomerID, CustomerEmail, CustomerSegment,
		GAClientID, GASessionID, GAEngagementTimeMsec, GAConsentAdUserData, GAConsentAdPersonal,
		InventoryItemID, InventoryItemName, InventoryAvailable, InventoryReserved, InventoryLowStockThreshold,
		SecurityIncidentType, SecuritySeverity,
		PaymentReportingAmountMinor, PaymentReportingCurrency,
		EventName, ServiceName, ServiceVersion, DeploymentEnv, ClientAddress, ErrorType,
		ExceptionType, ExceptionMessage, ExceptionStacktrace,
		HTTPRoute, HTTPRequestMethod, HTTPResponseStatus, DBSystemName, DBOperationName, DBCollectionName,
		ExperimentID, ExperimentVariant, UTMSource, UTMMedium, UTMCampaign, GeoCountry,
	}
}

// contractNamespaces are the namespaces this contract defines (no
// OpenTelemetry semantic convention covers payments).
var contractNamespaces = []string{"payment", "order", "checkout", "customer", "ga", "inventory", "security", "experiment", "utm"}

// IsContractNamespace reports whether key lies in a namespace the contract
// defines, where every key is one of AttributeKeys.
func IsContractNamespace(key string) bool {
	ns, _, ok := strings.Cut(key, ".")
	if !ok {
		return false
	}
	for _, n := range contractNamespaces {
		if ns == n {
			return true
		}
	}
	return false
}
