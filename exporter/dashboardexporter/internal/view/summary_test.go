package view

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestGrouped(t *testing.T) {
	assert.Equal(t, "124,027.34", moneyOf(124027.339, "USD").grouped())
	assert.Equal(t, "999.00", moneyOf(999, "USD").grouped())
	assert.Equal(t, "-1,000,000.50", moneyOf(-1000000.5, "EUR").grouped())
	assert.Equal(t, "0.00", moneyOf(0, "USD").grouped())
	assert.Equal(t, "2,733.275", moneyOf(2733.2750000000005, "KWD").grouped())
	assert.Equal(t, "25,000", moneyOf(25000, "JPY").grouped())
}

// Sums of doubles drift (0.1+0.2, 191704.08000000002); the JSON carries the
// exact decimal of the currency, as a string.
func TestMoneyIsExactDecimalString(t *testing.T) {
	var usd float64
	for range 1000 {
		usd += 191.70408
	}
	assert.NotEqual(t, 191704.08, usd, "the double sum drifts")
	assert.Equal(t, Money("191704.08"), moneyOf(usd, "USD"))
	assert.Equal(t, Money("191704.08"), moneyOf(191704.08000000002, "USD"))
	assert.Equal(t, Money("2733.275"), moneyOf(2733.2750000000005, "KWD"))
	assert.Equal(t, Money("0.30"), moneyOf(0.1+0.2, "USD"))
	assert.Equal(t, Money("0.29"), moneyOf(0.29, "USD"))
	assert.Equal(t, Money("500"), moneyOf(499.5, "JPY"), "half away from zero")
	assert.Equal(t, Money("0.00"), moneyOf(math.NaN(), "USD"))
	b, err := json.Marshal(Revenue{Today: moneyOf(usd, "USD")})
	require.NoError(t, err)
	assert.Contains(t, string(b), `"today":"191704.08"`)
}
