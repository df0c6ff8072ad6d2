package sim

import (
	"encoding/json"
	"math/rand/v2"

	"go.opentelemetry.io/otel/attribute"

	"github.com/otelcol-payments/otelcol-payments/internal/contract"
)

func minorScale(currency string) int64 {
	exp, _ := contract.CurrencyExponent(currency)
	s := int64(1)
	for range exp {
		s *= 10
	}
	return s
}

// amountAttrs renders an amount in one of the forms the contract accepts, so
// every consumer path is exercised: payment.amount as a double (or an int
// when whole, as the OTel JS SDK sends integral numbers), as a decimal
// string, payment.amount_minor alone, or both keys.
func amountAttrs(rng *rand.Rand, minor int64, currency string) []attribute.KeyValue {
	major := contract.MinorToMajorFloat(minor, currency)
	switch n := rng.IntN(20); {
	case n < 7:
		return []attribute.KeyValue{
			attribute.Float64(contract.PaymentAmount, major),
			attribute.Int64(contract.PaymentAmountMinor, minor),
		}
	case n < 12:
		if minor%minorScale(currency) == 0 {
			return []attribute.KeyValue{attribute.Int64(contract.PaymentAmount, minor/minorScale(currency))}
		}
		return []attribute.KeyValue{attribute.Float64(contract.PaymentAmount, major)}
	case n < 17:
		return []attribute.KeyValue{attribute.Int64(contract.PaymentAmountMinor, minor)}
	default:
		return []attribute.KeyValue{attribute.String(contract.PaymentAmount, contract.FormatMinor(minor, currency))}
	}
}

type lineItem struct {
	p         *product
	qty       int64
	unitMinor int64
}

func subtotal(items []lineItem) int64 {
	var s int64
	for _, it := range items {
		s += it.unitMinor * it.qty
	}
	return s
}

// itemsForLogs renders order.items as a slice of maps (log records allow
// complex values). minorPrices picks price_minor over price.
func itemsForLogs(items []lineItem, currency string, minorPrices bool) attribute.KeyValue {
	vals := make([]attribute.Value, len(items))
	for i, it := range items {
		price := attribute.Float64(contract.ItemPrice, contract.MinorToMajorFloat(it.unitMinor, currency))
		if minorPrices {
			price = attribute.Int64(contract.ItemPriceMinor, it.unitMinor)
		}
		vals[i] = attribute.MapValue(
			attribute.String(contract.ItemID, it.p.id),
			attribute.String(contract.ItemName, it.p.name),
			attribute.String(contract.ItemCategory, it.p.category),
			price,
			attribute.Int64(contract.ItemQuantity, it.qty),
		)
	}
	return attribute.Slice(contract.OrderItems, vals...)
}

// itemsForSpanEvents renders order.items as a JSON array in a string: span
// event attributes only carry primitives.
func itemsForSpanEvents(items []lineItem, currency string, minorPrices bool) attribute.KeyValue {
	out := make([]map[string]any, len(items))
	for i, it := range items {
		m := map[string]any{
			contract.ItemID: it.p.id, contract.ItemName: it.p.name,
			contract.ItemCategory: it.p.category, contract.ItemQuantity: it.qty,
		}
		if minorPrices {
			m[contract.ItemPriceMinor] = it.unitMinor
		} else {
			m[contract.ItemPrice] = contract.MinorToMajorFloat(it.unitMinor, currency)
		}
		out[i] = m
	}
	b, _ := json.Marshal(out) // maps of strings and numbers always marshal
	return attribute.String(contract.OrderItems, string(b))
}
