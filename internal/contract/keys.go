package contract

// Payment attributes, on payment spans and on business events.
const (
	// PaymentAmount is the amount in major units (49.99 USD), as a double, an
	// int or a decimal string. A decimal string is exact; a double is rounded
	// half away from zero to the currency's minor unit.
	PaymentAmount = "payment.amount"
	// PaymentAmountMinor is the amount in integer minor units (4999 for
	// 49.99 USD, 500 for 500 JPY). It wins over PaymentAmount when both are set.
	PaymentAmountMinor = "payment.amount_minor"
	// PaymentCurrency is the ISO 4217 alphabetic code, upper case.
	PaymentCurrency  = "payment.currency"
	PaymentMethod    = "payment.method"
	PaymentProvider  = "payment.provider"
	PaymentStatus    = "payment.status"
	PaymentErrorType = "payment.error_type"
	// PaymentID is the provider's payment or intent id (high cardinality:
	// never a metric attribute).
	PaymentID      = "payment.id"
	PaymentAttempt = "payment.attempt"
	// PaymentRefundReason and PaymentRefundFull describe a refund (event or
	// span); a partial refund lists the refunded items in OrderItems.
	PaymentRefundReason = "payment.refund.reason"
	PaymentRefundFull   = "payment.refund.full"
)

// Order attributes.
const (
	OrderID = "order.id"
	// OrderItems is the list of line items: a slice of maps on log records, or
	// a JSON array in a string where only primitive values are allowed (span
	// events). Each item has the Item* keys below.
	OrderItems     = "order.items"
	OrderTax       = "order.tax"      // major units, like PaymentAmount
	OrderShipping  = "order.shipping" // major units, like PaymentAmount
	OrderCoupon    = "order.coupon"
	OrderItemCount = "order.item_count"
)

// Keys inside one element of OrderItems. They follow GA4's item fields.
const (
	ItemID         = "item_id"
	ItemName       = "item_name"
	ItemCategory   = "item_category"
	ItemPrice      = "price"       // major units
	ItemPriceMinor = "price_minor" // integer minor units, wins over price
	ItemQuantity   = "quantity"
)

// Checkout attributes.
const (
	CheckoutSessionID = "checkout.session.id"
	// CheckoutStep is the funnel step index that paymentbi derives (0-based,
	// see FunnelSteps).
	CheckoutStep = "checkout.step"
)

// Customer attributes. CustomerID and CustomerEmail carry raw personal data
// at the source; piisanitizer replaces them with a keyed pseudonym before
// anything leaves the collector, and every later component identifies the
// customer by that pseudonym.
const (
	CustomerID    = "customer.id"
	CustomerEmail = "customer.email"
	// CustomerSegment is derived by paymentbi: "new" or "returning".
	CustomerSegment = "customer.segment"
)

// Customer segments.
const (
	SegmentNew       = "new"
	SegmentReturning = "returning"
)

// Web analytics identity, stitched to the browser session by the GA4 exporter.
const (
	GAClientID           = "ga.client_id"
	GASessionID          = "ga.session_id"
	GAEngagementTimeMsec = "ga.engagement_time_msec"
	GAConsentAdUserData  = "ga.consent.ad_user_data"
	GAConsentAdPersonal  = "ga.consent.ad_personalization"
)

// Inventory attributes, on inventory check spans and inventory.update events.
const (
	InventoryItemID    = "inventory.item_id"
	InventoryItemName  = "inventory.item_name"
	InventoryAvailable = "inventory.available"
	InventoryReserved  = "inventory.reserved"
	// InventoryLowStockThreshold is the level under which the service itself
	// considers the item low on stock (optional).
	InventoryLowStockThreshold = "inventory.low_stock_threshold"
)

// Security incident attributes.
const (
	SecurityIncidentType = "security.incident.type"
	SecuritySeverity     = "security.severity"
)

// Derived by paymentbi: the amount in the reporting currency, minor units.
const (
	PaymentReportingAmountMinor = "payment.reporting.amount_minor"
	PaymentReportingCurrency    = "payment.reporting.currency"
)

// OpenTelemetry semantic convention keys this contract relies on. They are
// repeated here so components share one spelling.
const (
	EventName           = "event.name"
	ServiceName         = "service.name"
	ServiceVersion      = "service.version"
	DeploymentEnv       = "deployment.environment.name"
	ClientAddress       = "client.address"
	ErrorType           = "error.type"
	ExceptionType       = "exception.type"
	ExceptionMessage    = "exception.message"
	ExceptionStacktrace = "exception.stacktrace"
	// ExceptionEventName is the span event name the SDKs use for RecordError.
	ExceptionEventName = "exception"
	HTTPRoute          = "http.route"
	HTTPRequestMethod  = "http.request.method"
	HTTPResponseStatus = "http.response.status_code"
	DBSystemName       = "db.system.name"
	DBOperationName    = "db.operation.name"
	DBCollectionName   = "db.collection.name"
)

// Payment statuses (PaymentStatus values).
const (
	StatusSucceeded = "succeeded"
	StatusFailed    = "failed"
	StatusPending   = "pending"
	StatusCanceled  = "canceled"
)

// Payment error types (PaymentErrorType values). Applications may send other
// values; these are the ones dashboards and default alert rules know.
const (
	ErrCardDeclined           = "card_declined"
	ErrInsufficientFunds      = "insufficient_funds"
	ErrExpiredCard            = "expired_card"
	ErrIncorrectCVC           = "incorrect_cvc"
	ErrProcessingError        = "processing_error"
	ErrTimeout                = "timeout"
	ErrFraudSuspected         = "fraud_suspected"
	ErrAuthenticationRequired = "authentication_required"
	ErrNetworkError           = "network_error"
)

// CriticalErrorTypes are payment error types that page at once: they point
// at the platform or at fraud rather than at one customer's card.
var CriticalErrorTypes = []string{ErrProcessingError, ErrFraudSuspected, ErrTimeout}

// ProviderErrorTypes are the provider's or platform's failures, as opposed
// to customers' declines (10-15 % of attempts on a healthy shop): the
// share the shipped payment failure rules and the dashboard's health
// judge.
var ProviderErrorTypes = []string{ErrProcessingError, ErrTimeout, ErrNetworkError}
