package mapping

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/otelcol-payments/otelcol-payments/exporter/ga4exporter/internal/mp"
	"github.com/otelcol-payments/otelcol-payments/internal/contract"
)

var now = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

const pseudonym = "pii_0123456789abcdef"

func newMapper() *Mapper {
	return New(Config{Events: DefaultEvents(), MaxEventAge: mp.MaxEventAge})
}

func attrs(t *testing.T, raw map[string]any) pcommon.Map {
	m := pcommon.NewMap()
	require.NoError(t, m.FromRaw(raw))
	return m
}

func mapOK(t *testing.T, m *Mapper, name string, raw map[string]any) Result {
	res, drop, ok := m.Map(Input{Name: name, Attrs: Attrs{attrs(t, raw)}, Time: now.Add(-time.Minute)}, now)
	require.True(t, ok)
	require.Empty(t, drop)
	return res
}

func TestValueIsExactFromMinorUnits(t *testing.T) {
	m := newMapper()
	for _, tc := range []struct {
		name  string
		attrs map[string]any
		want  json.Number
	}{
		{"double 0.1+0.2", map[string]any{contract.PaymentAmount: 0.1 + 0.2, contract.PaymentCurrency: "USD"}, "0.30"},
		{"minor usd", map[string]any{contract.PaymentAmountMinor: 4999, contract.PaymentCurrency: "USD"}, "49.99"},
		{"jpy has no minor unit", map[string]any{contract.PaymentAmountMinor: 500, contract.PaymentCurrency: "JPY"}, "500"},
		{"kwd has three", map[string]any{contract.PaymentAmount: "1.25", contract.PaymentCurrency: "KWD"}, "1.250"},
		{"lower-case currency", map[string]any{contract.PaymentAmount: 19.99, contract.PaymentCurrency: "eur"}, "19.99"},
		{"large", map[string]any{contract.PaymentAmountMinor: int64(9007199254740993), contract.PaymentCurrency: "USD"}, "90071992547409.93"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.attrs[contract.GAClientID] = "1.2"
			tc.attrs[contract.OrderID] = "o-1"
			res := mapOK(t, m, contract.EventPurchase, tc.attrs)
			assert.Equal(t, tc.want, res.Event.ParamMap()[ParamValue])
		})
	}
}

func TestPurchaseParamsAndItems(t *testing.T) {
	res := mapOK(t, newMapper(), contract.EventPurchase, map[string]any{
		contract.GAClientID:      "111.222",
		contract.OrderID:         "ord-42",
		contract.PaymentCurrency: "USD",
		contract.OrderTax:        "1.10",
		contract.OrderShipping:   0.1 + 0.2,
		contract.OrderCoupon:     "WINTER",
		contract.OrderItems: []any{
			map[string]any{contract.ItemID: "sku-1", contract.ItemName: "Mug", contract.ItemCategory: "kitchen", contract.ItemPriceMinor: 1099, contract.ItemQuantity: 2},
			map[string]any{contract.ItemID: "sku-2", contract.ItemPrice: 0.7},
		},
	})
	p := res.Event.ParamMap()
	assert.Equal(t, "purchase", res.Event.Name)
	assert.Equal(t, "ord-42", p[ParamTransactionID])
	assert.Equal(t, "ord-42", res.TransactionID)
	assert.Equal(t, "USD", p[ParamCurrency])
	assert.Equal(t, json.Number("22.68"), p[ParamValue], "sum of items when no amount: 2*10.99+0.70")
	assert.Equal(t, json.Number("1.10"), p[ParamTax])
	assert.Equal(t, json.Number("0.30"), p[ParamShipping])
	assert.Equal(t, "WINTER", p[ParamCoupon])
	assert.Equal(t, []mp.Item{
		{ItemID: "sku-1", ItemName: "Mug", ItemCategory: "kitchen", Price: "10.99", Quantity: 2},
		{ItemID: "sku-2", Price: "0.70", Quantity: 1},
	}, p[ParamItems])
	assert.Equal(t, now.Add(-time.Minute).UnixMicro(), res.Event.TimestampMicros)
}

