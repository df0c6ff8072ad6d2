package detect

import (
	"encoding/base64"
	"strings"
)

// secretPrefix is a payment-provider or platform credential recognisable by
// its prefix; minTail is the least number of token bytes after it.
type secretPrefix struct {
	prefix  string
	minTail int
	shape   secretShape
}

type secretShape uint8

const (
	shapeToken        secretShape = iota // token bytes ([A-Za-z0-9_$-])
	shapeClientSecret                    // Stripe "<id>_secret_<token>": the id stays readable
	shapeURLPath                         // webhook URL path: token bytes and '/'
	shapeSendGrid                        // SendGrid "SG." + 22 + "." + 43 base64url bytes (69 in all)
	shapeUUID                            // a hex UUID 8-4-4-4-12 right after the prefix
)

var secretPrefixes = []secretPrefix{
	{"sk_live_", 10, shapeToken},
	{"sk_test_", 10, shapeToken},
	{"rk_live_", 10, shapeToken},
	{"rk_test_", 10, shapeToken}, // Stripe
	{"whsec_", 16, shapeToken},
	{"pi_", 10, shapeClientSecret},
	{"seti_", 10, shapeClientSecret}, // Stripe PaymentIntent / SetupIntent client secrets
	{"sq0atp-", 16, shapeToken},
	{"sq0csp-", 16, shapeToken}, // Square
	{"access_token$production$", 16, shapeToken},
	{"access_token$sandbox$", 16, shapeToken}, // Braintree / PayPal
	{"AKIA", 16, shapeToken},
	{"AIza", 30, shapeToken}, // AWS access key id, Google API key
	{"ghp_", 30, shapeToken},
	{"gho_", 30, shapeToken},
	{"ghs_", 30, shapeToken},
	{"ghu_", 30, shapeToken},
	{"github_pat_", 30, shapeToken}, // GitHub
	{"glpat-", 20, shapeToken},      // GitLab
	{"xoxb-", 10, shapeToken},
	{"xoxp-", 10, shapeToken},
	{"xoxa-", 10, shapeToken},                       // Slack tokens
	{"hooks.slack.com/services/", 16, shapeURLPath}, // Slack incoming webhook
	{"discord.com/api/webhooks/", 16, shapeURLPath},
	{"discordapp.com/api/webhooks/", 16, shapeURLPath},
	{"shpat_", 20, shapeToken},
	{"shpss_", 20, shapeToken},
	{"shpca_", 20, shapeToken}, // Shopify
	{"SG.", 66, shapeSendGrid}, // SendGrid API key
	{"sk_sbox_", 20, shapeToken},
	{"sk_", 36, shapeUUID}, // Checkout.com sandbox and live (sk_<uuid>) secret keys; pk_ keys are public
}

// secretsByFirstByte indexes secretPrefixes by their first byte: a word
// start costs one table load, not a comparison per prefix.
var secretsByFirstByte = func() (t [256][]secretPrefix) {
	for _, p := range secretPrefixes {
		t[p.prefix[0]] = append(t[p.prefix[0]], p)
	}
	return t
}()

func isToken(c byte) bool { return isAlnum(c) || c == '_' || c == '-' }

// secretAt matches a known secret prefix at s[i] followed by token bytes;
// keep is the length the mask keeps (the prefix, which tells the key's kind,
// or a client secret's object id).
func secretAt(s string, i int) (end, keep int, ok bool) {
	rest := s[i:]
	for _, p := range secretsByFirstByte[s[i]] {
		if len(rest) < len(p.prefix) || rest[1] != p.prefix[1] || !strings.HasPrefix(rest, p.prefix) {
			continue
		}
		keep = len(p.prefix)
		j := i + keep
		switch p.shape {
		case shapeClientSecret:
			// pi_3MtwBwLkdIwHu7ix28a3tqPa_secret_YrKJ…: the id alone
			// (pi_3Mtw…) is no secret.
			id := j
			for j < len(s) && isAlnum(s[j]) {
				j++
			}
			const sep = "_secret_"
			if j-id < 8 || !strings.HasPrefix(s[j:], sep) {
				continue
			}
			j += len(sep)
			keep = j - i
			for j < len(s) && isAlnum(s[j]) {
				j++
			}
		case shapeURLPath:
			for j < len(s) && (isToken(s[j]) || s[j] == '/') {
				j++
			}
		case shapeSendGrid:
			// Only the exact shape: "SG." starts words too ("SG.1234"
			// in a version or a product code).
			if !allAt(s, j, 22, isBase64URL) || safeByte(s, j+22) != '.' || !allAt(s, j+23, 43, isBase64URL) || isBase64URL(safeByte(s, j+66)) {
				continue
			}
			j += 66
		case shapeUUID:
			// "sk_" alone prefixes many identifiers; only a UUID after it
			// is a Checkout.com key.
			if !uuidAt(s, j) || wordAt(s, j+36) || safeByte(s, j+36) == '-' {
				continue
			}
			j += 36
		default:
			for j < len(s) && (isToken(s[j]) || s[j] == '$') {
				j++
			}
		}
		if j-i-keep-pseudonymBytes(s[i+keep:j]) >= p.minTail {
			return j, keep, true
		}
	}
	return 0, 0, false
}

// pseudonymBytes is how much of a secret's tail is this package's own
// pseudonyms. They do not count towards its length: in
// "hooks.slack.com/services/0@0.AA" the e-mail is pseudonymised and the
// tail too short to be a webhook, so "…/services/pii_…" must not become one
// on the next pass (sanitizing is idempotent; found by FuzzSanitize).
func pseudonymBytes(tail string) int {
	n := 0
	for k := strings.Index(tail, PseudonymPrefix); k >= 0 && k+PseudonymLen <= len(tail); {
		if IsPseudonym(tail[k : k+PseudonymLen]) {
			n += PseudonymLen
			tail = tail[k+PseudonymLen:]
		} else {
			tail = tail[k+1:]
		}
		k = strings.Index(tail, PseudonymPrefix)
	}
	return n
}

func isBase64URL(c byte) bool { return isAlnum(c) || c == '_' || c == '-' }

// uuidAt reports whether s[i:i+36] is a hex UUID (8-4-4-4-12).
func uuidAt(s string, i int) bool {
	if i+36 > len(s) {
		return false
	}
	for k := 0; k < 36; k++ {
		c := s[i+k]
		if k == 8 || k == 13 || k == 18 || k == 23 {
			if c != '-' {
				return false
			}
		} else if !isHex(c) {
			return false
		}
	}
	return true
}

// safeByte is s[i], or 0 past its end.
func safeByte(s string, i int) byte {
	if i < len(s) {
		return s[i]
	}
	return 0
}

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
