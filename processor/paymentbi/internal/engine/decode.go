package engine

import (
	"errors"
	"math"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/otelcol-payments/otelcol-payments/internal/contract"
)

// ErrInventoryLevel is the invalid-event reason for an inventory level that
// is not a non-negative integer.
var ErrInventoryLevel = errors.New("invalid_inventory_level")

type kind uint8

const (
	kindNone kind = iota
	kindFunnel
	kindPurchase
	kindRefund
	kindPaymentFailed
	kindInventory
	kindCharge
	kindRelease // inventory.release: a checkout's held units go back
)

// eventKind classifies a log record's event.name or a span event's name.
func eventKind(name string) kind {
	switch name {
	case contract.EventPurchase:
		return kindPurchase
	case contract.EventRefund:
		return kindRefund
	case contract.EventPaymentFailed:
		return kindPaymentFailed
	case contract.EventInventory:
		return kindInventory
	case contract.EventInventoryRelease:
		return kindRelease
	case contract.EventViewItem, contract.EventAddToCart, contract.EventBeginCheckout, contract.EventAddPaymentInfo:
		return kindFunnel
	}
	return kindNone
}

// spanKind classifies a span by name: payment charges are attempts,
// refunds are refunds (counted once with their ecommerce.refund event),
// inventory checks report stock levels.
func spanKind(name string) kind {
	switch name {
	case contract.SpanPaymentCharge:
		return kindCharge
	case contract.SpanPaymentRefund:
		return kindRefund
	case contract.SpanInventoryCheck:
		return kindInventory
	}
	return kindNone
}

// event is a business event or payment span decoded per the contract.
type event struct {
	kind kind
	name string
	step int

	hasMoney  bool  // money and reporting are valid
	moneyErr  error // why money present on the event is invalid
	money     contract.Money
	reporting int64

	method, provider, status, errorType string
	orderID, paymentID, customer        string
	checkoutID                          string // not journaled: resKey is
	// orderKey is the dedup hash of a purchase's orderID (hasOrder): the
	// journal keeps the hash, not the id.
	orderKey uint64
	hasOrder bool
	segment  string // as found on the record

	itemID                    string
	available, reserved       int64
	hasAvailable, hasReserved bool

	duration  time.Duration
	spanError bool
	// fromSpan marks a payment span (not a business event); traceID is the
	// record's trace, which the two forms of one refund share.
	fromSpan bool
	traceID  pcommon.TraceID
	// at is when the event happened per its record (0: unknown); it picks
	// the day and month its revenue belongs to.
	at pcommon.Timestamp

	// resKey names the checkout whose held stock a begin_checkout opens and
	// a purchase or release closes (hasRes); items are the units of a
	// begin_checkout or purchase per item id (forecast.go).
	resKey uint64
	hasRes bool
	items  []itemQty
	// expID and expVariant are the experiment and variant (experiment.go);
	// channel is the utm.source (segments.go).
	expID, expVariant string
	channel           string
	// country is geo.country.iso_code as sent (segments.go checks it).
	country string
	// found are the eventAttrs slots present on the record (enrich sizes
	// the attribute growth by them).
	found uint32
}

// itemQty is the quantity of one item id in an order or checkout, with
// its category and line amount (price × quantity, minor units of the
// event's currency) for the segments.
type itemQty struct {
	id        string
	qty       int64
	category  string
	lineMinor int64
}

// moneyRequired reports whether an event of this kind is meaningless
// without a valid amount.
func (k kind) moneyRequired() bool { return k == kindPurchase || k == kindRefund }

// Attributes decode reads, each a slot of eventAttrs.
const (
	slotCurrency = iota
	slotAmountMinor
	slotAmount
	slotMethod
	slotProvider
	slotStatus
	slotErrorType
	slotOrderID
	slotPaymentID
	slotCustomerID
	slotCustomerEmail
	slotSegment
	slotCheckoutID
	slotItemID
	slotItemName
	slotAvailable
	slotReserved
	slotItems
	slotChannel
	slotCountry
	slotExpID
	slotExpVariant
	numSlots
)