func TestSpanEventItemsAsJSONString(t *testing.T) {
	span := attrs(t, map[string]any{contract.CheckoutSessionID: "cs_1", contract.OrderID: "ord-7"})
	ev := attrs(t, map[string]any{
		contract.PaymentAmountMinor: 1000,
		contract.PaymentCurrency:    "JPY",
		contract.OrderItems:         `[{"item_id":"a","price_minor":500,"quantity":2}]`,
	})
	res, drop, ok := newMapper().Map(Input{Name: contract.EventPurchase, Attrs: Attrs{ev, span}, Time: now}, now)
	require.True(t, ok)
	require.Empty(t, drop)
	assert.Equal(t, "ord-7", res.Event.ParamMap()[ParamTransactionID], "looked up on the span")
	assert.Equal(t, []mp.Item{{ItemID: "a", Price: "500", Quantity: 2}}, res.Event.ParamMap()[ParamItems])
	assert.Equal(t, DeriveClientID(DerivedFromCheckout, "cs_1"), res.Header.ClientID)
}

func TestIdentity(t *testing.T) {
	m := newMapper()
	t.Run("ga client id wins, pseudonym becomes user_id", func(t *testing.T) {
		res := mapOK(t, m, contract.EventViewItem, map[string]any{contract.GAClientID: "123.456", contract.CustomerID: pseudonym})
		assert.Equal(t, mp.Header{ClientID: "123.456", UserID: pseudonym}, res.Header)
	})
	t.Run("fallback to pseudonym", func(t *testing.T) {
		res := mapOK(t, m, contract.EventViewItem, map[string]any{contract.CustomerID: pseudonym, contract.CheckoutSessionID: "cs"})
		assert.Equal(t, DeriveClientID(DerivedFromCustomer, pseudonym), res.Header.ClientID)
		assert.Regexp(t, `^\d+\.\d+$`, res.Header.ClientID)
		assert.Equal(t, res.Header.ClientID, mapOK(t, m, contract.EventAddToCart, map[string]any{contract.CustomerID: pseudonym}).Header.ClientID, "stable")
	})
	t.Run("raw customer id is never sent nor hashed", func(t *testing.T) {
		res := mapOK(t, m, contract.EventViewItem, map[string]any{contract.CustomerID: "jane@example.com", contract.CheckoutSessionID: "cs"})
		assert.Empty(t, res.Header.UserID)
		assert.Equal(t, DeriveClientID(DerivedFromCheckout, "cs"), res.Header.ClientID)
	})
	t.Run("email-like client id is not used", func(t *testing.T) {
		res := mapOK(t, m, contract.EventViewItem, map[string]any{contract.GAClientID: "jane@example.com", contract.CheckoutSessionID: "cs"})
		assert.Equal(t, DeriveClientID(DerivedFromCheckout, "cs"), res.Header.ClientID)
	})
	// Read server-side from GA's cookies and passed whole, the values made
	// GA4 count another client and session, not stitched to the browser's.
	for _, tc := range []struct {
		name, attr string
		got        func(Result) any
		cases      map[string]string
	}{
		{"a whole _ga cookie value is its client id", contract.GAClientID, func(r Result) any { return r.Header.ClientID }, map[string]string{
			"GA1.1.1234567890.1764300000":   "1234567890.1764300000",
			"GA1.2.987654321.1700000000":    "987654321.1700000000",
			"GA1.1-2.1234567890.1764300000": "1234567890.1764300000",
			"1234567890.1764300000":         "1234567890.1764300000",
			"GA1.1.abc.1764300000":          "GA1.1.abc.1764300000",
			"GA1.1.1234567890":              "GA1.1.1234567890",
			"GA2.1.1234567890.1764300000":   "GA2.1.1234567890.1764300000",
		}},
		{"a whole _ga_<container> cookie value is its session id", contract.GASessionID, func(r Result) any { return r.Event.ParamMap()[ParamSessionID] }, map[string]string{
			"GS1.1.1764327600.3.1.1764327700.0.0.0":        "1764327600",
			"GS2.1.s1764327600$o3$g1$t1764327700$j0$l0$h0": "1764327600",
			"1764327600":              "1764327600",
			"GS1.1.abc.3.1":           "GS1.1.abc.3.1",
			"GS2.1.o3$g1$t1764327700": "GS2.1.o3$g1$t1764327700",
			"GS3.1.s1764327600$o3":    "GS3.1.s1764327600$o3",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for cookie, want := range tc.cases {
				attrs := map[string]any{contract.GAClientID: "1.2", tc.attr: cookie}
				assert.Equal(t, want, tc.got(mapOK(t, m, contract.EventViewItem, attrs)), cookie)
			}
		})
	}
	t.Run("no identity at all is dropped", func(t *testing.T) {
		_, drop, ok := m.Map(Input{Name: contract.EventViewItem, Attrs: Attrs{attrs(t, map[string]any{contract.CustomerEmail: "a@b.c"})}}, now)
		assert.True(t, ok)
		assert.Equal(t, DropNoClientID, drop)
	})
	assert.NotEqual(t, DeriveClientID(DerivedFromCustomer, "x"), DeriveClientID(DerivedFromCheckout, "x"))
}

