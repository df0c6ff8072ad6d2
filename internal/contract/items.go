package contract

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/bits"
	"slices"
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// Item is one decoded line item of OrderItems.
type Item struct {
	ID       string
	Name     string
	Category string
	// PriceMinor is the unit price in minor units of the order currency.
	PriceMinor int64
	Quantity   int64
}

// MaxItems bounds how many items one event may carry; more is invalid input.
const MaxItems = 200

// ErrItemsMalformed is returned for an OrderItems value of the wrong shape.
var ErrItemsMalformed = errors.New("malformed_items")

// ParseItems decodes OrderItems: a slice of maps (log records) or a JSON
// array of objects in a string (span events). Prices are read as
// ItemPriceMinor, else ItemPrice in major units of currency.
func ParseItems(v pcommon.Value, currency string) ([]Item, error) {
	items, err := AppendItems(nil, v, currency)
	if err != nil {
		return nil, err
	}
	return items, nil
}

// AppendItems is ParseItems appending to dst, so a hot path can reuse one
// buffer; on an error dst is returned as it was.
func AppendItems(dst []Item, v pcommon.Value, currency string) ([]Item, error) {
	start := len(dst)
	grow := func(n int) {
		if dst == nil {
			dst = make([]Item, 0, n)
		} else {
			dst = slices.Grow(dst, n)
		}
	}
	switch v.Type() {
	case pcommon.ValueTypeSlice:
		s := v.Slice()
		if s.Len() > MaxItems {
			return dst, ErrItemsMalformed
		}
		grow(s.Len())
		for i := 0; i < s.Len(); i++ {
			e := s.At(i)
			if e.Type() != pcommon.ValueTypeMap {
				return dst[:start], ErrItemsMalformed
			}
			it, err := itemFromMap(e.Map(), currency)
			if err != nil {
				return dst[:start], err
			}
			dst = append(dst, it)
		}
		return dst, nil
	case pcommon.ValueTypeStr:
		var raw []map[string]any
		dec := json.NewDecoder(strings.NewReader(v.Str()))
		dec.UseNumber()
		if err := dec.Decode(&raw); err != nil {
			return dst, ErrItemsMalformed
		}
		if _, err := dec.Token(); err != io.EOF { // trailing data, as json.Unmarshal refuses
			return dst, ErrItemsMalformed
		}
		if len(raw) > MaxItems {
			return dst, ErrItemsMalformed
		}
		grow(len(raw))
		for _, r := range raw {
			m := pcommon.NewMap()
			if err := m.FromRaw(jsonIntegers(r).(map[string]any)); err != nil {
				return dst[:start], ErrItemsMalformed
			}
			it, err := itemFromMap(m, currency)
			if err != nil {
				return dst[:start], err
			}
			dst = append(dst, it)
		}
		return dst, nil
	case pcommon.ValueTypeEmpty:
		return dst, nil
	}
	return dst, ErrItemsMalformed
}

// jsonIntegers replaces the json.Numbers of a value decoded with UseNumber:
// an integer that fits int64 becomes an int64, exactly (a numeric item id
// such as 1234567890123456789 read as a float64 would come out as
// 1234567890123456800); any other number a float64, as json.Unmarshal
// reads it.
func jsonIntegers(v any) any {
	switch v := v.(type) {
	case json.Number:
		if n, err := v.Int64(); err == nil {
			return n
		}
		f, _ := v.Float64()
		return f
	case map[string]any:
		for k, e := range v {
			v[k] = jsonIntegers(e)
		}
	case []any:
		for i, e := range v {
			v[i] = jsonIntegers(e)
		}
	}
	return v
}

// ItemsTotal is Σ price × quantity of items in minor units, exactly: the
// order's value without tax and shipping (GA4's value), and the amount of a
// partial refund. Negative prices or quantities and int64 overflow are
// ErrItemsMalformed.
func ItemsTotal(items []Item) (int64, error) {
	var total uint64
	for _, it := range items {
		if it.PriceMinor < 0 || it.Quantity < 0 {
			return 0, fmt.Errorf("%w: negative price or quantity", ErrItemsMalformed)
		}
		hi, lo := bits.Mul64(uint64(it.PriceMinor), uint64(it.Quantity))
		var carry uint64
		total, carry = bits.Add64(total, lo, 0)
		if hi != 0 || carry != 0 || total > math.MaxInt64 {
			return 0, fmt.Errorf("%w: items total overflows", ErrItemsMalformed)
		}
	}
	return int64(total), nil
}

func itemFromMap(m pcommon.Map, currency string) (Item, error) {
	// One pass over the item's attributes instead of a lookup per key
	// (each a scan); the first of a repeated key wins, as with Get.
	var id, name, category, priceMinor, price, quantity pcommon.Value
	var seen uint8
	take := func(bit uint8, dst *pcommon.Value, v pcommon.Value) {
		if seen&bit == 0 {
			seen |= bit
			*dst = v
		}
	}
	const hasID, hasName, hasCategory, hasPriceMinor, hasPrice, hasQuantity = 1, 2, 4, 8, 16, 32
	for k, v := range m.All() {
		switch k {
		case ItemID:
			take(hasID, &id, v)
		case ItemName:
			take(hasName, &name, v)
		case ItemCategory:
			take(hasCategory, &category, v)
		case ItemPriceMinor:
			take(hasPriceMinor, &priceMinor, v)
		case ItemPrice:
			take(hasPrice, &price, v)
		case ItemQuantity:
			take(hasQuantity, &quantity, v)
		}
	}
	text := func(bit uint8, v pcommon.Value) string {
		if seen&bit == 0 {
			return ""
		}
		return v.AsString()
	}
	it := Item{ID: text(hasID, id), Name: text(hasName, name), Category: text(hasCategory, category), Quantity: 1}
	if it.ID == "" && it.Name == "" {
		return Item{}, fmt.Errorf("%w: item without item_id or item_name", ErrItemsMalformed)
	}
	var err error
	if seen&hasPriceMinor != 0 {
		it.PriceMinor, err = ParseMinorValue(priceMinor)
	} else if seen&hasPrice != 0 {
		it.PriceMinor, err = ParseMajorValue(price, currency)
	}
	if err != nil {
		return Item{}, err
	}
	if seen&hasQuantity != 0 {
		q, err := ParseMinorValue(quantity)
		if err != nil || q == 0 {
			return Item{}, fmt.Errorf("%w: bad quantity", ErrItemsMalformed)
		}
		it.Quantity = q
	}
	return it, nil
}
