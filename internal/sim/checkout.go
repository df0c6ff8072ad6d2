package sim

import (
	"context"
	"fmt"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/log"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/otelcol-payments/otelcol-payments/internal/contract"
)

// Funnel drop-off after each step (probability the visitor leaves).
const (
	dropAfterView        = 0.45
	dropAfterCart        = 0.30
	dropAfterCheckout    = 0.20
	dropAfterPaymentInfo = 0.10
	// retryAfterFailure is the chance a customer tries again after a failed
	// payment (up to maxAttempts).
	retryAfterFailure = 0.45
	maxAttempts       = 3
)

// dropAfter is the usual chance of leaving after each funnel step before
// the purchase (contract.FunnelSteps order).
var dropAfter = [...]float64{dropAfterView, dropAfterCart, dropAfterCheckout, dropAfterPaymentInfo}

// dropAfterStep is the chance that s leaves after funnel step i, with a
// planted Config.Abandonment.
func (s *sess) dropAfterStep(i int) float64 {
	if a := s.e.cfg.Abandonment; a != nil && contract.FunnelStep(a.Step) == i && (a.Country == "" || a.Country == s.country) {
		return a.Drop
	}
	return dropAfter[i]
}

type order struct {
	id, paymentID        string
	currency             string
	method               methodInfo
	items                []lineItem
	subtotal, tax, ship  int64
	total                int64
	cust                 *customer
	checkoutID, couponID string
}

