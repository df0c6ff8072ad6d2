// Package mapping turns contract business events (log records or span
// events) into GA4 Measurement Protocol events and their request header.
package mapping

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/otelcol-payments/otelcol-payments/exporter/ga4exporter/internal/mp"
	"github.com/otelcol-payments/otelcol-payments/internal/contract"
)

// GA4 event names of the default mapping.
const (
	GAViewItem       = "view_item"
	GAAddToCart      = "add_to_cart"
	GABeginCheckout  = "begin_checkout"
	GAAddPaymentInfo = "add_payment_info"
	GAPurchase       = "purchase"
	GARefund         = "refund"
	GAPaymentFailed  = "payment_failed"
)

// DefaultEvents maps contract event names to GA4 event names.
func DefaultEvents() map[string]string {
	return map[string]string{
		contract.EventViewItem:       GAViewItem,
		contract.EventAddToCart:      GAAddToCart,
		contract.EventBeginCheckout:  GABeginCheckout,
		contract.EventAddPaymentInfo: GAAddPaymentInfo,
		contract.EventPurchase:       GAPurchase,
		contract.EventRefund:         GARefund,
		contract.EventPaymentFailed:  GAPaymentFailed,
	}
}

// GA4 parameter names the mapping writes.
const (
	ParamCurrency           = "currency"
	ParamValue              = "value"
	ParamItems              = "items"
	ParamTransactionID      = "transaction_id"
	ParamTax                = "tax"
	ParamShipping           = "shipping"
	ParamCoupon             = "coupon"
	ParamPaymentType        = "payment_type"
	ParamErrorType          = "error_type"
	ParamPaymentProvider    = "payment_provider"
	ParamSessionID          = "session_id"
	ParamEngagementTimeMsec = "engagement_time_msec"
)

// Drop reasons (values of the reason attribute of the dropped counter).
const (
	DropTooOld               = "too_old"
	DropReservedName         = "reserved_name"
	DropInvalidName          = "invalid_name"
	DropNoClientID           = "no_client_id"
	DropInvalidAmount        = "invalid_amount"
	DropMalformedItems       = "malformed_items"
	DropMissingTransactionID = "missing_transaction_id"
	// DropPartialRefundNoItems: GA4 would read a refund without items as a
	// full refund.
	DropPartialRefundNoItems = "partial_refund_without_items"
)

// Param drop reasons.
const (
	ParamDropReserved    = "reserved"
	ParamDropInvalidName = "invalid_name"
	ParamDropTooMany     = "too_many"
)

// Attrs looks a key up in several maps in order: a span event's attributes,
// then its span's.
type Attrs []pcommon.Map

// Get returns the first value of key.
func (a Attrs) Get(key string) (pcommon.Value, bool) {
	for _, m := range a {
		if v, ok := m.Get(key); ok {
			return v, true
		}
	}
	return pcommon.Value{}, false
}

// Str returns the first value of key as a string, or "".
func (a Attrs) Str(key string) string {
	if v, ok := a.Get(key); ok {
		return v.AsString()
	}
	return ""
}

// moneyMap is the first map that names a currency; amount and currency are
// always read from the same map so they cannot be mixed up.
func (a Attrs) moneyMap() (pcommon.Map, bool) {
	for _, m := range a {
		if _, ok := m.Get(contract.PaymentCurrency); ok {
			return m, true
		}
	}
	return pcommon.Map{}, false
}

// Config configures a Mapper.
type Config struct {
	// Events maps contract event names to GA4 event names.
	Events map[string]string
	// ExtraParams maps attribute keys to GA4 parameter names, sent on every
	// event that has the attribute.
	ExtraParams map[string]string
	// DefaultConsent applies when an event carries no consent attributes.
	DefaultConsent mp.Consent
	// MaxEventAge: older events are dropped.
	MaxEventAge time.Duration
}

type extraParam struct{ attr, param string }

// Mapper maps business events. It is safe for concurrent use.
type Mapper struct {
	cfg   Config
	extra []extraParam
}

// New returns a Mapper.
func New(cfg Config) *Mapper {
	m := &Mapper{cfg: cfg}
	for attr, param := range cfg.ExtraParams {
		m.extra = append(m.extra, extraParam{attr, param})
	}
	sort.Slice(m.extra, func(i, j int) bool { return m.extra[i].param < m.extra[j].param })
	return m
}

