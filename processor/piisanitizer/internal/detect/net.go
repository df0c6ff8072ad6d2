package detect

import (
	"net/netip"
	"strings"
)

// ipv4At matches a dotted-quad IPv4 address (no leading zeros, octets ≤255)
// that stands alone: not part of a longer dotted number such as a version
// 1.2.3.4.5. keep is the length of the part the mask keeps (up to the last
// dot). Addresses whose last octet is already 0 are network addresses or
// already masked and are not findings.
func ipv4At(s string, i int) (end, keep int, ok bool) {
	// After '*' the digits are the kept tail of a number this package
	// masked ("+*************0.0.0.1" from "+10000000000000.0.0.1"), not
	// the start of an address: sanitizing again must not change it.
	if i > 0 && (s[i-1] == '.' || s[i-1] == '*') {
		return 0, 0, false
	}
	j := i
	for octet := 0; octet < 4; octet++ {
		if octet > 0 {
			if j >= len(s) || s[j] != '.' {
				return 0, 0, false
			}
			j++
			keep = j - i
		}
		start := j
		v := 0
		for j < len(s) && isDigit(s[j]) && j-start < 4 {
			v = v*10 + int(s[j]-'0')
			j++
		}
		n := j - start
		if n == 0 || n > 3 || v > 255 || (n > 1 && s[start] == '0') {
			return 0, 0, false
		}
	}
	if wordAt(s, j) || (j+1 < len(s) && s[j] == '.' && isDigit(s[j+1])) {
		return 0, 0, false
	}
	if j-i == keep+1 && s[j-1] == '0' {
		return 0, 0, false
	}
	return j, keep, true
}

// ipv6At matches an IPv6 address around the colon at s[i]. The candidate is
// syntax-checked before netip parses it, so clean text such as times
// (12:34:56) or MAC addresses costs no allocation.
func ipv6At(s string, i, lo int) (start, end int, ok bool) {
	start = i
	for start > lo && i-start < 4 && isHex(s[start-1]) {
		start--
	}
	// ']' and '*' end our own placeholders and masks: text glued to them is
	// judged the same before and after a first pass.
	if start > 0 && (isWord(s[start-1]) || strings.IndexByte(".:]*", s[start-1]) >= 0) {
		return 0, 0, false
	}
	end = i
	for end < len(s) && end-start < 45 && (isHex(s[end]) || s[end] == ':' || s[end] == '.') {
		end++
	}
	// ":." and ".:" never occur inside an address: what follows is other
	// text, and cutting there judges "::2:.x" alike whatever x is
	// (idempotency).
	if k := strings.Index(s[start:end], ":."); k >= 0 {
		end = start + k + 1
	}
	if k := strings.Index(s[start:end], ".:"); k >= 0 {
		end = start + k
	}
	// Sentence punctuation after an address.
	for end > i && (s[end-1] == '.' || (s[end-1] == ':' && (end-2 < 0 || s[end-2] != ':'))) {
		end--
	}
	// A colon glued to a word after the candidate ("::2:abc@…") makes it
	// part of a longer token, whatever that word becomes after a first pass.
	// So does a '+' ("::2+1000…": masked to "::+1000…" it would read as a
	// phone number on a second pass) or a '*' (a word a first pass masked).
	if wordAt(s, end) || (end < len(s) && s[end] == ':' && wordAt(s, end+1)) || (end < len(s) && (s[end] == '+' || s[end] == '*')) || !plausibleIPv6(s[start:end]) {
		return 0, 0, false
	}
	addr, err := netip.ParseAddr(s[start:end])
	if err != nil || addr.IsLoopback() || addr.IsUnspecified() {
		return 0, 0, false
	}
	if maskIP(addr) == addr {
		return 0, 0, false // already masked
	}
	return start, end, true
}

// isIPv6Token reports whether the hex-and-colon run starting at s[j] is an
// IPv6 address.
func isIPv6Token(s string, j int) bool {
	end := j
	for end < len(s) && end-j < 40 && (isHex(s[end]) || s[end] == ':') {
		end++
	}
	if wordAt(s, end) || !plausibleIPv6(s[j:end]) {
		return false
	}
	_, err := netip.ParseAddr(s[j:end])
	return err == nil
}

// plausibleIPv6 checks the shape: at most 8 groups of 1–4 hex digits, exactly
// 8 unless one "::" stands for the rest, and an optional dotted IPv4 tail.
func plausibleIPv6(c string) bool {
	groups, groupLen, doubles, colons := 0, 0, 0, 0
	for k := 0; k < len(c); k++ {
		switch ch := c[k]; {
		case ch == ':':
			colons++
			if groupLen > 0 {
				groups++
			} else if k > 0 && c[k-1] == ':' {
				doubles++
			} else if k > 0 {
				return false
			}
			groupLen = 0
		case ch == '.':
			// An embedded IPv4 address takes the place of two groups.
			if (groups != 6 || doubles != 0) && (doubles != 1 || groups > 5) {
				return false
			}
			_, _, ok := ipv4At(c, k-groupLen)
			return ok
		default:
			groupLen++
			if groupLen > 4 {
				return false
			}
		}
	}
	if groupLen > 0 {
		groups++
	}
	if colons < 2 || doubles > 1 || groups > 8 {
		return false
	}
	return groups == 8 || doubles == 1
}

// maskIP keeps an IPv6 address's /48 network (an IPv4 address in IPv6 keeps
// its /24).
func maskIP(addr netip.Addr) netip.Addr {
	bits := 48
	if addr.Is4In6() {
		bits = 96 + 24
	}
	p, err := addr.Prefix(bits)
	if err != nil {
		return addr
	}
	return p.Addr()
}

// appendMaskIP sets the last IPv4 octet to 0, or zeroes an IPv6 address
// beyond its /48.
func appendMaskIP(b []byte, v string, keep int) []byte {
	if keep > 0 {
		return append(append(b, v[:keep]...), '0')
	}
	addr, err := netip.ParseAddr(v)
	if err != nil {
		return append(b, redactedByKind[KindIP]...)
	}
	return maskIP(addr).AppendTo(b)
}

// userinfoAt matches the user:password part of a URL authority starting at
// s[i] (just after "://").
func userinfoAt(s string, i int) (start, end int, ok bool) {
	at := -1
	for j := i; j < len(s); j++ {
		c := s[j]
		if c == '/' || c == '?' || c == '#' || c <= ' ' || c == '"' || c == '\'' || c == '<' || c == '>' || c == '\\' {
			break
		}
		if c == '@' {
			at = j
		}
	}
	if at <= i || IsSanitized(s[i:at]) {
		return 0, 0, false
	}
	return i, at, true
}
