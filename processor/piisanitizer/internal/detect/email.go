package detect

import (
	"net/netip"
	"strings"
	"unicode"
	"unicode/utf8"
)

func isLocalPart(c byte) bool {
	return isAlnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-'
}

func isDomain(c byte) bool { return isAlnum(c) || c == '.' || c == '-' }

// atSignLen is the length of the at-sign s starts with, in any spelling
// applications emit: '@', URL-encoded "%40" (also double-encoded "%2540"),
// JSON "\u0040", HTML "&#64;" / "&#x40;", full-width "＠"; 0 if none.
func atSignLen(s string) int {
	// Every spelling starts with one of five bytes: this check is inlined
	// where the callers walk text byte by byte, the rest is not.
	if s == "" || class[s[0]]&clAtSign == 0 {
		return 0
	}
	return atSignLenSlow(s)
}

func atSignLenSlow(s string) int {
	switch s[0] {
	case '@':
		return 1
	case '%', '\\', '&':
		if r, n := decodeEscape(s); r == '@' {
			return n
		}
	case 0xEF:
		if strings.HasPrefix(s, "＠") {
			return len("＠")
		}
	}
	return 0
}

// decodeEscape decodes the escape s starts with: "%XX" (also "%25XX",
// double URL-encoding), "\uXXXX" and "&#NN;" / "&#xHH;" for ASCII
// characters. It returns the character and the escape's length, or 0, 0.
func decodeEscape(s string) (c byte, n int) {
	if len(s) < 3 {
		return 0, 0
	}
	switch s[0] {
	case '%':
		if strings.HasPrefix(s, "%25") && len(s) >= 5 && isHex(s[3]) && isHex(s[4]) {
			return hexByte(s[3], s[4]), 5
		}
		if isHex(s[1]) && isHex(s[2]) {
			return hexByte(s[1], s[2]), 3
		}
	case '\\':
		if len(s) >= 6 && (s[1] == 'u' || s[1] == 'U') && s[2] == '0' && s[3] == '0' && isHex(s[4]) && isHex(s[5]) && s[4] < '8' {
			return hexByte(s[4], s[5]), 6
		}
	case '&':
		if s[1] != '#' {
			return 0, 0
		}
		v, k := 0, 2
		hex := k < len(s) && (s[k] == 'x' || s[k] == 'X')
		if hex {
			k++
		}
		start := k
		for k < len(s) && k-start < 3 && (isDigit(s[k]) || (hex && isHex(s[k]))) {
			if hex {
				v = v*16 + int(hexVal(s[k]))
			} else {
				v = v*10 + int(s[k]-'0')
			}
			k++
		}
		if k > start && k < len(s) && s[k] == ';' && v > 0 && v < 0x80 {
			return byte(v), k + 1
		}
	}
	return 0, 0
}

func hexByte(hi, lo byte) byte { return hexVal(hi)<<4 | hexVal(lo) }

func hexVal(c byte) byte {
	switch {
	case isDigit(c):
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10
	}
	return 0
}

// isEscapedLocalPart reports whether an escaped character belongs to a
// local part: escaping serializers (.NET's System.Text.Json) write '+' and
// '\” as "\u002B" and "\u0027" ("O\u0027Neil@…").
func isEscapedLocalPart(c byte) bool { return (isLocalPart(c) && c != '%') || c == '\'' }

// escapeBefore reports the escape that ends at s[end] (not before lo):
// its length and whether it decodes to a local-part character. "%3D" ('=')
// ends a local part ("?email%3Dalice%40…"), "\u002B" ('+') belongs to it.
func escapeBefore(s string, lo, end int) (n int, local bool) {
	for _, k := range [...]int{3, 5, 6} {
		if end-k < lo {
			break
		}
		if class[s[end-k]]&clEscape == 0 {
			continue // decodeEscape's cases, checked without a call
		}
		if c, m := decodeEscape(s[end-k : end]); m == k {
			return k, isEscapedLocalPart(c)
		}
	}
	return 0, false
}