func TestSessionEngagementConsent(t *testing.T) {
	m := New(Config{Events: DefaultEvents(), MaxEventAge: mp.MaxEventAge, DefaultConsent: mp.Consent{AdUserData: mp.Denied, AdPersonalization: mp.Denied}})
	res := mapOK(t, m, contract.EventBeginCheckout, map[string]any{
		contract.GAClientID: "1.2", contract.GASessionID: 1764331200, contract.GAEngagementTimeMsec: 1500,
		contract.GAConsentAdUserData: "granted",
	})
	assert.Equal(t, "1764331200", res.Event.ParamMap()[ParamSessionID])
	assert.Equal(t, int64(1500), res.Event.ParamMap()[ParamEngagementTimeMsec])
	assert.Equal(t, mp.Consent{AdUserData: mp.Granted, AdPersonalization: mp.Denied}, res.Header.Consent)

	// A stringified bool: the user's "false" fell back to the configured
	// default, GRANTED here, and was sent as consent given.
	granting := New(Config{Events: DefaultEvents(), MaxEventAge: mp.MaxEventAge, DefaultConsent: mp.Consent{AdUserData: mp.Granted, AdPersonalization: mp.Granted}})
	res = mapOK(t, granting, contract.EventBeginCheckout, map[string]any{
		contract.GAClientID: "1.2", contract.GAConsentAdUserData: "false", contract.GAConsentAdPersonal: " False ",
	})
	assert.Equal(t, mp.Consent{AdUserData: mp.Denied, AdPersonalization: mp.Denied}, res.Header.Consent)
	res = mapOK(t, m, contract.EventBeginCheckout, map[string]any{contract.GAClientID: "1.2", contract.GAConsentAdUserData: "TRUE"})
	assert.Equal(t, mp.Granted, res.Header.Consent.AdUserData)
}

