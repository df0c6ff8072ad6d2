package contract

import (
	"bytes"
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
	ErrAmountAmbiguous  = errors.New("ambiguous_amount")
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
	// The shortest repr round-trips exactly, so reading it as a decimal
	// avoids binary drift (0.1+0.2 style) before rounding. Amounts with up
	// to 18 digits before rounding are read with integer arithmetic (every
	// price and total on the hot path); longer ones go through big.Rat.
	var buf [32]byte
	s := strconv.AppendFloat(buf[:0], f, 'f', -1, 64)
	if m, ok := shortDecimalToMinor(s, exp); ok {
		return m, nil
	}
	return decimalToMinorRat(string(s), exp)
}

// shortDecimalToMinor reads digits[.digits] as minor units with exponent
// exp, rounding half away from zero on the first dropped digit (the decimal
// is exact, so that digit alone decides). ok is false when s has another
// form ("-0") or more than 18 digits would have to be held.
func shortDecimalToMinor(s []byte, exp int) (int64, bool) {
	whole, frac := s, []byte(nil)
	if i := bytes.IndexByte(s, '.'); i >= 0 {
		whole, frac = s[:i], s[i+1:]
	}
	if len(whole) == 0 || len(whole)+exp > 18 {
		return 0, false
	}
	var m int64
	for _, c := range whole {
		if c < '0' || c > '9' {
			return 0, false
		}
		m = m*10 + int64(c-'0')
	}
	for i := range exp {
		m *= 10
		if i < len(frac) {
			m += int64(frac[i] - '0')
		}
	}
	if len(frac) > exp && frac[exp] >= '5' {
		m++
	}
	return m, true
}

// decimalToMinorRat is the exact conversion of a decimal string of any
// length.
func decimalToMinorRat(s string, exp int) (int64, error) {
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

// maxAmountExponent bounds the exponent of "1.5e2" forms: anything larger
// overflows int64 minor units anyway, and a bound keeps "1e999999999" cheap.
const maxAmountExponent = 30

// ParseMajorString parses a decimal string in major units into minor units
// with exponent exp, exactly. The one rule every component shares (see
// "Money" in docs/conventions.md):
//
//   - digits, an optional leading "+", grouping separators and one decimal
//     separator; a leading "-" is ErrAmountNegative; currency symbols, codes
//     and letters are ErrAmountNotNumeric ("¥1,000", "12 EUR").
//   - when both "." and "," appear, the last one is the decimal separator and
//     appears once; the other groups thousands ("1,234.56", "1.234,56").
//   - a lone "." is the decimal point, except that a lone "." followed by
//     exactly three digits that would only be padding zeros for a currency
//     with fewer than three minor digits is ErrAmountAmbiguous ("1.000" JPY,
//     "10.500" USD: German thousands or padded decimals); several "." group
//     thousands ("1.234.567"); several "," group thousands ("1,234,567").
//   - a lone "," is a decimal comma when 1 to exp digits follow it ("12,50"
//     EUR is 12.50), a thousands separator when exactly three digits follow
//     and the currency has fewer than three minor digits ("12,500" USD is
//     12500, "1,000" JPY is 1000), ErrAmountAmbiguous when three digits follow
//     and the currency has three or more ("12,500" KWD), and otherwise
//     ErrAmountNotNumeric ("12,5000" EUR).
//   - space, no-break space, narrow no-break space and apostrophe only ever
//     group thousands ("1 234,56", "1'234.56"); groups after the first have
//     exactly three digits, and one grouping character kind is used.
//   - "1.5e2" exponent forms are accepted without grouping.
//   - decimals beyond the exponent must be zeros ("10.5000" USD); otherwise
//     ErrAmountPrecision.
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
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		return parseExponentForm(s[:i], s[i+1:], exp)
	}
	intPart, frac, err := splitDecimal(s, exp)
	if err != nil {
		return 0, err
	}
	return digitsToMinor(intPart, frac, exp)
}

// spaceSeparators maps the no-break spaces some locales group digits
// with to a plain space.
var spaceSeparators = strings.NewReplacer("\u00a0", " ", "\u202f", " ")

