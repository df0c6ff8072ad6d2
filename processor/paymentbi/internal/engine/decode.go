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

func getStr(attrs pcommon.Map, key string) string {
	if v, ok := attrs.Get(key); ok && v.Type() == pcommon.ValueTypeStr {
		return v.Str()
	}
	return ""
}

func hasAmount(attrs pcommon.Map) bool {
	if _, ok := attrs.Get(contract.PaymentAmountMinor); ok {
		return true
	}
	_, ok := attrs.Get(contract.PaymentAmount)
	return ok
}

// decode reads the event's attributes. Money is read when the kind needs it
// or the attributes carry an amount; it is converted to the reporting
// currency, and any failure is kept in moneyErr with a contract reason.
func decode(k kind, name string, attrs pcommon.Map, conv *Converter) event {
	ev := event{kind: k, name: name, step: contract.FunnelStep(name)}
	if k.moneyRequired() || hasAmount(attrs) {
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
	ev.method = getStr(attrs, contract.PaymentMethod)
	ev.provider = getStr(attrs, contract.PaymentProvider)
	ev.status = getStr(attrs, contract.PaymentStatus)
	ev.errorType = getStr(attrs, contract.PaymentErrorType)
	ev.orderID = getStr(attrs, contract.OrderID)
	ev.paymentID = getStr(attrs, contract.PaymentID)
	ev.customer = getStr(attrs, contract.CustomerID)
	if ev.customer == "" {
		ev.customer = getStr(attrs, contract.CustomerEmail)
	}
	ev.segment = getStr(attrs, contract.CustomerSegment)
	ev.checkoutID = getStr(attrs, contract.CheckoutSessionID)
	if k == kindInventory {
		ev.itemID = getStr(attrs, contract.InventoryItemID)
		if ev.itemID == "" {
			ev.itemID = getStr(attrs, contract.InventoryItemName)
		}
		ev.available, ev.hasAvailable = level(attrs, contract.InventoryAvailable, &ev.moneyErr)
		ev.reserved, ev.hasReserved = level(attrs, contract.InventoryReserved, &ev.moneyErr)
	}
	if k == kindPurchase || k == kindRelease || ev.step == stepBeginCheckout || ev.step == 0 {
		ev.items = itemQuantities(attrs, ev.money.Currency)
	}
	ev.channel = getStr(attrs, contract.UTMSource)
	ev.country = getStr(attrs, contract.GeoCountry)
	ev.expID = getStr(attrs, contract.ExperimentID)
	ev.expVariant = getStr(attrs, contract.ExperimentVariant)
	return ev
}

// stepBeginCheckout is the funnel step that reserves stock.
var stepBeginCheckout = contract.FunnelStep(contract.EventBeginCheckout)

// itemQuantities reads the units per item id of order.items (item_name when
// an item has no id); malformed items give none: the forecast then misses
// the order, which its money checks already count as invalid.
func itemQuantities(attrs pcommon.Map, currency string) []itemQty {
	iv, ok := attrs.Get(contract.OrderItems)
	if !ok {
		return nil
	}
	if currency == "" {
		currency = getStr(attrs, contract.PaymentCurrency)
	}
	items, err := contract.ParseItems(iv, currency)
	if err != nil {
		return nil
	}
	out := make([]itemQty, 0, len(items))
	for _, it := range items {
		id := it.ID
		if id == "" {
			id = it.Name
		}
		if id != "" && it.Quantity > 0 {
			line := int64(0)
			if it.PriceMinor > 0 && it.PriceMinor <= math.MaxInt64/it.Quantity {
				line = it.PriceMinor * it.Quantity
			}
			out = append(out, itemQty{id: id, qty: it.Quantity, category: it.Category, lineMinor: line})
		}
	}
	return out
}

// level reads a stock level; a present but malformed one sets *errOut.
func level(attrs pcommon.Map, key string, errOut *error) (int64, bool) {
	v, ok := attrs.Get(key)
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
