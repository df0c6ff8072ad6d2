package detect

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

func isLocalPart(c byte) bool {
	return isAlnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-'
}

func isDomain(c byte) bool { return isAlnum(c) || c == '.' || c == '-' }

// emailAt matches an email address around the '@' (or URL-encoded "%40",
// atLen 3) at s[at]: a local part walked back from the '@' (never before lo,
// the end of the previous finding) and a domain of at least two labels
// ending in an alphabetic top-level domain.
func emailAt(s string, at, atLen, lo int) (start, end int, ok bool) {
	start = at
	for start > lo {
		if isLocalPart(s[start-1]) {
			start--
		} else if n := latinLetterBefore(s[lo:start]); n > 0 {
			start -= n
		} else {
			break
		}
	}
	for start < at && s[start] == '.' {
		start++
	}
	if start == at || containsPseudonym(s[start:at]) {
		return 0, 0, false
	}
	d := at + atLen
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
	if wordAt(s, end) || (end < len(s) && s[end] == '@') || strings.HasPrefix(s[end:], "%40") || maskedRunAt(s, end) {
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
	at := strings.IndexByte(v, '@')
	if at < 0 {
		if at = strings.Index(v, "%40"); at < 0 {
			return append(b, redactedByKind[KindEmail]...)
		}
	}
	return append(append(b, "***"...), v[at:]...)
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