func TestDrops(t *testing.T) {
	m := newMapper()
	base := func(extra map[string]any) map[string]any {
		r := map[string]any{contract.GAClientID: "1.2", contract.OrderID: "o"}
		for k, v := range extra {
			r[k] = v
		}
		return r
	}
	for _, tc := range []struct {
		name  string
		event string
		attrs map[string]any
		age   time.Duration
		want  string
	}{
		{"too old", contract.EventViewItem, base(nil), mp.MaxEventAge + time.Second, DropTooOld},
		{"negative amount", contract.EventPurchase, base(map[string]any{contract.PaymentAmount: -1.0, contract.PaymentCurrency: "USD"}), 0, DropInvalidAmount},
		{"amount without currency", contract.EventPurchase, base(map[string]any{contract.PaymentAmount: 1.0}), 0, DropInvalidAmount},
		{"unknown currency", contract.EventPurchase, base(map[string]any{contract.PaymentAmount: 1.0, contract.PaymentCurrency: "XXX"}), 0, DropInvalidAmount},
		{"too precise", contract.EventPurchase, base(map[string]any{contract.PaymentAmount: "1.001", contract.PaymentCurrency: "USD"}), 0, DropInvalidAmount},
		{"bad items", contract.EventAddToCart, base(map[string]any{contract.OrderItems: "not json", contract.PaymentCurrency: "USD"}), 0, DropMalformedItems},
		{"purchase without order id", contract.EventPurchase, map[string]any{contract.GAClientID: "1.2"}, 0, DropMissingTransactionID},
		{"refund without order id", contract.EventRefund, map[string]any{contract.GAClientID: "1.2"}, 0, DropMissingTransactionID},
		// A blank id would make GA4 dedup every such purchase into one.
		{"purchase with a blank order id", contract.EventPurchase, map[string]any{contract.GAClientID: "1.2", contract.OrderID: " \t"}, 0, DropMissingTransactionID},
		{"partial refund without items", contract.EventRefund, base(map[string]any{contract.OrderID: "o", contract.PaymentAmountMinor: 100, contract.PaymentCurrency: "USD", contract.PaymentRefundFull: false}), 0, DropPartialRefundNoItems},
		{"tax above the amount", contract.EventPurchase, base(map[string]any{contract.OrderID: "o", contract.PaymentAmountMinor: 100, contract.PaymentCurrency: "USD", contract.OrderTax: "1.01"}), 0, DropInvalidAmount},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, drop, ok := m.Map(Input{Name: tc.event, Attrs: Attrs{attrs(t, tc.attrs)}, Time: now.Add(-tc.age)}, now)
			assert.True(t, ok)
			assert.Equal(t, tc.want, drop)
		})
	}
	_, _, ok := m.Map(Input{Name: contract.EventInventory, Attrs: Attrs{attrs(t, base(nil))}}, now)
	assert.False(t, ok, "events outside the table are not GA4 events")
}

func TestFutureTimeIsClamped(t *testing.T) {
	res, _, _ := newMapper().Map(Input{Name: contract.EventViewItem, Attrs: Attrs{attrs(t, map[string]any{contract.GAClientID: "1.2"})}, Time: now.Add(time.Hour)}, now)
	assert.Equal(t, now.UnixMicro(), res.Event.TimestampMicros)
}

