package contract

import (
	"math"
	"strconv"
	"strings"
)

// FormatNumber renders a measured value for people: never an exponent,
// comma thousands separators, whole numbers from 1,000 up and four
// significant digits below ("11,810", "812.3", "0.0425"); NaN is "n/a".
// Alert summaries, channel messages and the digest use it, so a p95 of
// 11,810 ms never reads "1.181e+04".
func FormatNumber(v float64) string {
	switch {
	case math.IsNaN(v):
		return "n/a"
	case math.IsInf(v, 1):
		return "∞"
	case math.IsInf(v, -1):
		return "-∞"
	}
	abs := math.Abs(v)
	decimals := 0
	if abs < 1000 && abs != 0 {
		// Four significant digits: 3 decimals at 1-9.999, more below 1.
		decimals = 3 - int(math.Floor(math.Log10(abs)))
		decimals = min(max(decimals, 0), 12)
	}
	s := strconv.FormatFloat(v, 'f', decimals, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	if s == "-0" {
		s = "0"
	}
	return groupIntegerPart(s)
}

// groupIntegerPart puts comma thousands separators into the integer part
// of a plain decimal string.
func groupIntegerPart(s string) string {
	sign := ""
	if strings.HasPrefix(s, "-") {
		sign, s = "-", s[1:]
	}
	intPart, frac, hasFrac := strings.Cut(s, ".")
	var b strings.Builder
	for i, r := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if hasFrac {
		b.WriteString("." + frac)
	}
	return sign + b.String()
}

// Measurable reports whether v can be a count, amount or rate: finite and
// within int64's range. Beyond it a value is a producer's bug, and a few
// such values sum or square to ±Inf, which no JSON document carries and
// which leaves a running mean or variance infinite for good.
func Measurable(v float64) bool { return math.Abs(v) <= math.MaxInt64 } // false for NaN