// emailAt matches an email address around the at-sign of atLen bytes at
// s[at] (see atSignLen): a local part walked back from it (never before lo,
// the end of the previous finding), or a quoted one ("john doe"@…), and a
// domain of at least two labels ending in an alphabetic top-level domain,
// or an address literal (user@[203.0.113.5]).
func emailAt(s string, at, atLen, lo int) (start, end int, ok bool) {
	start = quotedLocalPart(s, at, lo)
	if start < 0 {
		start = walkLocalPart(s, at, lo)
	}
	for start < at && s[start] == '.' {
		start++
	}
	if start == at || containsPseudonym(s[start:at]) {
		return 0, 0, false
	}
	d := at + atLen
	if d < len(s) && s[d] == '[' {
		end, ok = addressLiteralEnd(s, d)
		return start, end, ok && !wordAt(s, end)
	}
	end = d
	for end < len(s) {
		if isDomain(s[end]) {
			end++
		} else if n := latinLetterAt(s[end:]); n > 0 {
			end += n
		} else {
			break
		}
	}
	for end > d && (s[end-1] == '.' || s[end-1] == '-') {
		end--
	}
	// "a@b.cc@d.ee" is not an address; its tail may be. Neither is a domain
	// glued to stars and more text: a first pass masked the rest of its
	// last label ("0@0.AA*********0089" was "0@0.AA0000000000089" with an
	// IBAN in it); "**alice@example.com**" stays an address.
	if wordAt(s, end) || atSignLen(s[end:]) > 0 || maskedRunAt(s, end) || pseudonymAt(s, end-len("pii")) {
		return 0, 0, false
	}
	domain := s[d:end]
	dot := strings.LastIndexByte(domain, '.')
	if dot <= 0 || domain[0] == '-' || strings.Contains(domain, "..") {
		return 0, 0, false
	}
	tld := domain[dot+1:]
	if len(tld) < 2 {
		return 0, 0, false
	}
	for k := 0; k < len(tld); k++ {
		if !isAlpha(tld[k]) && tld[k] < utf8.RuneSelf {
			return 0, 0, false
		}
	}
	return start, end, true
}

// walkLocalPart walks back from the at-sign at s[at] over the local part,
// escapes included ("john.doe\u002Bshop@", "alice%2Bx%40"), and stops at
// an escape of another character ("?email%3Dalice%40…").
func walkLocalPart(s string, at, lo int) int {
	start := at
	for start > lo {
		if n, local := escapeBefore(s, lo, start); n > 0 {
			if !local {
				break
			}
			start -= n
			// JSON in a JSON string escapes the escape: "a\\u002Bb@…".
			if s[start] == '\\' && start > lo && s[start-1] == '\\' {
				start--
			}
		} else if isLocalPart(s[start-1]) {
			start--
		} else if n := latinLetterBefore(s[lo:start]); n > 0 {
			start -= n
		} else {
			break
		}
	}
	return start
}

// quotedLocalPart returns the start of a quoted local part ending at the
// at-sign at s[at] ("john doe"@example.com): up to 64 bytes of one line
// without a quote or backslash. -1 if there is none.
func quotedLocalPart(s string, at, lo int) int {
	if at-2 <= lo || s[at-1] != '"' {
		return -1
	}
	closing := at - 1
	escaped := s[at-2] == '\\' // \"john doe\"@… in JSON in a string
	if escaped {
		closing--
	}
	from := max(lo, closing-65)
	q := strings.LastIndexByte(s[from:closing], '"')
	if q < 0 {
		return -1
	}
	q += from
	open := q
	if escaped {
		if q == lo || s[q-1] != '\\' {
			return -1
		}
		open--
	}
	// The quote opens a local part, not glued to a word or a domain before
	// it ("a@b.\"x\"@…" is no address; the tail of a first pass could be).
	if open > lo && (isLocalPart(s[open-1]) || s[open-1] == '@') {
		return -1
	}
	if q+1 == closing || strings.ContainsAny(s[q+1:closing], "\n\r\\") {
		return -1
	}
	// This package's own output inside the quotes means a first pass found
	// something there and so read no address ("BeArer 0000…"@x became
	// "BeArer [REDACTED:credential]"@x): taking it for one now would make
	// a second pass change the string (found by FuzzSanitize).
	if inner := s[q+1 : closing]; strings.Contains(inner, RedactedPrefix) || strings.Contains(inner, "**") || pseudonymBytes(inner) > 0 {
		return -1
	}
	return open
}