// checkout simulates one visitor going down the funnel.
func (e *emitter) checkout(ctx context.Context, idx int, offset time.Duration) {
	s := e.newSession(e.customers.pick(e.rng), pickCurrency(e.rng, e.cfg.Currencies))
	s.outage = e.cfg.Outage.inWindow(idx, offset)
	cur := s.currency
	if n := len(e.cfg.Channels); n > 0 {
		if i := e.rng.IntN(n + 1); i < n {
			s.channel = e.cfg.Channels[i]
		}
	}
	if n := len(e.cfg.Countries); n > 0 {
		s.country = e.cfg.Countries[e.rng.IntN(n)]
	}
	if ch := e.ledger.channel(s.channel); ch != nil {
		ch.Visits++ // the view_item below
	}
	dropAfterPayment := s.dropAfterStep(3)
	if x := e.cfg.Experiment; x != nil {
		s.variant = VariantControl
		if e.rng.IntN(2) == 1 {
			s.variant = VariantTreatment
			dropAfterPayment += x.CheckoutDropEffect
		}
	}

	p := pickOne(e.rng, e.catalog)
	viewed := []lineItem{{p: p, qty: 1, unitMinor: priceIn(p.usdMinor, cur)}}
	s.http(ctx, "GET", "/products/{id}", "/products/"+p.id, func(ctx context.Context, sp trace.Span) int {
		s.db(ctx, "SELECT", "products")
		s.send(ctx, sp, s.newEvent(contract.EventViewItem, log.SeverityInfo,
			fmt.Sprintf("%s viewed %s", s.cust.email, p.name), viewed,
			append(amountAttrs(e.rng, viewed[0].unitMinor, cur), s.engagement(),
				attribute.String(contract.PaymentCurrency, cur))...), false)
		return 200
	})
	e.ledger.addVisit(s, p.category)
	if s.drops(s.dropAfterStep(0)) {
		return
	}

	s.think()
	cart := e.fillCart(p, cur)
	inStock := true
	s.http(ctx, "POST", "/cart/items", "/cart/items", func(ctx context.Context, sp trace.Span) int {
		for _, it := range cart {
			_, isp := s.startSpan(ctx, contract.SpanInventoryCheck, trace.SpanKindInternal,
				attribute.String(contract.InventoryItemID, it.p.id),
				attribute.String(contract.InventoryItemName, it.p.name),
				attribute.Int64(contract.InventoryAvailable, it.p.stock),
				attribute.Int64(contract.ItemQuantity, it.qty),
			)
			s.advance(1, 6)
			if it.p.stock < it.qty {
				inStock = false
				isp.SetAttributes(attribute.String(contract.ErrorType, "out_of_stock"))
			}
			s.endSpan(isp)
		}
		if !inStock {
			return 409
		}
		s.db(ctx, "INSERT", "cart_items")
		s.send(ctx, sp, s.newEvent(contract.EventAddToCart, log.SeverityInfo,
			fmt.Sprintf("%s added %d item(s) to the cart", s.cust.email, len(cart)), cart,
			append(amountAttrs(e.rng, subtotal(cart), cur), s.engagement(),
				attribute.String(contract.PaymentCurrency, cur))...), false)
		return 201
	})
	if !inStock {
		e.ledger.OutOfStock++
		return
	}
	if s.drops(s.dropAfterStep(1)) {
		return
	}

	s.think()
	ord := e.newOrder(s, cart)
	s.checkoutID = ord.checkoutID
	s.http(ctx, "POST", "/checkout/sessions", "/checkout/sessions", func(ctx context.Context, sp trace.Span) int {
		cctx, csp := s.startSpan(ctx, contract.SpanCheckoutSessionCreate, trace.SpanKindInternal,
			append(amountAttrs(e.rng, ord.total, cur),
				attribute.String(contract.CheckoutSessionID, ord.checkoutID),
				attribute.String(contract.OrderID, ord.id),
				attribute.String(contract.PaymentCurrency, cur),
				attribute.String(contract.CustomerID, s.cust.id))...)
		s.db(cctx, "INSERT", "checkout_sessions")
		s.endSpan(csp)
		attrs := append(amountAttrs(e.rng, ord.total, cur), s.engagement(),
			attribute.String(contract.PaymentCurrency, cur),
			attribute.String(contract.OrderID, ord.id))
		if ord.couponID != "" {
			attrs = append(attrs, attribute.String(contract.OrderCoupon, ord.couponID))
		}
		s.send(ctx, sp, s.newEvent(contract.EventBeginCheckout, log.SeverityInfo,
			fmt.Sprintf("checkout %s started by %s from %s", ord.checkoutID, s.cust.email, s.ip), cart, attrs...), false)
		return 201
	})
	if s.drops(s.dropAfterStep(2)) {
		return
	}

	s.think()
	s.http(ctx, "POST", "/checkout/sessions/{id}/payment_method", "/checkout/sessions/"+ord.checkoutID+"/payment_method", func(ctx context.Context, sp trace.Span) int {
		_, psp := s.startSpan(ctx, contract.SpanPaymentIntentCreate, trace.SpanKindClient,
			append(e.paymentAttrs(ord, ord.total), attribute.String(contract.PaymentStatus, contract.StatusPending))...)
		s.advance(80, 400)
		s.endSpan(psp)
		s.send(ctx, sp, s.newEvent(contract.EventAddPaymentInfo, log.SeverityInfo,
			fmt.Sprintf("%s chose %s", s.cust.email, ord.method.method), cart,
			append(e.paymentAttrs(ord, ord.total), s.engagement())...), false)
		return 200
	})
	if s.drops(dropAfterPayment) {
		return
	}

	for attempt := 1; attempt <= maxAttempts; attempt++ {
		s.think()
		if s.confirm(ctx, ord, attempt, "", randPAN(e.rng)) {
			return
		}
		if !s.drops(retryAfterFailure) {
			return
		}
	}
}

func (e *emitter) fillCart(first *product, cur string) []lineItem {
	cart := []lineItem{{p: first, qty: e.qty(), unitMinor: priceIn(first.usdMinor, cur)}}
	for n := e.rng.IntN(3); n > 0; n-- {
		p := pickOne(e.rng, e.catalog)
		dup := false
		for _, it := range cart {
			dup = dup || it.p == p
		}
		if !dup {
			cart = append(cart, lineItem{p: p, qty: e.qty(), unitMinor: priceIn(p.usdMinor, cur)})
		}
	}
	return cart
}

