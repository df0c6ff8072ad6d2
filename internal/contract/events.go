package contract

// Business event names (the event.name of a log record, or the name of a span
// event). Funnel steps use GA4's ecommerce names under the ecommerce namespace.
const (
	EventViewItem       = "ecommerce.view_item"
	EventAddToCart      = "ecommerce.add_to_cart"
	EventBeginCheckout  = "ecommerce.begin_checkout"
	EventAddPaymentInfo = "ecommerce.add_payment_info"
	EventPurchase       = "ecommerce.purchase"
	EventRefund         = "ecommerce.refund"
	EventPaymentFailed  = "payment.failed"
	EventInventory      = "inventory.update"
	EventSecurity       = "security.incident"
	// EventAlert is the event.name of an alert record (see alert.go).
	EventAlert = "alert"
)

// FunnelSteps is the checkout funnel in order; an event's index here is its
// checkout.step.
var FunnelSteps = []string{EventViewItem, EventAddToCart, EventBeginCheckout, EventAddPaymentInfo, EventPurchase}

// FunnelStep returns the funnel index of an event name, or -1.
func FunnelStep(eventName string) int {
	for i, s := range FunnelSteps {
		if s == eventName {
			return i
		}
	}
	return -1
}

// IsBusinessEvent reports whether name is one of the contract's business events.
func IsBusinessEvent(name string) bool {
	switch name {
	case EventViewItem, EventAddToCart, EventBeginCheckout, EventAddPaymentInfo,
		EventPurchase, EventRefund, EventPaymentFailed, EventInventory, EventSecurity, EventInventoryRelease:
		return true
	}
	return false
}

// Span names of payment operations. Spans of other operations keep their
// OpenTelemetry semantic convention names (HTTP server spans "GET /route",
// database spans with db.system.name).
const (
	SpanCheckoutSessionCreate = "checkout.session.create"
	SpanPaymentIntentCreate   = "payment.intent.create"
	SpanPaymentCharge         = "payment.charge"
	SpanPaymentRefund         = "payment.refund"
	SpanInventoryCheck        = "inventory.check"
	SpanEmailSend             = "email.send"
)
