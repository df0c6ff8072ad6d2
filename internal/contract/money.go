package contract

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// Money is an amount in integer minor units of a currency.
type Money struct {
	Minor    int64
	Currency string
}

// String renders the amount in major units with the currency's exponent,
// e.g. "49.99 USD", "500 JPY", "1.250 KWD".
func (m Money) String() string {
	return FormatMinor(m.Minor, m.Currency) + " " + m.Currency
}

// Reasons an amount is invalid. They are the values of the "reason"
// attribute on invalid-event counters, so they stay short and stable.
var (
	ErrAmountMissing    = errors.New("missing_amount")
	ErrAmountNotNumeric = errors.New("non_numeric_amount")
	ErrAmountNaN        = errors.New("nan_amount")
	ErrAmountInfinite   = errors.New("infinite_amount")
	ErrAmountNegative   = errors.New("negative_amount")
	ErrAmountOverflow   = errors.New("amount_overflow")
	ErrAmountPrecision  = errors.New("amount_precision")
	ErrCurrencyMissing  = errors.New("missing_currency")
	ErrCurrencyUnknown  = errors.New("unknown_currency")
)

// CurrencyExponent returns the ISO 4217 minor unit exponent of an alphabetic
// currency code, and whether the code is known.
func CurrencyExponent(code string) (int, bool) {
	e, ok := iso4217Exponents[code]
	return e, ok
}

// NormalizeCurrency upper-cases and trims a currency code and checks it.
func NormalizeCurrency(code string) (string, error) {
	c := strings.ToUpper(strings.TrimSpace(code))
	if c == "" {
		return "", ErrCurrencyMissing
	}
	if _, ok := iso4217Exponents[c]; !ok {
		return "", ErrCurrencyUnknown
	}
	return c, nil
}

// ParseMajorValue converts an amount in major units, as an attribute value
// (double, int or decimal string), to minor units of currency.
// Doubles are rounded half away from zero at the minor unit, which is exact
// for every double an application produced by writing a decimal with at most
// the currency's exponent in digits; decimal strings with more digits than
// the exponent are rejected rather than rounded.
func ParseMajorValue(v pcommon.Value, currency string) (int64, error) {
	exp, ok := iso4217Exponents[currency]
	if !ok {
		return 0, ErrCurrencyUnknown
	}
	switch v.Type() {
	case pcommon.ValueTypeEmpty:
		return 0, ErrAmountMissing
	case pcommon.ValueTypeInt:
		return scaleInt(v.Int(), exp)
	case pcommon.ValueTypeDouble:
		return MajorFloatToMinor(v.Double(), exp)
	case pcommon.ValueTypeStr:
		return ParseMajorString(v.Str(), exp)
	default:
		return 0, ErrAmountNotNumeric
	}
}

// ParseMinorValue reads an amount already in minor units (int, or a string of
// digits; a double only when it holds a whole number).
func ParseMinorValue(v pcommon.Value) (int64, error) {
	switch v.Type() {
	case pcommon.ValueTypeEmpty:
		return 0, ErrAmountMissing
	case pcommon.ValueTypeInt:
		if v.Int() < 0 {
			return 0, ErrAmountNegative
		}
		return v.Int(), nil
	case pcommon.ValueTypeDouble:
		f := v.Double()
		if err := checkFloat(f); err != nil {
			return 0, err
		}
		if f != math.Trunc(f) {
			return 0, ErrAmountPrecision
		}
		if f >= math.MaxInt64 {
			return 0, ErrAmountOverflow
		}
		return int64(f), nil
	case pcommon.ValueTypeStr:
		return ParseMajorString(v.Str(), 0)
	default:
		return 0, ErrAmountNotNumeric
	}
}

// AmountFrom reads the amount of an event or span from its attributes:
// PaymentAmountMinor when present, otherwise PaymentAmount, in the currency of
// PaymentCurrency.
func AmountFrom(attrs pcommon.Map) (Money, error) {
	cv, ok := attrs.Get(PaymentCurrency)
	if !ok || cv.Type() != pcommon.ValueTypeStr {
		return Money{}, ErrCurrencyMissing
	}
	cur, err := NormalizeCurrency(cv.Str())
	if err != nil {
		return Money{}, err
	}
	if mv, ok := attrs.Get(PaymentAmountMinor); ok {
		minor, err := ParseMinorValue(mv)
		return Money{Minor: minor, Currency: cur}, err
	}
	av, ok := attrs.Get(PaymentAmount)
	if !ok {
		return Money{Currency: cur}, ErrAmountMissing
	}
	minor, err := ParseMajorValue(av, cur)
	return Money{Minor: minor, Currency: cur}, err
}