func (e *emitter) qty() int64 {
	if e.rng.IntN(5) == 0 {
		return int64(2 + e.rng.IntN(3))
	}
	return 1
}

func (e *emitter) newOrder(s *sess, cart []lineItem) *order {
	o := &order{
		id:         "ord_" + randID(e.rng, 16),
		paymentID:  "pi_" + randID(e.rng, 24),
		checkoutID: "cs_live_" + randID(e.rng, 24),
		currency:   s.currency,
		method:     pickMethod(e.rng),
		items:      cart,
		subtotal:   subtotal(cart),
		cust:       s.cust,
	}
	// Free shipping above 100 USD; tax 8%, rounded down to the minor unit.
	if o.subtotal < priceIn(10000, o.currency) {
		o.ship = priceIn(599, o.currency)
	}
	o.tax = o.subtotal * 8 / 100
	o.total = o.subtotal + o.ship + o.tax
	if e.rng.IntN(8) == 0 {
		o.couponID = pickOne(e.rng, []string{"WELCOME10", "SPRING25", "FREESHIP"})
	}
	return o
}

func (s *sess) engagement() attribute.KeyValue {
	return attribute.Int64(contract.GAEngagementTimeMsec, int64(500+s.e.rng.IntN(60000)))
}

// paymentAttrs are the attributes of payment spans and payment events.
func (e *emitter) paymentAttrs(o *order, amountMinor int64) []attribute.KeyValue {
	return append(amountAttrs(e.rng, amountMinor, o.currency),
		attribute.String(contract.PaymentCurrency, o.currency),
		attribute.String(contract.PaymentMethod, o.method.method),
		attribute.String(contract.PaymentProvider, o.method.provider),
		attribute.String(contract.PaymentID, o.paymentID),
		attribute.String(contract.OrderID, o.id),
	)
}

// confirm is one payment attempt: the confirm request, the provider charge,
// and on success the order fulfilment. forced, when not empty, is the error
// type the attempt fails with. It reports whether the payment succeeded.
func (s *sess) confirm(ctx context.Context, o *order, attempt int, forced, pan string) bool {
	e := s.e
	outcome := forced
	if outcome == "" {
		outcome = s.outcome(o.method)
	}
	s.http(ctx, "POST", "/checkout/sessions/{id}/confirm", "/checkout/sessions/"+o.checkoutID+"/confirm", func(ctx context.Context, sp trace.Span) int {
		cctx, csp := s.startSpan(ctx, contract.SpanPaymentCharge, trace.SpanKindClient,
			append(e.paymentAttrs(o, o.total), attribute.Int(contract.PaymentAttempt, attempt),
				attribute.String(contract.CheckoutSessionID, o.checkoutID),
				attribute.String(contract.CustomerID, s.cust.id),
				attribute.String(contract.CustomerEmail, s.cust.email),
				attribute.String(contract.ClientAddress, s.ip))...)
		s.chargeLatency(outcome, o.method.provider)
		if outcome == "" {
			csp.SetAttributes(attribute.String(contract.PaymentStatus, contract.StatusSucceeded))
			s.endSpan(csp)
			e.ledger.Attempts[contract.StatusSucceeded]++
			s.fulfil(ctx, sp, o)
			return 200
		}
		csp.SetAttributes(
			attribute.String(contract.PaymentStatus, contract.StatusFailed),
			attribute.String(contract.PaymentErrorType, outcome),
			attribute.String(contract.ErrorType, outcome),
		)
		excType, msg := exceptionFor(outcome, o, s.ip, pan)
		s.exception(cctx, csp, excType, msg,
			attribute.String(contract.PaymentErrorType, outcome),
			attribute.String(contract.ErrorType, outcome),
			attribute.String(contract.OrderID, o.id))
		s.endSpan(csp)
		e.ledger.Attempts[contract.StatusFailed]++
		e.ledger.FailuresByErrorType[outcome]++
		s.send(ctx, sp, s.newEvent(contract.EventPaymentFailed, log.SeverityWarn,
			fmt.Sprintf("payment %s for %s failed: %s", o.paymentID, s.cust.email, outcome), nil,
			append(e.paymentAttrs(o, o.total),
				attribute.String(contract.PaymentStatus, contract.StatusFailed),
				attribute.String(contract.PaymentErrorType, outcome),
				attribute.Int(contract.PaymentAttempt, attempt))...), false)
		return statusFor(outcome)
	})
	return outcome == ""
}

