package detect

import "strings"

// sensitiveParams are names whose value is secret wherever they appear in free
// text as a URL query parameter, a logfmt pair or a JSON member (key=value,
// key: value, "key":"value"). Emails are left to the email detector, which
// hashes them consistently.
// Names are stored lowercased with '-' as '_' (client-secret = client_secret).
var sensitiveParams = map[string]struct{}{}

// compoundSecretWords are names that are secret also as the last words of a
// longer name: db_password, DB_PASSWORD, userPassword, accessToken,
// aws_secret_access_key, x-card-number. Short or everyday words of
// sensitiveParams (pin, pan, card, session, auth) are not, so max_session=5
// stays readable.
var compoundSecretWords = map[string]struct{}{}

func init() {
	for _, n := range strings.Fields(`
		password passwd pwd pass passphrase secret client_secret api_secret secret_key private_key
		token access_token refresh_token id_token auth_token session_token api_key apikey x-api-key
		authorization auth bearer cookie set-cookie session sessionid session_id jsessionid phpsessid
		card card_number cardnumber card_no cc cc_number ccnum pan cvv cvv2 cvc cvc2 security_code
		credit_card creditcard pin otp signature sig`) {
		sensitiveParams[NormalizeName(n)] = struct{}{}
	}
	for _, n := range strings.Fields(`
		password passwd passphrase secret token api_key apikey access_key secret_key private_key
		cookie authorization credentials card_number cardnumber credit_card creditcard cvv cvc`) {
		compoundSecretWords[n] = struct{}{}
	}
}

// NormalizeName lowercases a key or parameter name and spells '-' as '_',
// the form names are compared in.
func NormalizeName(n string) string {
	b := []byte(n)
	for k, c := range b {
		b[k] = NormalizeNameByte(c)
	}
	return string(b)
}

// NormalizeNameByte is NormalizeName for one byte.
func NormalizeNameByte(c byte) byte {
	if c == '-' {
		return '_'
	}
	return lower(c)
}

// NextWord returns the start of the word after the one at name[i:]: words
// of a key or parameter name are separated by '.', '_' and '-', or start at
// a camel-case capital (userPassword). It returns len(name) when there is none.
func NextWord(name string, i int) int {
	for k := i + 1; k < len(name); k++ {
		if wordStartsAt(name, k) {
			return k
		}
	}
	return len(name)
}

// LastWord returns the start of the last word of name (see NextWord).
func LastWord(name string) int {
	k := len(name) - 1
	for k > 0 && !wordStartsAt(name, k) {
		k--
	}
	return max(k, 0)
}

func wordStartsAt(name string, k int) bool {
	p := name[k-1]
	return p == '.' || p == '_' || p == '-' || (isUpper(name[k]) && (isDigit(p) || (isAlpha(p) && !isUpper(p))))
}

const maxParamName = 32

func isParamName(c byte) bool { return isAlnum(c) || c == '_' || c == '-' || c == '.' }

// keyValueAt matches the value of a sensitive name followed by the '=' or ':'
// at s[i]. The name may be quoted (also with JSON-in-a-string escaped
// quotes), the value quoted or bare.
func keyValueAt(s string, i, lo int) (start, end int, kind Kind, ok bool) {
	j := i
	// Pretty-printed JSON and aligned text put spaces before the colon:
	// "password" : "x".
	for k := 0; k < 2 && j > lo && s[i] == ':' && s[j-1] == ' '; k++ {
		j--
	}
	if j > lo && (s[j-1] == '"' || s[j-1] == '\'') {
		j--
		if j > lo && s[j-1] == '\\' {
			j--
		}
	}
	nameEnd := j
	for j > lo && nameEnd-j <= maxParamName && isParamName(s[j-1]) {
		j--
	}
	// A name glued to a colon is part of a colon-separated token (an IPv6
	// address such as ::cc:1), not a key.
	if n := nameEnd - j; n < 2 || n > maxParamName || (j > 0 && s[j-1] == ':') || !sensitiveName(s[j:nameEnd]) {
		return 0, 0, 0, false
	}
	// "cc:1::" is an IPv6 address (masked or not) that happens to start
	// with a key's name, not that key followed by a value.
	if s[i] == ':' && isIPv6Token(s, j) {
		return 0, 0, 0, false
	}
	v := i + 1
	for v < len(s) && (s[v] == ' ' || s[v] == '\t') {
		v++
	}
	// Nested objects and arrays are scanned on their own.
	if v >= len(s) || s[v] == ':' || s[v] == '=' || s[v] == '{' || (s[v] == '[' && placeholderLen(s[v:]) == 0) {
		return 0, 0, 0, false
	}
	switch {
	case strings.HasPrefix(s[v:], `\"`):
		start = v + 2
		if e := strings.Index(s[start:], `\"`); e >= 0 {
			end = start + e
		} else {
			end = len(s)
		}
	case s[v] == '"' || s[v] == '\'':
		start, end = v+1, v+1
		for end < len(s) && s[end] != s[v] {
			if s[end] == '\\' && end+1 < len(s) {
				end++
			}
			end++
		}
	default:
		// A placeholder ends in ']', which ends a bare value: look past it.
		start, end = v, bareValueEnd(s, v+placeholderLen(s[v:]))
		// "Authorization: Bearer abc…": the credential follows the scheme.
		if end+1 < len(s) && s[end] == ' ' && isAuthScheme(s[start:end]) {
			end = bareValueEnd(s, end+1)
		}
		// "cc: 4111 1111 1111 1111": a number in groups is one value, with
		// the separators a card number may have ("4111  1111 1111-1111");
		// stopping at the first space would leave 12 digits.
		for group := start; digitGroup(s[group:end]); {
			k := panSepLen(s, end)
			if k == 0 {
				break
			}
			group, end = end+k, bareValueEnd(s, end+k)
		}
	}
	if end <= start || IsSanitized(s[start:end]) || strings.Trim(s[start:end], "*") == "" {
		return 0, 0, 0, false
	}
	return start, end, KindSensitiveParam, true
}

// digitGroup reports whether w is digits, possibly with the dashes and dots
// of a card number, starting with a digit.
func digitGroup(w string) bool {
	for k := 0; k < len(w); k++ {
		if !isDigit(w[k]) && (k == 0 || (w[k] != '-' && w[k] != '.')) {
			return false
		}
	}
	return w != ""
}

func bareValueEnd(s string, v int) int {
	for v < len(s) {
		switch c := s[v]; c {
		case ' ', '\t', '\n', '\r', '&', ',', ';', '}', ']', ')', '"', '\'', '<', '>', '#':
			return v
		}
		v++
	}
	return v
}

func isAuthScheme(w string) bool {
	return strings.EqualFold(w, "bearer") || strings.EqualFold(w, "basic") || strings.EqualFold(w, "token") || strings.EqualFold(w, "digest")
}

// sensitiveName looks a name up case-insensitively with '-' as '_', whole,
// by a dotted suffix (http.request.header.authorization), or by its last
// words when they are a compound secret word (db_password, userPassword).
func sensitiveName(name string) bool {
	var buf [maxParamName]byte
	n := copy(buf[:], name)
	for k := 0; k < n; k++ {
		buf[k] = NormalizeNameByte(buf[k])
	}
	lowered := buf[:n]
	if _, ok := sensitiveParams[string(lowered)]; ok {
		return true
	}
	for w := NextWord(name, 0); w < n; w = NextWord(name, w) {
		set := compoundSecretWords
		if name[w-1] == '.' {
			set = sensitiveParams
		}
		if _, ok := set[string(lowered[w:])]; ok {
			return true
		}
	}
	return false
}
