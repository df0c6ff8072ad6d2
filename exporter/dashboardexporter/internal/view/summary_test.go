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

// Customers' declines (10-15 % of attempts on a healthy shop) leave the
// status ok; the provider's failures in the window over the shipped
// payment_failure_rate threshold, or failures no decline rate explains,
// make it a warning. Today's figures do not: a morning outage is over.
func TestSummaryJudgesProviderFailuresNotDeclines(t *testing.T) {
	doc := func(attempts, failed, provider float64) Dashboard {
		success := 0.7 // today's, after a morning outage
		return Dashboard{
			Data:     DataStatus{Flowing: true},
			Payments: Payments{Attempts: 5000, SuccessRate: &success},
			Errors: ErrorRates{
				WindowSeconds: 300, PaymentAttempts: attempts,
				Payments: ratio(failed, attempts), PaymentsProvider: ratio(provider, attempts),
			},
		}
	}
	healthy := BuildSummary(doc(200, 28, 4))
	assert.Equal(t, StatusOK, healthy.Status, healthy.Headline)
	assert.Contains(t, healthy.Headline, "payment success 70.0%")

	outage := BuildSummary(doc(200, 40, 26))
	assert.Equal(t, StatusWarning, outage.Status)
	assert.Contains(t, outage.Headline, "provider failures 13.0% of payment attempts in the last 5 min")

	flood := BuildSummary(doc(200, 80, 2))
	assert.Equal(t, StatusWarning, flood.Status)
	assert.Contains(t, flood.Headline, "payment success rate 60.0% in the last 5 min")

	early := BuildSummary(doc(5, 4, 4))
	assert.Equal(t, StatusOK, early.Status, "a handful of attempts")
}