type failure struct {
	errType string
	p       float64
}

var (
	cardFailures = []failure{
		{contract.ErrCardDeclined, 0.05},
		{contract.ErrInsufficientFunds, 0.025},
		{contract.ErrExpiredCard, 0.01},
		{contract.ErrIncorrectCVC, 0.01},
		{contract.ErrAuthenticationRequired, 0.01},
		{contract.ErrProcessingError, 0.008},
		{contract.ErrTimeout, 0.006},
		{contract.ErrFraudSuspected, 0.005},
		{contract.ErrNetworkError, 0.006},
	}
	walletFailures = []failure{
		{contract.ErrInsufficientFunds, 0.03},
		{contract.ErrProcessingError, 0.01},
		{contract.ErrTimeout, 0.006},
		{contract.ErrFraudSuspected, 0.004},
		{contract.ErrNetworkError, 0.005},
	}
)

// outcome draws an attempt's result: "" for success or an error type.
func (s *sess) outcome(m methodInfo) string {
	if o := s.e.cfg.Outage; s.outage && (o.Provider == "" || o.Provider == m.provider) && s.e.rng.Float64() < o.FailureRate {
		if o.SlowPayments > 0 && s.e.rng.IntN(2) == 0 {
			return contract.ErrTimeout
		}
		return contract.ErrProcessingError
	}
	table := walletFailures
	if m.card {
		table = cardFailures
	}
	x := s.e.rng.Float64()
	for _, f := range table {
		if x < f.p {
			return f.errType
		}
		x -= f.p
	}
	return ""
}

func (s *sess) chargeLatency(outcome, provider string) {
	switch outcome {
	case contract.ErrTimeout:
		s.advance(10000, 10050)
	case contract.ErrProcessingError:
		s.advance(300, 2500)
	case contract.ErrNetworkError:
		s.advance(20, 300)
	default:
		s.advance(150, 900)
	}
	if o := s.e.cfg.Outage; s.outage && (o.Provider == "" || o.Provider == provider) {
		s.t = s.t.Add(o.SlowPayments)
	}
}

func statusFor(errType string) int {
	switch errType {
	case contract.ErrProcessingError:
		return 502
	case contract.ErrNetworkError:
		return 503
	case contract.ErrTimeout:
		return 504
	}
	return 402
}

