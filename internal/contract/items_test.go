package contract

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
