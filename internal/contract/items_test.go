package contract

import (
	"math"
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

	empty, err := ParseItems(pcommon.NewValueSlice(), "USD")
	require.NoError(t, err)
	assert.NotNil(t, empty, "an empty list is a list, as before")
	assert.Empty(t, empty)
}