// exceptionFor builds the provider error as the service would log it: the
// raw message leaks the card number, e-mail and client IP, which is exactly
// what piisanitizer must scrub.
func exceptionFor(errType string, o *order, ip, pan string) (string, string) {
	email := o.cust.email
	if !o.method.card {
		prefix := map[string]string{"paypal": "PayPalRESTError", "klarna": "KlarnaAPIError"}[o.method.provider]
		return prefix, fmt.Sprintf("%s: payment for %s (payer %s, ip %s) was rejected", errType, o.id, email, ip)
	}
	switch errType {
	case contract.ErrCardDeclined:
		return "StripeCardError", fmt.Sprintf("Your card was declined. card=%s customer=%s ip=%s", pan, email, ip)
	case contract.ErrInsufficientFunds:
		return "StripeCardError", fmt.Sprintf("Your card has insufficient funds: card %s declined for %s", pan, email)
	case contract.ErrExpiredCard:
		return "StripeCardError", fmt.Sprintf("Your card has expired (card %s, customer %s)", pan, email)
	case contract.ErrIncorrectCVC:
		return "StripeCardError", fmt.Sprintf("Your card's security code is incorrect: card %s, customer %s, ip %s", pan, email, ip)
	case contract.ErrAuthenticationRequired:
		return "StripeCardError", fmt.Sprintf("3D Secure authentication required for card %s (%s)", pan, email)
	case contract.ErrFraudSuspected:
		return "StripeCardError", fmt.Sprintf("Your card was declined (fraudulent). card=%s email=%s ip=%s", pan, email, ip)
	case contract.ErrProcessingError:
		return "StripeAPIError", fmt.Sprintf("An error occurred while processing card %s for %s; please retry", pan, email)
	case contract.ErrTimeout:
		return "context.DeadlineExceeded", fmt.Sprintf("POST https://api.stripe.com/v1/payment_intents/%s/confirm: context deadline exceeded after 10s (customer %s, client %s)", o.paymentID, email, ip)
	default:
		return "*net.OpError", fmt.Sprintf("POST https://api.stripe.com/v1/payment_intents/%s/confirm: read tcp 10.0.3.7:51234->api.stripe.com:443: connection reset by peer (customer %s)", o.paymentID, email)
	}
}

// fulfil completes a paid order inside the confirm request: store it, take
// the stock, send the receipt, and emit the purchase event (sometimes twice).
func (s *sess) fulfil(ctx context.Context, sp trace.Span, o *order) {
	e := s.e
	s.db(ctx, "INSERT", "orders")
	for _, it := range o.items {
		s.db(ctx, "UPDATE", "products")
		it.p.stock -= it.qty
		if it.p.stock == 0 {
			if _, seen := e.ledger.SoldOut[it.p.id]; !seen {
				e.ledger.SoldOut[it.p.id] = s.t.Round(0).UTC()
			}
		}
		s.send(ctx, sp, e.inventoryEvent(s, it.p, "sale"), false)
	}
	_, esp := s.startSpan(ctx, contract.SpanEmailSend, trace.SpanKindClient,
		attribute.String(contract.CustomerEmail, s.cust.email),
		attribute.String(contract.OrderID, o.id),
		semconv.ServerAddress("smtp.example.com"),
	)
	s.advance(40, 400)
	s.endSpan(esp)

	attrs := append(e.paymentAttrs(o, o.total),
		attribute.String(contract.PaymentStatus, contract.StatusSucceeded),
		attribute.Float64(contract.OrderTax, contract.MinorToMajorFloat(o.tax, o.currency)),
		attribute.Float64(contract.OrderShipping, contract.MinorToMajorFloat(o.ship, o.currency)),
		attribute.Int(contract.OrderItemCount, len(o.items)),
	)
	if o.couponID != "" {
		attrs = append(attrs, attribute.String(contract.OrderCoupon, o.couponID))
	}
	paidAt := s.t
	ev := s.newEvent(contract.EventPurchase, log.SeverityInfo,
		fmt.Sprintf("order %s paid: %s by %s (%s)", o.id, contract.Money{Minor: o.total, Currency: o.currency}, s.cust.email, s.ip),
		o.items, attrs...)
	s.send(ctx, sp, ev, false)
	if e.rng.Float64() < e.cfg.DuplicateRate {
		s.advance(5, 1500)
		s.send(ctx, sp, ev, true)
	}

	e.ledger.addRevenue(o.currency, o.method.method, o.total)
	if ch := e.ledger.channel(s.channel); ch != nil {
		ch.Orders++
		ch.RevenueMinor[o.currency] += o.total
	}
	e.ledger.addPurchase(s, o, paidAt)
	if o.cust.purchases == 0 {
		e.ledger.PurchasesBySegment[contract.SegmentNew]++
	} else {
		e.ledger.PurchasesBySegment[contract.SegmentReturning]++
	}
	o.cust.purchases++
	if e.rng.Float64() < e.cfg.RefundRate && len(e.refundQueue) < maxCustomers {
		e.refundQueue = append(e.refundQueue, o)
	}
}