// addressLiteralEnd matches "[203.0.113.5]" or "[IPv6:2001:db8::1]" at s[d].
func addressLiteralEnd(s string, d int) (int, bool) {
	k := strings.IndexByte(s[d:min(len(s), d+52)], ']')
	if k < 2 {
		return 0, false
	}
	lit := s[d+1 : d+k]
	v6 := len(lit) > 5 && strings.EqualFold(lit[:5], "ipv6:")
	if v6 {
		lit = lit[5:]
	}
	for i := 0; i < len(lit); i++ {
		if c := lit[i]; !isDigit(c) && c != '.' && (!v6 || (!isHex(c) && c != ':')) {
			return 0, false
		}
	}
	addr, err := netip.ParseAddr(lit)
	if err != nil || addr.Is6() != v6 {
		return 0, false
	}
	return d + k + 1, true
}

// latinLetterAt is the length of the two-byte UTF-8 letter (Latin, Greek,
// Cyrillic…: müller@bücher.de, почта.рф) s starts with, or 0. Scripts
// written without spaces (CJK, three bytes) stay boundaries, so a label
// glued to an address is not taken for its local part.
func latinLetterAt(s string) int {
	if len(s) < 2 || s[0] < utf8.RuneSelf {
		return 0
	}
	if r, n := utf8.DecodeRuneInString(s); n == 2 && unicode.IsLetter(r) {
		return 2
	}
	return 0
}

// latinLetterBefore is latinLetterAt for the letter s ends with.
func latinLetterBefore(s string) int {
	if len(s) < 2 || s[len(s)-1] < utf8.RuneSelf {
		return 0
	}
	if r, n := utf8.DecodeLastRuneInString(s); n == 2 && unicode.IsLetter(r) {
		return 2
	}
	return 0
}

// pseudonymAt reports whether one of our pseudonyms starts at s[i]: a
// domain whose last label is the "pii" of a pseudonym glued to it is our
// own output, not an address.
func pseudonymAt(s string, i int) bool {
	return i >= 0 && i+PseudonymLen <= len(s) && IsPseudonym(s[i:i+PseudonymLen])
}

// maskedRunAt reports whether s[i:] is stars followed by a letter or digit.
func maskedRunAt(s string, i int) bool {
	j := i
	for j < len(s) && s[j] == '*' {
		j++
	}
	return j > i && wordAt(s, j)
}

// appendMaskEmail keeps the domain: "***@example.com".
func appendMaskEmail(b []byte, v string) []byte {
	for at := 0; at < len(v); at++ {
		if atSignLen(v[at:]) > 0 {
			return append(append(b, "***"...), v[at:]...)
		}
	}
	return append(b, redactedByKind[KindEmail]...)
}

// containsPseudonym reports whether s holds one of our pseudonyms; a local
// part walked back over one would re-detect our own output.
func containsPseudonym(s string) bool {
	for i := 0; len(s)-i >= PseudonymLen; i++ {
		k := strings.Index(s[i:], PseudonymPrefix)
		if k < 0 || len(s)-i-k < PseudonymLen {
			return false
		}
		if IsPseudonym(s[i+k : i+k+PseudonymLen]) {
			return true
		}
		i += k
	}
	return false
}