func TestRefundFullAndPartial(t *testing.T) {
	m := newMapper()
	items := []any{map[string]any{contract.ItemID: "a", contract.ItemPriceMinor: 100}}
	full := mapOK(t, m, contract.EventRefund, map[string]any{contract.GAClientID: "1.2", contract.OrderID: "o", contract.PaymentAmountMinor: 100, contract.PaymentCurrency: "USD", contract.PaymentRefundFull: true, contract.OrderItems: items})
	assert.NotContains(t, full.Event.ParamMap(), ParamItems)
	assert.Empty(t, full.TransactionID, "refunds are not deduplicated as purchases")
	assert.Equal(t, json.Number("1.00"), full.Event.ParamMap()[ParamValue])
	partial := mapOK(t, m, contract.EventRefund, map[string]any{contract.GAClientID: "1.2", contract.OrderID: "o", contract.PaymentCurrency: "USD", contract.OrderItems: items})
	assert.Len(t, partial.Event.ParamMap()[ParamItems], 1)
	assert.Equal(t, json.Number("1.00"), partial.Event.ParamMap()[ParamValue])
	explicit := mapOK(t, m, contract.EventRefund, map[string]any{
		contract.GAClientID: "1.2", contract.OrderID: "o", contract.PaymentAmountMinor: 300, contract.PaymentCurrency: "USD",
		contract.PaymentRefundFull: false, contract.OrderItems: []any{map[string]any{contract.ItemID: "a", contract.ItemPriceMinor: 100, contract.ItemQuantity: 3}},
	})
	assert.Equal(t, []mp.Item{{ItemID: "a", Price: "1.00", Quantity: 3}}, explicit.Event.ParamMap()[ParamItems], "a partial refund carries the refunded items")
	assert.Equal(t, json.Number("3.00"), explicit.Event.ParamMap()[ParamValue])

	// Stringified by a shipper or bridge: "false" without items was sent
	// as a refund without items, which GA4 reads as a full refund.
	base := func(full string, extra map[string]any) map[string]any {
		m := map[string]any{contract.GAClientID: "1.2", contract.OrderID: "o", contract.PaymentAmountMinor: 100, contract.PaymentCurrency: "USD", contract.PaymentRefundFull: full}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	_, drop, ok := m.Map(Input{Name: contract.EventRefund, Attrs: Attrs{attrs(t, base("False", nil))}, Time: now.Add(-time.Minute)}, now)
	assert.True(t, ok)
	assert.Equal(t, DropPartialRefundNoItems, drop)
	stringFull := mapOK(t, m, contract.EventRefund, base(" TRUE", map[string]any{contract.OrderItems: items}))
	assert.NotContains(t, stringFull.Event.ParamMap(), ParamItems)
	unknown := mapOK(t, m, contract.EventRefund, base("yes", map[string]any{contract.OrderItems: items}))
	assert.Len(t, unknown.Event.ParamMap()[ParamItems], 1, "other text does not say")
}

// GA4's value is Σ price × quantity of the items, without tax or shipping,
// on every ecommerce event; the amount (the total charged) is used only when
// there are no items, minus tax and shipping.
func TestValueIsItemsSumWithoutTaxAndShipping(t *testing.T) {
	m := newMapper()
	items := []any{map[string]any{contract.ItemID: "a", contract.ItemPrice: 228.31, contract.ItemQuantity: 2}}
	for _, event := range []string{contract.EventViewItem, contract.EventAddToCart, contract.EventBeginCheckout, contract.EventAddPaymentInfo, contract.EventPurchase, contract.EventRefund} {
		t.Run(event, func(t *testing.T) {
			res := mapOK(t, m, event, map[string]any{
				contract.GAClientID: "1.2", contract.OrderID: "o-1", contract.PaymentAmount: 493.14, contract.PaymentCurrency: "USD",
				contract.OrderTax: 36.52, contract.OrderItems: items,
			})
			assert.Equal(t, json.Number("456.62"), res.Event.ParamMap()[ParamValue])
			if event == contract.EventPurchase || event == contract.EventRefund {
				assert.Equal(t, json.Number("36.52"), res.Event.ParamMap()[ParamTax])
			} else {
				assert.NotContains(t, res.Event.ParamMap(), ParamTax, "not a param of %s", event)
			}
		})
	}
	t.Run("no items: amount minus tax and shipping", func(t *testing.T) {
		res := mapOK(t, m, contract.EventPurchase, map[string]any{
			contract.GAClientID: "1.2", contract.OrderID: "o-1", contract.PaymentAmountMinor: 2733275, contract.PaymentCurrency: "KWD",
			contract.OrderTax: "100.125", contract.OrderShipping: 2.5,
		})
		assert.Equal(t, json.Number("2630.650"), res.Event.ParamMap()[ParamValue])
		assert.Equal(t, json.Number("100.125"), res.Event.ParamMap()[ParamTax])
		assert.Equal(t, json.Number("2.500"), res.Event.ParamMap()[ParamShipping])
	})
	t.Run("payment_failed keeps the failed amount", func(t *testing.T) {
		res := mapOK(t, m, contract.EventPaymentFailed, map[string]any{
			contract.GAClientID: "1.2", contract.PaymentAmountMinor: 49314, contract.PaymentCurrency: "USD", contract.OrderItems: items,
		})
		assert.Equal(t, json.Number("493.14"), res.Event.ParamMap()[ParamValue])
	})
}

func TestPaymentFailed(t *testing.T) {
	res := mapOK(t, newMapper(), contract.EventPaymentFailed, map[string]any{
		contract.GAClientID: "1.2", contract.PaymentErrorType: contract.ErrCardDeclined, contract.PaymentMethod: "card",
		contract.PaymentProvider: "stripe", contract.PaymentAmountMinor: 2500, contract.PaymentCurrency: "GBP",
	})
	assert.Equal(t, "payment_failed", res.Event.Name)
	assert.Equal(t, map[string]any{
		ParamErrorType: "card_declined", ParamPaymentType: "card", ParamPaymentProvider: "stripe",
		ParamValue: json.Number("25.00"), ParamCurrency: "GBP",
	}, res.Event.ParamMap())
}

func TestTruncationAndExtraParamsCounted(t *testing.T) {
	extra := map[string]string{"payment.provider": "provider", "long.attr": "long_value", "bad.name": "ga_reserved"}
	m := New(Config{Events: DefaultEvents(), MaxEventAge: mp.MaxEventAge, ExtraParams: extra})
	res := mapOK(t, m, contract.EventBeginCheckout, map[string]any{
		contract.GAClientID: "1.2", contract.OrderCoupon: strings.Repeat("c", 150),
		"payment.provider": "adyen", "long.attr": strings.Repeat("l", 101), "bad.name": "x",
		contract.OrderItems: []any{map[string]any{contract.ItemName: strings.Repeat("n", 120)}},
	})
	assert.Equal(t, 3, res.Truncated)
	assert.Equal(t, map[string]int{ParamDropReserved: 1}, res.ParamsDropped)
	assert.Equal(t, "adyen", res.Event.ParamMap()["provider"])
	assert.Len(t, res.Event.ParamMap()[ParamCoupon], mp.MaxParamValueLen)
}

// Money params are written as contract.FormatMinor renders them, for
// currencies of every exponent and unknown ones.
func TestDecimalIsFormatMinor(t *testing.T) {
	for _, cur := range []string{"USD", "JPY", "BHD", "CLF", "XXX", "ZZZ", ""} {
		for _, minor := range []int64{0, 1, -1, 5, 12, 99, 100, 4999, -4999, 123456789, -9223372036854775808, 9223372036854775807} {
			assert.Equal(t, json.Number(contract.FormatMinor(minor, cur)), decimal(minor, cur).Any(), "%d %s", minor, cur)
			assert.Equal(t, json.Number(contract.FormatMinor(minor, cur)), mp.DecimalText(minor, contract.MinorExponent(cur)), "%d %s", minor, cur)
		}
	}
}

// MapInto reusing one Result gives what Map gives for each event.
func TestMapIntoReusesResult(t *testing.T) {
	m := New(Config{Events: DefaultEvents(), MaxEventAge: 72 * time.Hour})
	events := []map[string]any{
		{
			contract.GAClientID: "1.2", contract.PaymentAmountMinor: 1299, contract.PaymentCurrency: "USD", contract.OrderID: "o-1",
			contract.OrderItems: []any{map[string]any{contract.ItemID: "a", contract.ItemPriceMinor: 1299}},
		},
		{contract.GAClientID: "1.3", contract.PaymentAmountMinor: 500, contract.PaymentCurrency: "JPY", contract.GASessionID: "77"},
		{contract.GAClientID: "", contract.PaymentAmountMinor: 500, contract.PaymentCurrency: "JPY"},
		{contract.GAClientID: "1.4", contract.OrderID: "o-2"},
	}
	var reused Result
	for i, raw := range events {
		attrs := pcommon.NewMap()
		require.NoError(t, attrs.FromRaw(raw))
		in := Input{Name: contract.EventPurchase, Attrs: Attrs{attrs}, Time: now}
		want, wantDrop, wantOK := m.Map(in, now)
		drop, ok := m.MapInto(&reused, in, now)
		require.Equal(t, wantDrop, drop, "event %d", i)
		require.Equal(t, wantOK, ok, "event %d", i)
		if drop != "" {
			continue
		}
		wantJSON, err := json.Marshal(want.Event)
		require.NoError(t, err)
		gotJSON, err := json.Marshal(reused.Event)
		require.NoError(t, err)
		assert.JSONEq(t, string(wantJSON), string(gotJSON), "event %d", i)
		assert.Equal(t, want.Header, reused.Header)
		assert.Equal(t, want.TransactionID, reused.TransactionID)
		assert.Equal(t, want.Truncated, reused.Truncated)
	}
}