func (e *emitter) inventoryEvent(s *sess, p *product, reason string) businessEvent {
	sev := log.SeverityInfo
	if p.stock <= p.lowStock {
		sev = log.SeverityWarn
		e.ledger.LowStockUpdates++
	}
	ev := businessEvent{
		name: contract.EventInventory,
		sev:  sev,
		body: fmt.Sprintf("stock of %s (%s) is now %d after %s", p.name, p.id, p.stock, reason),
		attrs: []attribute.KeyValue{
			attribute.String(contract.InventoryItemID, p.id),
			attribute.String(contract.InventoryItemName, p.name),
			attribute.Int64(contract.InventoryAvailable, p.stock),
			attribute.Int64(contract.InventoryLowStockThreshold, p.lowStock),
		},
	}
	if s != nil && s.checkoutID != "" {
		ev.attrs = append(ev.attrs, attribute.String(contract.CheckoutSessionID, s.checkoutID))
	}
	return ev
}

// maybeRestock refills one sold-out or low item now and then, as a
// warehouse delivery (with a ReorderPoint: every session, one item at or
// below it); the event is a log record outside any trace.
func (e *emitter) maybeRestock(ctx context.Context) {
	reorderAt := e.cfg.ReorderPoint
	if reorderAt == 0 || e.cfg.NoRestock {
		// The draw happens with NoRestock too, so a seed gives the same
		// sessions with and without deliveries.
		if e.rng.IntN(50) != 0 || e.cfg.NoRestock {
			return
		}
	}
	for _, p := range e.catalog {
		if p.stock <= max(reorderAt, p.lowStock) {
			// Above the reorder point, or this item would be the only one
			// restocked, every session.
			p.stock = max(p.initial, 3*reorderAt)
			ev := e.inventoryEvent(nil, p, "restock")
			e.emitLog(ctx, ev.name, ev.sev, ev.body, e.now(), ev.attrs)
			e.ledger.Events++
			e.ledger.Funnel[ev.name]++
			return
		}
	}
}

var refundReasons = []string{"requested_by_customer", "duplicate", "fraudulent", "product_unavailable"}

// refund refunds the oldest queued order, fully or partly. A partial refund
// returns some units of one line and lists them in order.items (GA4 needs
// the refunded items); a full refund returns the total with its tax and
// shipping named.
func (e *emitter) refund(ctx context.Context) {
	o := e.refundQueue[0]
	e.refundQueue = e.refundQueue[1:]
	s := e.newSession(o.cust, o.currency)
	s.ip = "198.51.100.250" // the support back office
	s.checkoutID = o.checkoutID
	// One random draw for the partial refund, as before items were listed,
	// so a seed keeps producing the same run.
	var refunded []lineItem
	if o.total >= 2 && e.rng.Float64() >= 0.55 {
		refunded = partialRefund(e.rng.Uint64(), o.items)
	}
	full := refunded == nil
	amount := o.total
	// What the refund span and the refund event carry beyond the payment:
	// tax and shipping of a full refund, the refunded items of a partial
	// one. Span attributes and span events take primitives only (the JSON
	// string form of order.items); log records take the list of maps.
	spanExtra := []attribute.KeyValue{
		attribute.Float64(contract.OrderTax, contract.MinorToMajorFloat(o.tax, o.currency)),
		attribute.Float64(contract.OrderShipping, contract.MinorToMajorFloat(o.ship, o.currency)),
	}
	eventExtra := spanExtra
	if !full {
		amount = subtotal(refunded)
		minorPrices := amount%2 == 0
		spanExtra = []attribute.KeyValue{itemsForSpanEvents(refunded, o.currency, minorPrices)}
		eventExtra = spanExtra
		if !s.spanEvents {
			eventExtra = []attribute.KeyValue{itemsForLogs(refunded, o.currency, minorPrices)}
		}
	}
	reason := pickOne(e.rng, refundReasons)
	s.http(ctx, "POST", "/orders/{id}/refunds", "/orders/"+o.id+"/refunds", func(ctx context.Context, sp trace.Span) int {
		attrs := append(e.paymentAttrs(o, amount),
			attribute.String(contract.PaymentStatus, contract.StatusSucceeded),
			attribute.Bool(contract.PaymentRefundFull, full),
			attribute.String(contract.PaymentRefundReason, reason))
		attrs = append(attrs, spanExtra...)
		rctx, rsp := s.startSpan(ctx, contract.SpanPaymentRefund, trace.SpanKindClient, attrs...)
		s.advance(120, 700)
		s.db(rctx, "UPDATE", "orders")
		s.endSpan(rsp)
		s.send(ctx, sp, s.newEvent(contract.EventRefund, log.SeverityInfo,
			fmt.Sprintf("refunded %s of order %s to %s", contract.Money{Minor: amount, Currency: o.currency}, o.id, o.cust.email),
			nil, e.paymentAttrs(o, amount)...).with(
			append(eventExtra,
				attribute.Bool(contract.PaymentRefundFull, full),
				attribute.String(contract.PaymentRefundReason, reason))...), false)
		return 200
	})
	if e.err == nil {
		e.ledger.addRefund(o.currency, amount, full)
	}
}