func checkFloat(f float64) error {
	switch {
	case math.IsNaN(f):
		return ErrAmountNaN
	case math.IsInf(f, 0):
		return ErrAmountInfinite
	case f < 0:
		return ErrAmountNegative
	}
	return nil
}

var pow10 = [...]int64{1, 10, 100, 1000, 10000}

func scaleInt(major int64, exp int) (int64, error) {
	if major < 0 {
		return 0, ErrAmountNegative
	}
	if major > math.MaxInt64/pow10[exp] {
		return 0, ErrAmountOverflow
	}
	return major * pow10[exp], nil
}

// MajorFloatToMinor converts a double in major units to minor units with
// exponent exp, rounding half away from zero. The double's shortest decimal
// representation is used, so 0.29 becomes 29 and not 28.
func MajorFloatToMinor(f float64, exp int) (int64, error) {
	if err := checkFloat(f); err != nil {
		return 0, err
	}
	// The shortest repr round-trips exactly, so parsing it as a decimal
	// avoids binary drift (0.1+0.2 style) before rounding.
	s := strconv.FormatFloat(f, 'f', -1, 64)
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return 0, ErrAmountNotNumeric
	}
	r.Mul(r, new(big.Rat).SetInt64(pow10[exp]))
	// round half away from zero (amount is non-negative here)
	r.Add(r, big.NewRat(1, 2))
	q := new(big.Int).Quo(r.Num(), r.Denom())
	if !q.IsInt64() {
		return 0, ErrAmountOverflow
	}
	return q.Int64(), nil
}

// ParseMajorString parses a decimal string such as "49.99" or "1,234.50"
// (comma grouping allowed) into minor units with exponent exp, exactly.
func ParseMajorString(s string, exp int) (int64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, ErrAmountMissing
	}
	if s[0] == '-' {
		return 0, ErrAmountNegative
	}
	s = strings.TrimPrefix(s, "+")
	switch strings.ToLower(s) {
	case "nan":
		return 0, ErrAmountNaN
	case "inf", "infinity":
		return 0, ErrAmountInfinite
	}
	intPart, frac, hasDot := strings.Cut(s, ".")
	intPart = strings.ReplaceAll(intPart, ",", "")
	if intPart == "" && (!hasDot || frac == "") {
		return 0, ErrAmountNotNumeric
	}
	if len(frac) > exp {
		// extra digits must be zeros ("10.500" for USD is fine)
		if strings.Trim(frac[exp:], "0") != "" {
			return 0, ErrAmountPrecision
		}
		frac = frac[:exp]
	}
	frac += strings.Repeat("0", exp-len(frac))
	digits := intPart + frac
	var n int64
	for i := 0; i < len(digits); i++ {
		c := digits[i]
		if c < '0' || c > '9' {
			return 0, ErrAmountNotNumeric
		}
		if n > (math.MaxInt64-int64(c-'0'))/10 {
			return 0, ErrAmountOverflow
		}
		n = n*10 + int64(c-'0')
	}
	return n, nil
}

// FormatMinor renders minor units as a major-unit decimal string with the
// currency's exponent ("49.99", "500", "1.250"). Unknown currencies are
// treated as exponent 2.
func FormatMinor(minor int64, currency string) string {
	exp, ok := iso4217Exponents[currency]
	if !ok {
		exp = 2
	}
	neg := minor < 0
	u := uint64(minor)
	if neg {
		u = uint64(-minor)
	}
	s := strconv.FormatUint(u, 10)
	if exp > 0 {
		if len(s) <= exp {
			s = strings.Repeat("0", exp-len(s)+1) + s
		}
		s = s[:len(s)-exp] + "." + s[len(s)-exp:]
	}
	if neg {
		s = "-" + s
	}
	return s
}

// MinorToMajorFloat converts minor units to a double in major units, for
// metric values and APIs (GA4) that take a number. The result is the double
// nearest to the exact decimal, so it prints back as the exact decimal.
func MinorToMajorFloat(minor int64, currency string) float64 {
	f, err := strconv.ParseFloat(FormatMinor(minor, currency), 64)
	if err != nil {
		panic(fmt.Sprintf("contract: FormatMinor produced %q", FormatMinor(minor, currency)))
	}
	return f
}