// splitDecimal applies the separator rules of ParseMajorString and returns
// the integer digits (grouping removed, checked) and the fraction digits.
func splitDecimal(s string, exp int) (intPart, frac string, err error) {
	// One spelling for every space-like grouping character (the check
	// keeps the common ASCII amount free of allocations).
	if strings.ContainsAny(s, "\u00a0\u202f") {
		s = spaceSeparators.Replace(s)
	}
	dots, commas := strings.Count(s, "."), strings.Count(s, ",")
	lastDot, lastComma := strings.LastIndexByte(s, '.'), strings.LastIndexByte(s, ',')
	decimal := -1 // index of the decimal separator
	group := byte(0)
	switch {
	case dots > 0 && commas > 0:
		decimal, group = lastDot, ','
		if lastComma > lastDot {
			decimal, group = lastComma, '.'
		}
		if strings.Count(s, string(s[decimal])) != 1 {
			return "", "", ErrAmountNotNumeric
		}
	case dots == 1:
		decimal = lastDot
		after := s[lastDot+1:]
		if len(after) == 3 && exp < 3 && strings.Trim(after[exp:], "0") == "" && !strings.ContainsAny(s, " '") {
			// "1.000" JPY, "10.500" USD: German thousands or padded decimals.
			return "", "", ErrAmountAmbiguous
		}
	case dots > 1:
		group = '.'
	case commas > 1:
		group = ','
	case commas == 1:
		after := len(s) - lastComma - 1
		spaced := strings.ContainsAny(s, " '")
		switch {
		case spaced || (after >= 1 && after <= exp && after != 3):
			decimal = lastComma
		case after == 3 && exp >= 3:
			return "", "", ErrAmountAmbiguous
		case after == 3:
			group = ','
		default:
			return "", "", ErrAmountNotNumeric
		}
	}
	intPart = s
	if decimal >= 0 {
		intPart, frac = s[:decimal], s[decimal+1:]
	}
	for _, sp := range []byte{' ', '\''} {
		if strings.IndexByte(intPart, sp) < 0 {
			continue
		}
		if group != 0 && strings.IndexByte(intPart, group) >= 0 {
			return "", "", ErrAmountNotNumeric // two grouping kinds
		}
		group = sp
	}
	if group != 0 {
		if intPart, err = ungroup(intPart, group); err != nil {
			return "", "", err
		}
	}
	if intPart == "" && frac == "" {
		return "", "", ErrAmountNotNumeric
	}
	return intPart, frac, nil
}

// ungroup removes grouping separators sep from digits, which must split the
// number into a first group of one to three digits and groups of three.
func ungroup(digits string, sep byte) (string, error) {
	groups := strings.Split(digits, string(sep))
	for i, g := range groups {
		if g == "" || len(g) > 3 || (i > 0 && len(g) != 3) {
			return "", ErrAmountNotNumeric
		}
	}
	return strings.Join(groups, ""), nil
}

// parseExponentForm reads mantissa×10^e ("1.5e2") without grouping: the
// decimal point is moved, then the digits are read as usual.
func parseExponentForm(mantissa, e string, exp int) (int64, error) {
	shift, err := strconv.Atoi(e)
	if err != nil || strings.Trim(mantissa, "0123456789.") != "" || strings.Trim(mantissa, ".") == "" || strings.Count(mantissa, ".") > 1 {
		return 0, ErrAmountNotNumeric
	}
	intPart, frac, _ := strings.Cut(mantissa, ".")
	if shift > maxAmountExponent || shift < -maxAmountExponent {
		if strings.Trim(intPart+frac, "0") == "" {
			return digitsToMinor(intPart, frac, exp) // zero, or non-digits
		}
		if shift > 0 {
			return 0, ErrAmountOverflow
		}
		return 0, ErrAmountPrecision
	}
	if shift > 0 {
		frac += strings.Repeat("0", max(0, shift-len(frac)))
		intPart, frac = intPart+frac[:shift], frac[shift:]
	} else if shift < 0 {
		intPart = strings.Repeat("0", max(0, -shift-len(intPart))) + intPart
		cut := len(intPart) + shift
		intPart, frac = intPart[:cut], intPart[cut:]+frac
	}
	return digitsToMinor(intPart, frac, exp)
}

// digitsToMinor combines integer and fraction digits into minor units with
// exponent exp; fraction digits beyond exp must be zeros.
func digitsToMinor(intPart, frac string, exp int) (int64, error) {
	if len(frac) > exp {
		// extra digits must be zeros ("10.500" for USD is fine)
		if strings.Trim(frac[exp:], "0") != "" {
			if strings.Trim(frac[exp:], "0123456789") != "" {
				return 0, ErrAmountNotNumeric
			}
			return 0, ErrAmountPrecision
		}
		frac = frac[:exp]
	}
	frac += strings.Repeat("0", exp-len(frac))
	digits := intPart + frac
	if digits == "" {
		return 0, ErrAmountNotNumeric
	}
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
	var buf [24]byte
	return string(AppendDecimal(buf[:0], minor, MinorExponent(currency)))
}

// MinorExponent is the number of digits after the point FormatMinor writes
// for currency: its ISO 4217 exponent, 2 for a code it does not know.
func MinorExponent(currency string) int {
	if exp, ok := iso4217Exponents[currency]; ok {
		return exp
	}
	return 2
}

// AppendDecimal appends minor units as an exact decimal with exp digits
// after the point ("0.05", "-12.50", "500"), as FormatMinor writes them,
// for encoders that write money into a buffer.
func AppendDecimal(dst []byte, minor int64, exp int) []byte {
	u := uint64(minor)
	if minor < 0 {
		dst = append(dst, '-')
		u = uint64(-minor)
	}
	var digits [20]byte
	d := strconv.AppendUint(digits[:0], u, 10)
	if exp <= 0 {
		return append(dst, d...)
	}
	if n := len(d) - exp; n > 0 {
		dst = append(dst, d[:n]...)
		dst = append(dst, '.')
		return append(dst, d[n:]...)
	}
	dst = append(dst, "0."...)
	for range exp - len(d) {
		dst = append(dst, '0')
	}
	return append(dst, d...)
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