// partialRefund picks, from the random number r, some units of one line of
// items, fewer than all units of the order; nil when the order has a single
// unit.
func partialRefund(r uint64, items []lineItem) []lineItem {
	var units int64
	for _, it := range items {
		units += it.qty
	}
	if units < 2 {
		return nil
	}
	line := items[r%uint64(len(items))]
	n := 1 + int64((r/uint64(len(items)))%uint64(line.qty))
	if n == units {
		n--
	}
	line.qty = n
	return []lineItem{line}
}

func (ev businessEvent) with(attrs ...attribute.KeyValue) businessEvent {
	ev.attrs = append(ev.attrs, attrs...)
	return ev
}

// cardTesting is a fraudster validating stolen card numbers: a burst of
// small failed charges from one client, which the service flags as a
// security incident.
func (e *emitter) cardTesting(ctx context.Context) {
	bot := &customer{id: "cus_" + randID(e.rng, 14), email: fmt.Sprintf("user%d@mail.example.com", e.rng.IntN(1e6)), ip: randIP(e.rng)}
	cur := e.cfg.Currencies[0]
	s := e.newSession(bot, cur)
	n := 8 + e.rng.IntN(18)
	card := methodInfo{method: "card", provider: "stripe", card: true}
	for attempt := 1; attempt <= n; attempt++ {
		o := &order{
			id: "ord_" + randID(e.rng, 16), paymentID: "pi_" + randID(e.rng, 24), checkoutID: "cs_live_" + randID(e.rng, 24),
			currency: cur, method: card, cust: bot, total: priceIn(100, cur),
		}
		s.checkoutID = o.checkoutID
		errType := pickOne(e.rng, []string{contract.ErrCardDeclined, contract.ErrCardDeclined, contract.ErrIncorrectCVC, contract.ErrExpiredCard, contract.ErrFraudSuspected})
		s.confirm(ctx, o, attempt, errType, luhnPAN(e.rng))
		s.advance(100, 900)
	}
	s.checkoutID = ""
	incident := "card_testing"
	s.http(ctx, "POST", "/internal/risk/evaluate", "/internal/risk/evaluate", func(ctx context.Context, sp trace.Span) int {
		s.send(ctx, sp, s.newEvent(contract.EventSecurity, log.SeverityError,
			fmt.Sprintf("card testing suspected: %d failed card payments from %s (%s)", n, s.ip, bot.email), nil,
			attribute.String(contract.SecurityIncidentType, incident),
			attribute.String(contract.SecuritySeverity, contract.SeverityHigh),
			attribute.Int(contract.PaymentAttempt, n)), false)
		return 200
	})
	e.ledger.SecurityIncidents[incident]++
}