// attrSlot names the slot of an attribute key decode reads.
func attrSlot(key string) (int, bool) {
	switch key {
	case contract.PaymentCurrency:
		return slotCurrency, true
	case contract.PaymentAmountMinor:
		return slotAmountMinor, true
	case contract.PaymentAmount:
		return slotAmount, true
	case contract.PaymentMethod:
		return slotMethod, true
	case contract.PaymentProvider:
		return slotProvider, true
	case contract.PaymentStatus:
		return slotStatus, true
	case contract.PaymentErrorType:
		return slotErrorType, true
	case contract.OrderID:
		return slotOrderID, true
	case contract.PaymentID:
		return slotPaymentID, true
	case contract.CustomerID:
		return slotCustomerID, true
	case contract.CustomerEmail:
		return slotCustomerEmail, true
	case contract.CustomerSegment:
		return slotSegment, true
	case contract.CheckoutSessionID:
		return slotCheckoutID, true
	case contract.InventoryItemID:
		return slotItemID, true
	case contract.InventoryItemName:
		return slotItemName, true
	case contract.InventoryAvailable:
		return slotAvailable, true
	case contract.InventoryReserved:
		return slotReserved, true
	case contract.OrderItems:
		return slotItems, true
	case contract.UTMSource:
		return slotChannel, true
	case contract.GeoCountry:
		return slotCountry, true
	case contract.ExperimentID:
		return slotExpID, true
	case contract.ExperimentVariant:
		return slotExpVariant, true
	}
	return 0, false
}

// eventAttrs holds the attributes decode reads, found in one pass over
// the record's map instead of a linear Map.Get per key (the hot spot of
// decoding a record with a few dozen attributes). Like Map.Get, the first
// occurrence of a repeated key wins.
type eventAttrs struct {
	vals  [numSlots]pcommon.Value
	found uint32
}

func (a *eventAttrs) read(attrs pcommon.Map) {
	for k, v := range attrs.All() {
		if i, ok := attrSlot(k); ok && a.found&(1<<i) == 0 {
			a.vals[i], a.found = v, a.found|1<<i
		}
	}
}

func (a *eventAttrs) get(slot int) (pcommon.Value, bool) {
	if a.found&(1<<slot) == 0 {
		return pcommon.Value{}, false
	}
	return a.vals[slot], true
}

func (a *eventAttrs) str(slot int) string {
	if v, ok := a.get(slot); ok && v.Type() == pcommon.ValueTypeStr {
		return v.Str()
	}
	return ""
}

func (a *eventAttrs) has(slot int) bool { return a.found&(1<<slot) != 0 }

// decode reads the event's attributes into ev, overwriting all of it. Money is read when the kind needs it
// or the attributes carry an amount; it is converted to the reporting
// currency, and any failure is kept in moneyErr with a contract reason.
// With bufs it reads the item units too (the connector's forecast and
// segments): the processor does not need them, and parsing order.items is
// the costliest part of a decode.
func decode(ev *event, k kind, name string, attrs pcommon.Map, conv *Converter, bufs *itemBufs) {
	*ev = event{kind: k, name: name, step: contract.FunnelStep(name)}
	var a eventAttrs
	a.read(attrs)
	ev.found = a.found
	if k.moneyRequired() || a.has(slotAmountMinor) || a.has(slotAmount) {
		m, err := contract.AmountFrom(attrs)
		if errors.Is(err, contract.ErrAmountMissing) {
			m, err = amountFromItems(attrs, m.Currency)
		}
		if err == nil {
			ev.reporting, err = conv.Convert(m)
		}
		if err == nil {
			ev.money, ev.hasMoney = m, true
		} else {
			ev.moneyErr = err
		}
	}
	ev.method = a.str(slotMethod)
	ev.provider = a.str(slotProvider)
	ev.status = a.str(slotStatus)
	ev.errorType = a.str(slotErrorType)
	ev.orderID = a.str(slotOrderID)
	ev.paymentID = a.str(slotPaymentID)
	ev.customer = a.str(slotCustomerID)
	if ev.customer == "" {
		ev.customer = a.str(slotCustomerEmail)
	}
	ev.segment = a.str(slotSegment)
	ev.checkoutID = a.str(slotCheckoutID)
	if k == kindInventory {
		ev.itemID = a.str(slotItemID)
		if ev.itemID == "" {
			ev.itemID = a.str(slotItemName)
		}
		ev.available, ev.hasAvailable = level(&a, slotAvailable, &ev.moneyErr)
		ev.reserved, ev.hasReserved = level(&a, slotReserved, &ev.moneyErr)
	}
	if bufs != nil && (k == kindPurchase || k == kindRelease || ev.step == stepBeginCheckout || ev.step == 0) {
		ev.items = bufs.quantities(&a, ev.money.Currency)
	}
	ev.channel = a.str(slotChannel)
	ev.country = a.str(slotCountry)
	ev.expID = a.str(slotExpID)
	ev.expVariant = a.str(slotExpVariant)
}

// stepBeginCheckout is the funnel step that reserves stock.
var stepBeginCheckout = contract.FunnelStep(contract.EventBeginCheckout)

