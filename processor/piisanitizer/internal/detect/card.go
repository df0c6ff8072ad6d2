package detect

import (
	"math"
	"strconv"
)

const (
	minPAN = 12
	maxPAN = 19
)

// panAt matches a payment card number starting at s[i]: 12–19 digits, either
// one run or groups (first group of four, then groups of 3–6) separated by
// one to three spaces, dashes or dots in any mix (systems log all of
// "4111.1111.1111.1111", "4111  1111 …" and "4111 1111-1111 1111"), with a
// known IIN and a valid Luhn check digit.
// When a grouped run is longer than a card (a card followed by a year), the
// longest valid prefix of whole groups wins.
func panAt(s string, i int) (end int, ok bool) {
	var digits [maxPAN]byte
	n := 0
	var groupEnds [maxPAN]int // end offset in s of each group
	var groupDigits [maxPAN]int
	groups := 0
	groupLen := 0
	grouped := false
	j := i
	for ; j < len(s); j++ {
		c := s[j]
		if isDigit(c) {
			if n < maxPAN {
				digits[n] = c
			}
			n++
			groupLen++
			continue
		}
		if k := panSepLen(s, j); k > 0 && groups < maxPAN-1 {
			if !validGroup(groups, groupLen) {
				break
			}
			grouped = true
			groupEnds[groups], groupDigits[groups] = j, n
			groups++
			groupLen = 0
			j += k - 1
			continue
		}
		break
	}
	if !grouped {
		// One run: the whole run must be a card and stand alone.
		if n < minPAN || n > maxPAN || wordAt(s, j) {
			return 0, false
		}
		return j, validPAN(digits[:n])
	}
	if validGroup(groups, groupLen) && n <= maxPAN && n >= minPAN && !wordAt(s, j) && validPAN(digits[:n]) {
		return j, true
	}
	for g := groups - 1; g >= 1; g-- {
		if d := groupDigits[g]; d >= minPAN && d <= maxPAN && validPAN(digits[:d]) {
			return groupEnds[g], true
		}
	}
	return 0, false
}

// panSepLen is the length of the separator between two card digit groups at
// s[j] (one to three of ' ', '-', '.', tab, '_', '/' or a URL-encoded space
// followed by a digit: "4111 - 1111", "4111\t1111" from a TSV export,
// "4111_1111" from a generated name, "4111+1111" from a form), or 0.
func panSepLen(s string, j int) int {
	k := 0
	for n := 0; n < 3 && j+k < len(s); n++ {
		if isPANSep(s[j+k]) {
			k++
		} else if e := encodedSpaceLen(s, j+k); e > 0 {
			k += e
		} else {
			break
		}
	}
	if k == 0 || j+k >= len(s) || !isDigit(s[j+k]) {
		return 0
	}
	return k
}

// encodedSpaceLen is the length of a URL-encoded space at s[j] ('+' in a
// form value or a query string, "%20"), or 0.
func encodedSpaceLen(s string, j int) int {
	switch {
	case s[j] == '+':
		return 1
	case s[j] == '%' && j+2 < len(s) && s[j+1] == '2' && s[j+2] == '0':
		return 3
	}
	return 0
}

// escapeLen is the length of a percent escape ("%20", "%2B") at v[i], or
// 0: masks copy it as it is and normalized forms leave it out, as the
// digits in it are no digits of the number.
func escapeLen(v string, i int) int {
	if v[i] == '%' && i+2 < len(v) && isHex(v[i+1]) && isHex(v[i+2]) {
		return 3
	}
	return 0
}

// afterEscape reports whether s[i] follows a percent escape: "%204111…"
// and "%3D4111…" start a word there, encoded as they are.
func afterEscape(s string, i int) bool {
	return i >= 3 && s[i-3] == '%' && isHex(s[i-2]) && isHex(s[i-1])
}

func isPANSep(c byte) bool {
	return c == ' ' || c == '-' || c == '.' || c == '\t' || c == '_' || c == '/'
}

func validGroup(index, length int) bool {
	if index == 0 {
		return length == 4
	}
	return length >= 3 && length <= 6
}

func validPAN(d []byte) bool { return knownIIN(d) && luhn(d) }

// PANInt reports whether a decimal integer is a card number (integer
// attributes holding card numbers are rendered and checked too).
func PANInt(v int64) bool {
	if v < 100_000_000_000 { // fewer than 12 digits
		return false
	}
	var buf [20]byte
	n := len(buf)
	for v > 0 {
		n--
		buf[n] = byte('0' + v%10)
		v /= 10
	}
	d := buf[n:]
	return len(d) <= maxPAN && validPAN(d)
}