// Input is one business event.
type Input struct {
	Name  string
	Attrs Attrs
	// Time is the event time; zero means now.
	Time time.Time
}

// Result is a mapped event.
type Result struct {
	Header mp.Header
	Event  mp.Event
	// TransactionID is set for purchases; the exporter dedups on it.
	TransactionID string
	// Truncated counts string values cut to the length limit.
	Truncated int
	// ParamsDropped counts parameters left out, by reason.
	ParamsDropped map[string]int

	// Buffers MapInto reuses from one event to the next.
	parsed []contract.Item
	items  []mp.Item
}

// reset empties r for the next event, keeping its buffers.
func (r *Result) reset() {
	params, dropped := r.Event.Params[:0], r.ParamsDropped
	clear(dropped)
	parsed, items := r.parsed[:0], r.items[:0]
	*r = Result{Event: mp.Event{Params: params}, ParamsDropped: dropped, parsed: parsed, items: items}
}

// GAName returns the GA4 event name for a contract event name.
func (m *Mapper) GAName(eventName string) (string, bool) {
	n, ok := m.cfg.Events[eventName]
	return n, ok
}

// Map maps one event. ok is false for events that are not in the mapping
// table (not business events for GA4); drop is set when a mapped event cannot
// be sent.
func (m *Mapper) Map(in Input, now time.Time) (res Result, drop string, ok bool) {
	drop, ok = m.MapInto(&res, in, now)
	if drop != "" || !ok {
		return Result{}, drop, ok
	}
	return res, "", true
}

// MapInto is Map writing into res, whose buffers (params, items) it reuses:
// a batch maps all its events into one Result, encoding each before the
// next. res is only meaningful when drop is "" and ok is true.
func (m *Mapper) MapInto(res *Result, in Input, now time.Time) (drop string, ok bool) {
	res.reset()
	gaName, ok := m.cfg.Events[in.Name]
	if !ok {
		return "", false
	}
	if !mp.ValidName(gaName) {
		return DropInvalidName, true
	}
	if mp.ReservedEventName(gaName) {
		return DropReservedName, true
	}
	t := in.Time
	if t.IsZero() || t.After(now) {
		// GA4 takes no future timestamps; clock skew between services is
		// clamped rather than dropped.
		t = now
	}
	if now.Sub(t) > m.cfg.MaxEventAge {
		return DropTooOld, true
	}
	clientID, userID := identity(in.Attrs)
	if clientID == "" {
		return DropNoClientID, true
	}
	res.Header = mp.Header{
		ClientID: clientID,
		UserID:   userID,
		Consent: mp.Consent{
			AdUserData:        consentValue(in.Attrs, contract.GAConsentAdUserData, m.cfg.DefaultConsent.AdUserData),
			AdPersonalization: consentValue(in.Attrs, contract.GAConsentAdPersonal, m.cfg.DefaultConsent.AdPersonalization),
		},
	}
	res.Event.Name, res.Event.TimestampMicros = gaName, t.UnixMicro()
	b := builder{res: res}

	if drop := b.commerce(in.Name, in.Attrs); drop != "" {
		return drop, true
	}
	if v, ok := in.Attrs.Get(contract.GASessionID); ok {
		if s := cookieSessionID(v.AsString()); s != "" {
			b.set(ParamSessionID, mp.String(s))
		}
	}
	if v, ok := in.Attrs.Get(contract.GAEngagementTimeMsec); ok {
		if ms, err := contract.ParseMinorValue(v); err == nil {
			b.set(ParamEngagementTimeMsec, mp.Int(ms))
		}
	}
	for _, e := range m.extra {
		if v, ok := in.Attrs.Get(e.attr); ok {
			if pv, ok := paramValue(v); ok {
				b.set(e.param, pv)
			}
		}
	}
	return "", true
}

