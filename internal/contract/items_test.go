package contract

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
)

func TestItemsTotal(t *testing.T) {
	total, err := ItemsTotal([]Item{{ID: "a", PriceMinor: 22831, Quantity: 2}, {ID: "b", PriceMinor: 10, Quantity: 3}})
	require.NoError(t, err)
	assert.Equal(t, int64(45692), total)

	total, err = ItemsTotal(nil)
	require.NoError(t, err)
	assert.Zero(t, total)

	for name, items := range map[string][]Item{
		"negative price":      {{ID: "a", PriceMinor: -1, Quantity: 1}},
		"product overflows":   {{ID: "a", PriceMinor: math.MaxInt64 / 2, Quantity: 3}},
		"sum overflows":       {{ID: "a", PriceMinor: math.MaxInt64, Quantity: 1}, {ID: "b", PriceMinor: 1, Quantity: 1}},
		"negative quantities": {{ID: "a", PriceMinor: 1, Quantity: -2}},
	} {
		_, err := ItemsTotal(items)
		assert.ErrorIs(t, err, ErrItemsMalformed, name)
	}
}

// AppendItems appends to a reused buffer and, on malformed input, gives
// the buffer back as it was.
func TestAppendItems(t *testing.T) {
	buf := []Item{{ID: "kept", Quantity: 1}}
	buf, err := AppendItems(buf, pcommon.NewValueStr(`[{"item_id":"sku-1","price_minor":250,"quantity":3}]`), "USD")
	require.NoError(t, err)
	require.Equal(t, []Item{{ID: "kept", Quantity: 1}, {ID: "sku-1", PriceMinor: 250, Quantity: 3}}, buf)

	buf, err = AppendItems(buf, pcommon.NewValueStr(`[{"item_id":"sku-2","price_minor":1},{"price":1}]`), "USD")
	require.ErrorIs(t, err, ErrItemsMalformed)
	require.Len(t, buf, 2)

	_, err = ParseItems(pcommon.NewValueStr(`[{"item_id":"sku-1"}] [`), "USD")
	require.ErrorIs(t, err, ErrItemsMalformed, "trailing data")

	empty, err := ParseItems(pcommon.NewValueSlice(), "USD")
	require.NoError(t, err)
	assert.NotNil(t, empty, "an empty list is a list, as before")
	assert.Empty(t, empty)
}

// itemFromMap reads each key in one pass; it decides as looking every key
// up (the form before) did, on items of every shape of key and value.
func TestItemFromMapMatchesLookups(t *testing.T) {
	keys := []string{ItemID, ItemName, ItemCategory, ItemPriceMinor, ItemPrice, ItemQuantity, "other"}
	values := []any{"sku-1", "", "12.50", "1,5", 3, 0, -2, 2.5, 1e300, true, nil, []any{1}}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		raw := map[string]any{}
		for _, k := range keys {
			if rng.IntN(2) == 0 {
				raw[k] = values[rng.IntN(len(values))]
			}
		}
		m := pcommon.NewMap()
		require.NoError(t, m.FromRaw(raw))
		cur := []string{"USD", "JPY", "KWD"}[rng.IntN(3)]
		want, wantErr := itemByLookups(m, cur)
		got, err := itemFromMap(m, cur)
		require.Equal(t, wantErr != nil, err != nil, "%v: %v / %v", raw, wantErr, err)
		require.Equal(t, want, got, "%v", raw)
	}
}

// itemByLookups is itemFromMap as it was: a lookup per key.
func itemByLookups(m pcommon.Map, currency string) (Item, error) {
	it := Item{ID: str(m, ItemID), Name: str(m, ItemName), Category: str(m, ItemCategory), Quantity: 1}
	if it.ID == "" && it.Name == "" {
		return Item{}, ErrItemsMalformed
	}
	var err error
	if pv, ok := m.Get(ItemPriceMinor); ok {
		it.PriceMinor, err = ParseMinorValue(pv)
	} else if pv, ok := m.Get(ItemPrice); ok {
		it.PriceMinor, err = ParseMajorValue(pv, currency)
	}
	if err != nil {
		return Item{}, err
	}
	if qv, ok := m.Get(ItemQuantity); ok {
		q, err := ParseMinorValue(qv)
		if err != nil || q == 0 {
			return Item{}, ErrItemsMalformed
		}
		it.Quantity = q
	}
	return it, nil
}

// BenchmarkItemFromMap reads the three items of a log record's order.items
// (the slice form): a lookup per key (before) and one pass (now).
func BenchmarkItemFromMap(b *testing.B) {
	v := pcommon.NewValueSlice()
	require.NoError(b, v.FromRaw([]any{
		map[string]any{ItemID: "sku-1", ItemName: "Mug", ItemCategory: "kitchen", ItemPriceMinor: 1299, ItemQuantity: 2},
		map[string]any{ItemID: "sku-2", ItemName: "Coaster", ItemPrice: "4.99"},
		map[string]any{ItemID: "sku-3", ItemName: "Tea", ItemPriceMinor: 1900, ItemQuantity: 1},
	}))
	for _, f := range []struct {
		name string
		fn   func(pcommon.Map, string) (Item, error)
	}{{"lookups", itemByLookups}, {"one_pass", itemFromMap}} {
		b.Run(f.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				for _, e := range v.Slice().All() {
					if _, err := f.fn(e.Map(), "USD"); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}

// A span event carries order.items as JSON text. Its integers were read as
// float64, so a numeric item id past 2^53 (a .NET long, a database bigint)
// came out changed: 1234567890123456789 as 1234567890123456800.
func TestJSONItemsKeepIntegersExact(t *testing.T) {
	items, err := ParseItems(pcommon.NewValueStr(`[
		{"item_id": 1234567890123456789, "item_name": 1e21, "price": 19.99, "quantity": 3, "extra": {"n": [9007199254740993]}},
		{"item_id": 42, "price": 12, "quantity": 2.0},
		{"item_id": 99999999999999999999, "price_minor": 1999}
	]`), "USD")
	require.NoError(t, err)
	assert.Equal(t, []Item{
		{ID: "1234567890123456789", Name: "1e+21", PriceMinor: 1999, Quantity: 3},
		{ID: "42", PriceMinor: 1200, Quantity: 2},
		{ID: "100000000000000000000", PriceMinor: 1999, Quantity: 1},
	}, items, "integers exact; other numbers as before")
}
