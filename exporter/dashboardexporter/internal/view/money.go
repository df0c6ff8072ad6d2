package view

import (
	"math"
	"strconv"
	"strings"

	"github.com/otelcol-payments/otelcol-payments/internal/contract"
)

// Money is an amount in major units of a currency as an exact decimal string
// with the currency's ISO 4217 exponent: "191704.08" USD, "2733.275" KWD,
// "25000" JPY. JSON carries it as that string, never as a binary float, so a
// client reads exactly the cents the ledger has.
type Money string

// moneyOf rounds a metric total in major units to the currency's minor unit
// (half away from zero, through the double's shortest decimal form, as the
// contract reads amounts) and renders it exactly. The store sums doubles;
// their drift (191704.08000000002) is far below half a minor unit, so the
// rounding gives back the exact total of the amounts that were sent.
func moneyOf(v float64, currency string) Money {
	exp, ok := contract.CurrencyExponent(currency)
	if !ok {
		exp = 2
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		v = 0
	}
	minor, err := contract.MajorFloatToMinor(math.Abs(v), exp)
	if err != nil {
		minor = math.MaxInt64
	}
	if v < 0 {
		minor = -minor
	}
	return Money(contract.FormatMinor(minor, currency))
}

func moneyPtr(v *float64, currency string) *Money {
	if v == nil {
		return nil
	}
	return ptr(moneyOf(*v, currency))
}

// Float is the amount as a double, for ratios and comparisons only.
func (m Money) Float() float64 {
	f, _ := strconv.ParseFloat(string(m), 64)
	return f
}

// grouped renders the amount with thousands separators, keeping its exact
// decimals ("124,027.34").
func (m Money) grouped() string {
	s := string(m)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	intPart, frac, hasFrac := strings.Cut(s, ".")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if hasFrac {
		b.WriteString("." + frac)
	}
	return b.String()
}