// PANDouble reports whether a whole double at or above 2^53 may be a card
// number: 16–19 digits with a card scheme's prefix. A double that large no
// longer holds every integer, so its last digits cannot be Luhn-checked, yet
// an exporter prints its leading 15–17 digits ("4.0000000000000006e+18").
func PANDouble(f float64) bool {
	f = math.Abs(f)
	if f < 1<<53 || f >= 1e19 || f != math.Trunc(f) {
		return false
	}
	var buf [20]byte
	d := strconv.AppendUint(buf[:0], uint64(f), 10)
	return len(d) >= 16 && len(d) <= maxPAN && knownIIN(d)
}

// luhn checks the mod-10 check digit.
func luhn(d []byte) bool {
	sum := 0
	double := false
	for i := len(d) - 1; i >= 0; i-- {
		x := int(d[i] - '0')
		if double {
			x *= 2
			if x > 9 {
				x -= 9
			}
		}
		sum += x
		double = !double
	}
	return sum%10 == 0
}

// knownIIN checks the issuer prefix and length against the card schemes'
// published ranges. Prefixes no scheme issues (0, 1, 7, most of 8 and 9)
// reject timestamps and most order numbers before the Luhn check.
func knownIIN(d []byte) bool {
	n := len(d)
	p2 := int(d[0]-'0')*10 + int(d[1]-'0')
	p3 := p2*10 + int(d[2]-'0')
	p4 := p3*10 + int(d[3]-'0')
	switch d[0] {
	case '4': // Visa
		return n == 13 || n == 16 || n == 19
	case '5':
		if p2 >= 51 && p2 <= 55 { // Mastercard
			return n == 16
		}
		return p2 != 59 && n >= 12 // Maestro 50, 56–58 (no scheme issues 59: Polish EAN-13 codes start 590)
	case '2':
		if p4 >= 2221 && p4 <= 2720 { // Mastercard 2-series
			return n == 16
		}
		return p4 >= 2200 && p4 <= 2204 && n >= 16 // Mir
	case '3':
		switch {
		case p2 == 34 || p2 == 37: // American Express
			return n == 15
		case p4 >= 3528 && p4 <= 3589: // JCB
			return n >= 16
		case (p3 >= 300 && p3 <= 305) || p2 == 36 || p2 == 38 || p2 == 39: // Diners Club
			return n >= 14
		}
		return false
	case '6': // Discover, UnionPay, Maestro, RuPay, Elo…
		return n >= 12
	case '8': // RuPay
		return (p2 == 81 || p2 == 82) && n == 16
	case '9': // Troy
		return p4 == 9792 && n == 16
	}
	return false
}

// CardFragment reports whether v may be part of a card number split over
// two values: 4–15 digits, separated like card digit groups, starting and
// ending with a digit.
func CardFragment(v string) bool {
	if len(v) < 4 || !isDigit(v[0]) || !isDigit(v[len(v)-1]) {
		return false
	}
	digits := 0
	for k := 0; k < len(v); k++ {
		switch c := v[k]; {
		case isDigit(c):
			digits++
		case !isPANSep(c):
			return false
		}
	}
	return digits >= 4 && digits <= maxPAN-4
}

// SplitPAN reports whether the fragments a and b (see CardFragment) are
// one card number when joined.
func SplitPAN(a, b string) bool {
	var d [2 * maxPAN]byte
	n := 0
	for _, v := range [2]string{a, b} {
		for k := 0; k < len(v); k++ {
			if isDigit(v[k]) && n < len(d) {
				d[n] = v[k]
				n++
			}
		}
	}
	return n >= minPAN+1 && n <= maxPAN && validPAN(d[:n])
}

// SanitizeSplitPAN applies the pan action to a card number split over the
// fragments a and b: mask keeps the last four digits (in b), hash gives a
// the pseudonym of the whole number and redacts b, redact and remove
// (where the holder cannot be removed) redact both.
func (sc *Scanner) SanitizeSplitPAN(a, b string, counts *Counts) (outA, outB string, remove bool) {
	counts.Add(KindPAN, 1)
	switch sc.actions[KindPAN] {
	case ActionMask:
		return string(appendKeepLastDigits(nil, a, 0)), string(appendKeepLastDigits(nil, b, 4)), false
	case ActionHash:
		joined := appendNormalized(appendNormalized(nil, KindPAN, a), KindPAN, b)
		return string(sc.hasher.AppendPseudonym(nil, joined)), redactedByKind[KindPAN], false
	}
	return redactedByKind[KindPAN], redactedByKind[KindPAN], sc.actions[KindPAN] == ActionRemove
}