// commerce writes the ecommerce parameters of an event.
//
// GA4's events reference defines value as the sum of price × quantity of the
// items, without tax or shipping (those are params of their own). So value
// is the items' sum when the event has items, else the event amount minus
// order.tax and order.shipping when those are given; payment_failed is not an
// ecommerce event and keeps the failed amount.
func (b builder) commerce(eventName string, a Attrs) (drop string) {
	money, hasMoney, drop := amount(a)
	if drop != "" {
		return drop
	}
	var items []contract.Item
	if v, ok := a.Get(contract.OrderItems); ok {
		var err error
		if items, err = contract.AppendItems(b.res.parsed[:0], v, money.Currency); err != nil {
			return DropMalformedItems
		}
		b.res.parsed = items
	}
	if eventName == contract.EventRefund {
		switch refundFull(a) {
		case refundIsFull:
			// A full refund needs no items; GA4 reverses the whole transaction.
			items = nil
		case refundIsPartial:
			// GA4 reads a refund without items as a full refund: sending
			// it would reverse the whole transaction.
			if len(items) == 0 {
				return DropPartialRefundNoItems
			}
		}
	}

	switch eventName {
	case contract.EventPurchase, contract.EventRefund:
		txn := a.Str(contract.OrderID)
		if strings.TrimSpace(txn) == "" {
			// Blank is missing: GA4 dedups web purchases by this id, so
			// every purchase sent with " " would be kept once.
			return DropMissingTransactionID
		}
		param, shortened := TransactionIDParam(txn)
		if shortened {
			b.res.Truncated++
		}
		b.set(ParamTransactionID, mp.String(param))
		if eventName == contract.EventPurchase {
			b.res.TransactionID = txn
		}
	}
	var extras int64 // tax + shipping, taken out of the amount
	if eventName != contract.EventPaymentFailed {
		for _, f := range [...]struct{ attr, param string }{{contract.OrderTax, ParamTax}, {contract.OrderShipping, ParamShipping}} {
			v, ok := a.Get(f.attr)
			if !ok {
				continue
			}
			if money.Currency == "" {
				return DropInvalidAmount
			}
			minor, err := contract.ParseMajorValue(v, money.Currency)
			if err != nil || minor < 0 {
				return DropInvalidAmount
			}
			extras += minor
			if eventName == contract.EventPurchase || eventName == contract.EventRefund {
				b.set(f.param, decimal(minor, money.Currency))
			}
		}
	}
	value, hasValue := money.Minor, hasMoney
	switch {
	case eventName == contract.EventPaymentFailed:
	case len(items) > 0 && money.Currency != "":
		sum, err := contract.ItemsTotal(items)
		if err != nil {
			return DropInvalidAmount
		}
		value, hasValue = sum, true
	case hasMoney:
		if value -= extras; value < 0 {
			return DropInvalidAmount
		}
	}
	if money.Currency != "" {
		b.set(ParamCurrency, mp.String(money.Currency))
	}
	if hasValue {
		b.set(ParamValue, decimal(value, money.Currency))
	}
	if eventName == contract.EventPaymentFailed {
		errType := a.Str(contract.PaymentErrorType)
		if errType == "" {
			errType = a.Str(contract.ErrorType)
		}
		if errType != "" {
			b.set(ParamErrorType, mp.String(errType))
		}
		if p := a.Str(contract.PaymentProvider); p != "" {
			b.set(ParamPaymentProvider, mp.String(p))
		}
	}
	switch eventName {
	case contract.EventBeginCheckout, contract.EventAddPaymentInfo, contract.EventPurchase:
		if c := a.Str(contract.OrderCoupon); c != "" {
			b.set(ParamCoupon, mp.String(c))
		}
	}
	switch eventName {
	case contract.EventAddPaymentInfo, contract.EventPaymentFailed:
		if pm := a.Str(contract.PaymentMethod); pm != "" {
			b.set(ParamPaymentType, mp.String(pm))
		}
	}
	if len(items) > 0 {
		b.set(ParamItems, mp.Items(b.items(items, money.Currency)))
	}
	return ""
}

type refundKind int

const (
	refundUnknown refundKind = iota
	refundIsFull
	refundIsPartial
)

// refundFull reads payment.refund.full, a bool, or its text "true" /
// "false" in any case (shippers and bridges that stringify attributes);
// a refund that does not say is sent as it comes (with its items if any).
func refundFull(a Attrs) refundKind {
	v, ok := a.Get(contract.PaymentRefundFull)
	if !ok {
		return refundUnknown
	}
	switch v.Type() {
	case pcommon.ValueTypeBool:
		if v.Bool() {
			return refundIsFull
		}
		return refundIsPartial
	case pcommon.ValueTypeStr:
		switch strings.ToLower(strings.TrimSpace(v.Str())) {
		case "true":
			return refundIsFull
		case "false":
			return refundIsPartial
		}
	}
	return refundUnknown
}

