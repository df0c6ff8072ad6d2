package detect

import (
	"encoding/base64"
	"strings"
)

// secretPrefixes are payment-provider and platform credentials recognisable by
// their prefix; minTail is the least number of token bytes after it.
var secretPrefixes = []struct {
	prefix  string
	minTail int
}{
	{"sk_live_", 10}, {"sk_test_", 10}, {"rk_live_", 10}, {"rk_test_", 10}, {"whsec_", 16}, // Stripe
	{"sq0atp-", 16}, {"sq0csp-", 16}, // Square
	{"access_token$production$", 16}, {"access_token$sandbox$", 16}, // Braintree / PayPal
	{"AKIA", 16}, {"AIza", 30}, // AWS access key id, Google API key
	{"ghp_", 30}, {"gho_", 30}, {"ghs_", 30}, {"ghu_", 30}, {"github_pat_", 30}, // GitHub
	{"glpat-", 20},                              // GitLab
	{"xoxb-", 10}, {"xoxp-", 10}, {"xoxa-", 10}, // Slack
	{"shpat_", 20}, {"shpss_", 20}, {"shpca_", 20}, // Shopify
}

func isToken(c byte) bool { return isAlnum(c) || c == '_' || c == '-' }

// secretAt matches a known secret prefix at s[i] followed by token bytes;
// keep is the prefix length (the mask keeps it, it tells the key's kind).
func secretAt(s string, i int) (end, keep int, ok bool) {
	rest := s[i:]
	for _, p := range secretPrefixes {
		if rest[0] != p.prefix[0] || !strings.HasPrefix(rest, p.prefix) {
			continue
		}
		j := i + len(p.prefix)
		for j < len(s) && (isToken(s[j]) || s[j] == '$') {
			j++
		}
		if j-i-len(p.prefix) >= p.minTail {
			return j, len(p.prefix), true
		}
	}
	return 0, 0, false
}

func isBase64URL(c byte) bool { return isAlnum(c) || c == '_' || c == '-' }

// jwtAt matches a JSON Web Token: "eyJ" header, '.', payload, '.', signature.
func jwtAt(s string, i int) (int, bool) {
	if !strings.HasPrefix(s[i:], "eyJ") {
		return 0, false
	}
	j := i
	for part := 0; part < 3; part++ {
		if part > 0 {
			if j >= len(s) || s[j] != '.' {
				return 0, false
			}
			j++
		}
		start := j
		for j < len(s) && isBase64URL(s[j]) {
			j++
		}
		if (part == 0 && j-start < 10) || (part == 1 && j-start < 4) {
			return 0, false
		}
	}
	return j, !wordAt(s, j)
}

func isCredentialByte(c byte) bool {
	return isAlnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/'
}

// credentialEnd reports whether c ends a credential token.
func credentialEnd(c byte) bool {
	return c <= ' ' || strings.IndexByte(`"',;&<>()[]{}`, c) >= 0
}

// credentialAt matches the credential after an HTTP "Bearer" or "Basic"
// scheme word at s[i]; the scheme stays. Bearer tokens need 16 bytes, or 8
// with a digit, so prose ("bearer token expired") is left alone; Basic
// credentials must decode to "user:password".
func credentialAt(s string, i int) (start, end int, ok bool) {
	var basic bool
	switch {
	case len(s)-i > 7 && strings.EqualFold(s[i:i+6], "bearer") && s[i+6] == ' ':
		start = i + 7
	case len(s)-i > 6 && strings.EqualFold(s[i:i+5], "basic") && s[i+5] == ' ':
		start, basic = i+6, true
	default:
		return 0, 0, false
	}
	for start < len(s) && s[start] == ' ' {
		start++
	}
	end = start
	digits := false
	for end < len(s) && isCredentialByte(s[end]) {
		digits = digits || isDigit(s[end])
		end++
	}
	for end < len(s) && s[end] == '=' {
		end++
	}
	// Whatever is glued on ("abc=0::2") belongs to the token: stopping
	// there would leave its rest readable, and judge it differently once a
	// first pass has masked that rest.
	for end > start && end < len(s) && !credentialEnd(s[end]) {
		digits = digits || isDigit(s[end])
		end++
	}
	n := end - start
	if n < 8 || (!basic && n < 16 && !digits) {
		return 0, 0, false
	}
	// A pseudonym is our own output (an email hashed after "Bearer").
	if containsPseudonym(s[start:end]) || (basic && !basicCredential(s[start:end])) {
		return 0, 0, false
	}
	return start, end, true
}

func basicCredential(tok string) bool {
	if len(tok) > 512 {
		return true // too long to be a word; treat as a credential
	}
	var buf [384]byte
	enc := base64.StdEncoding
	if !strings.HasSuffix(tok, "=") && len(tok)%4 != 0 {
		enc = base64.RawStdEncoding
	}
	var src [512]byte
	n, err := enc.Decode(buf[:], src[:copy(src[:], tok)])
	if err != nil {
		return false
	}
	for _, c := range buf[:n] {
		if c == ':' {
			return true
		}
	}
	return false
}

// privateKeyAt matches a PEM private key block from "-----BEGIN … PRIVATE
// KEY-----" to its END line, or to the end of the string when truncated.
func privateKeyAt(s string, i int) (int, bool) {
	const begin = "-----BEGIN "
	if !strings.HasPrefix(s[i:], begin) {
		return 0, false
	}
	labelEnd := strings.Index(s[i+len(begin):], "-----")
	if labelEnd < 0 || labelEnd > 40 || !strings.HasSuffix(s[i+len(begin):i+len(begin)+labelEnd], "PRIVATE KEY") {
		return 0, false
	}
	after := i + len(begin) + labelEnd + 5
	endLine := strings.Index(s[after:], "-----END ")
	if endLine < 0 {
		return len(s), true
	}
	tail := after + endLine + len("-----END ")
	closing := strings.Index(s[tail:], "-----")
	if closing < 0 {
		return len(s), true
	}
	return tail + closing + 5, true
}