// quantities reads the units per item id of order.items (item_name when
// an item has no id); malformed items give none: the forecast then misses
// the order, which its money checks already count as invalid.
func (b *itemBufs) quantities(a *eventAttrs, currency string) []itemQty {
	iv, ok := a.get(slotItems)
	if !ok {
		return nil
	}
	if currency == "" {
		currency = a.str(slotCurrency)
	}
	var err error
	if b.lines, err = contract.AppendItems(b.lines[:0], iv, currency); err != nil {
		return nil
	}
	start := len(b.units)
	for _, it := range b.lines {
		id := it.ID
		if id == "" {
			id = it.Name
		}
		if id != "" && it.Quantity > 0 {
			line := int64(0)
			if it.PriceMinor > 0 && it.PriceMinor <= math.MaxInt64/it.Quantity {
				line = it.PriceMinor * it.Quantity
			}
			b.units = append(b.units, itemQty{id: id, qty: it.Quantity, category: it.Category, lineMinor: line})
		}
	}
	clear(b.lines) // no reference into the batch's pdata outlives it
	if len(b.units) == start {
		return nil
	}
	// capped, so that no later append writes over this event's items
	return b.units[start:len(b.units):len(b.units)]
}

// itemBufs are an engine's buffers for decoding items, reused under e.mu:
// the lines of one order.items value, and the units that every event of
// one batch points into. A batch's events are done with their items when
// the batch ends (held stock keeps a copy), so the next batch reuses them;
// an append that outgrows the buffer leaves the earlier events on the old
// array.
type itemBufs struct {
	lines []contract.Item
	units []itemQty
}

// reset starts a batch.
func (b *itemBufs) reset() *itemBufs {
	// an unusually large batch's buffer (in items) is let go
	const keep = 1 << 16
	clear(b.units) // the previous batch's strings
	if cap(b.units) > keep {
		b.units = nil
	}
	b.units = b.units[:0]
	return b
}

// level reads a stock level; a present but malformed one sets *errOut.
func level(a *eventAttrs, slot int, errOut *error) (int64, bool) {
	v, ok := a.get(slot)
	if !ok {
		return 0, false
	}
	n, err := contract.ParseMinorValue(v)
	if err != nil {
		*errOut = ErrInventoryLevel
		return 0, false
	}
	return n, true
}

// reason maps an error to its invalid-event reason: the contract's error
// strings (nan_amount, unknown_currency, ...) or ours.
func reason(err error) string {
	for _, known := range knownReasons {
		if errors.Is(err, known) {
			return known.Error()
		}
	}
	return "invalid"
}

var knownReasons = []error{
	contract.ErrAmountMissing, contract.ErrAmountNotNumeric, contract.ErrAmountNaN,
	contract.ErrAmountInfinite, contract.ErrAmountNegative, contract.ErrAmountOverflow,
	contract.ErrAmountPrecision, contract.ErrAmountAmbiguous, contract.ErrCurrencyMissing, contract.ErrCurrencyUnknown,
	contract.ErrItemsMalformed, ErrNoExchangeRate, ErrInventoryLevel,
}

// addInt64 adds b >= 0 to a, reporting false on overflow.
func addInt64(a, b int64) (int64, bool) {
	if b > math.MaxInt64-a {
		return a, false
	}
	return a + b, true
}

// amountFromItems is the fallback for an event without an amount: the sum
// of its line items plus tax and shipping, as GA4 computes an order value.
func amountFromItems(attrs pcommon.Map, currency string) (contract.Money, error) {
	iv, ok := attrs.Get(contract.OrderItems)
	if !ok {
		return contract.Money{}, contract.ErrAmountMissing
	}
	items, err := contract.ParseItems(iv, currency)
	if err != nil {
		return contract.Money{}, err
	}
	if len(items) == 0 {
		return contract.Money{}, contract.ErrAmountMissing
	}
	var total int64
	for _, it := range items {
		if it.Quantity > 0 && it.PriceMinor > math.MaxInt64/it.Quantity {
			return contract.Money{}, contract.ErrAmountOverflow
		}
		var ok bool
		if total, ok = addInt64(total, it.PriceMinor*it.Quantity); !ok {
			return contract.Money{}, contract.ErrAmountOverflow
		}
	}
	for _, key := range []string{contract.OrderTax, contract.OrderShipping} {
		v, ok := attrs.Get(key)
		if !ok {
			continue
		}
		extra, err := contract.ParseMajorValue(v, currency)
		if err != nil {
			return contract.Money{}, err
		}
		if total, ok = addInt64(total, extra); !ok {
			return contract.Money{}, contract.ErrAmountOverflow
		}
	}
	return contract.Money{Minor: total, Currency: currency}, nil
}