// amount reads the event amount. A missing amount is fine (hasMoney false);
// an amount that is present but invalid drops the event rather than sending
// a wrong revenue figure.
func amount(a Attrs) (money contract.Money, hasMoney bool, drop string) {
	m, ok := a.moneyMap()
	if !ok {
		if _, has := a.Get(contract.PaymentAmountMinor); has {
			return money, false, DropInvalidAmount
		}
		if _, has := a.Get(contract.PaymentAmount); has {
			return money, false, DropInvalidAmount
		}
		return money, false, ""
	}
	money, err := contract.AmountFrom(m)
	switch {
	case err == nil:
		return money, true, ""
	case errors.Is(err, contract.ErrAmountMissing) && money.Currency != "":
		return money, false, ""
	default:
		return contract.Money{}, false, DropInvalidAmount
	}
}

// decimal is minor units as an exact JSON number in major units, as
// contract.FormatMinor renders them.
func decimal(minor int64, currency string) mp.Value {
	return mp.Decimal(minor, contract.MinorExponent(currency))
}

// paramValue converts an attribute to a GA4 parameter value (string or number).
func paramValue(v pcommon.Value) (mp.Value, bool) {
	switch v.Type() {
	case pcommon.ValueTypeStr:
		return mp.String(v.Str()), v.Str() != ""
	case pcommon.ValueTypeInt:
		return mp.Int(v.Int()), true
	case pcommon.ValueTypeDouble:
		f := v.Double()
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return mp.Value{}, false
		}
		return mp.Number(json.Number(strconv.FormatFloat(f, 'f', -1, 64))), true
	case pcommon.ValueTypeBool:
		return mp.String(strconv.FormatBool(v.Bool())), true
	}
	return mp.Value{}, false
}

type builder struct{ res *Result }

func (b builder) set(name string, value mp.Value) {
	switch b.res.Event.SetParam(name, value) {
	case mp.ParamTruncated:
		b.res.Truncated++
	case mp.ParamReserved:
		b.dropParam(ParamDropReserved)
	case mp.ParamInvalidName:
		b.dropParam(ParamDropInvalidName)
	case mp.ParamTooMany:
		b.dropParam(ParamDropTooMany)
	}
}

func (b builder) dropParam(reason string) {
	if b.res.ParamsDropped == nil {
		b.res.ParamsDropped = map[string]int{}
	}
	b.res.ParamsDropped[reason]++
}

func (b builder) items(items []contract.Item, currency string) []mp.Item {
	out := slices.Grow(b.res.items[:0], len(items))[:len(items)]
	b.res.items = out
	exp := contract.MinorExponent(currency)
	for i, it := range items {
		out[i] = mp.Item{
			ItemID:       b.truncate(it.ID),
			ItemName:     b.truncate(it.Name),
			ItemCategory: b.truncate(it.Category),
			Quantity:     it.Quantity,
		}
		if currency != "" {
			out[i].Price = mp.DecimalText(it.PriceMinor, exp)
		}
	}
	return out
}

// TransactionIDParam fits an order id into GA4's 100 characters without
// merging ids: GA4 dedups purchases by transaction_id, so two long ids that
// share their first 100 characters, cut plainly, would lose the second
// purchase. An over-long id keeps a readable prefix and ends in a hash of
// the whole id, the same on every replica and after restarts; an id within
// the limit is sent unchanged. shortened reports a change, counted like a
// truncated value.
func TransactionIDParam(id string) (param string, shortened bool) {
	if _, cut := mp.Truncate(id, mp.MaxParamValueLen); !cut {
		return id, false
	}
	sum := sha256.Sum256([]byte(id))
	suffix := "~" + hex.EncodeToString(sum[:8])
	prefix, _ := mp.Truncate(id, mp.MaxParamValueLen-len(suffix))
	return prefix + suffix, true
}

func (b builder) truncate(s string) string {
	s, cut := mp.Truncate(s, mp.MaxParamValueLen)
	if cut {
		b.res.Truncated++
	}
	return s
}
