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

// ssnNames are names whose value is a US social security number even
// without dashes (ssn=078051120), also as the last words of a longer name
// (customer_ssn, applicantSSN).
var ssnNames = map[string]struct{}{}

// SSNNames are the names of a US social security number (also the
// processor's SSN keys).
var SSNNames = []string{"ssn", "social_security_number", "social_security_no", "social_security", "socialsecuritynumber", "us_ssn", "ssn_number"}

// phoneNames are names whose value is a phone number even without a '+'
// or grouping (phone=4155552671), also as the last words of a longer name
// (customer_phone, billingPhoneNumber). Elsewhere ten digits are as often
// an id or a Unix time.
var phoneNames = map[string]struct{}{}

// PhoneNames are the names of a phone number (also the processor's phone
// keys).
var PhoneNames = []string{
	"phone", "phone_number", "phonenumber", "phone_no", "mobile", "mobile_number",
	"mobile_phone", "mobilephone", "telephone", "telephone_number", "msisdn",
}

// NotSecretName reports whether a canonical name (see Name) ends in a
// secret word but holds no credential (a pagination cursor).
func NotSecretName(canonical []byte) bool {
	_, ok := notSecretNames[string(canonical)]
	return ok
}

// notSecretNames are compound names ending in a secret word whose value is
// no credential: pagination cursors (AWS NextToken, Google page_token).
var notSecretNames = map[string]struct{}{}

// nameLastWords holds the last word of every name nameKind knows.
var nameLastWords = map[string]struct{}{}

func init() {
	defer func() {
		for _, set := range []map[string]struct{}{sensitiveParams, compoundSecretWords, ssnNames, phoneNames} {
			for n := range set {
				nameLastWords[n[strings.LastIndexByte(n, '_')+1:]] = struct{}{}
			}
		}
	}()
	for _, n := range SSNNames {
		ssnNames[CanonicalName(n)] = struct{}{}
	}
	for _, n := range PhoneNames {
		phoneNames[CanonicalName(n)] = struct{}{}
	}
	for _, n := range strings.Fields(`page_token next_page_token prev_page_token previous_page_token pagination_token
		continuation_token next_token nexttoken sync_token next_cursor_token`) {
		notSecretNames[CanonicalName(n)] = struct{}{}
	}
	for _, n := range strings.Fields(`
		password passwd pwd pass passphrase secret client_secret api_secret secret_key private_key
		password1 password2 password_confirmation pgpassword mysql_pwd
		token access_token refresh_token id_token auth_token session_token api_key apikey x-api-key
		authorization auth bearer cookie set-cookie session sessionid session_id jsessionid phpsessid
		card card_number cardnumber card_no cc cc_number ccnum pan cvv cvv2 cvc cvc2 security_code
		credit_card creditcard pin otp signature sig`) {
		sensitiveParams[CanonicalName(n)] = struct{}{}
	}
	for _, n := range strings.Fields(`
		password passwd passphrase secret token api_key apikey access_key secret_key private_key
		password1 password2 password_confirmation pgpassword mysql_pwd
		cookie authorization credentials card_number cardnumber credit_card creditcard cvv cvc cvv2 cvc2 security_code`) {
		compoundSecretWords[CanonicalName(n)] = struct{}{}
	}
}

// Name is a key or parameter name in canonical form, the form names are
// compared in: lower case, with every word separator ('.', '_', '-',
// whitespace or a camel-case capital) written as '_'. Customer.Email,
// customerEmail, customer_email, CUSTOMER-EMAIL, "Customer Email" and
// "customer.email " are all customer_email. It keeps where
// each word starts and whether a '.' (a namespace) precedes it. Names
// longer than its buffer keep their end.
type Name struct {
	buf    [maxName]byte
	n      int
	words  int
	starts [maxNameWords]uint8
	dotted [maxNameWords]bool
}

const (
	maxName      = 128
	maxNameWords = 16
	maxLastWord  = 32
)

// Set makes nm the canonical form of name.
func (nm *Name) Set(name string) {
	if len(name) > maxName/2 {
		name = name[len(name)-maxName/2:] // camel splits at most double it
	}
	nm.n, nm.words = 0, 0
	sep, dot := true, false
	for k := 0; k < len(name); k++ {
		c := name[k]
		if isNameSep(c) {
			sep, dot = true, dot || c == '.'
			continue
		}
		if !sep && k > 0 && wordStartsAt(name, k) {
			sep = true
		}
		if sep {
			if nm.n > 0 {
				nm.buf[nm.n] = '_'
				nm.n++
			}
			if nm.words == maxNameWords {
				copy(nm.starts[:], nm.starts[1:])
				copy(nm.dotted[:], nm.dotted[1:])
				nm.words--
			}
			nm.starts[nm.words], nm.dotted[nm.words] = uint8(nm.n), dot
			nm.words++
			sep, dot = false, false
		}
		nm.buf[nm.n] = lower(c)
		nm.n++
	}
}

// AppendLastWord appends the last word of name in canonical form (lower
// case), or nothing if it is longer than maxWord: a cheap first test before
// Set, since most keys' last word is no rule's.
func AppendLastWord(dst []byte, name string, maxWord int) []byte {
	end := len(name)
	for end > 0 && isNameSep(name[end-1]) {
		end--
	}
	if end == 0 {
		return dst
	}
	k := end - 1
	for k > 0 && !wordStartsAt(name, k) {
		k--
	}
	if end-k > maxWord {
		return dst
	}
	for ; k < end; k++ {
		dst = append(dst, lower(name[k]))
	}
	return dst
}

// String returns the canonical name (allocates).
func (nm *Name) String() string { return string(nm.buf[:nm.n]) }

// Words is the number of words.
func (nm *Name) Words() int { return nm.words }

// Suffix returns the name from word w on.
func (nm *Name) Suffix(w int) []byte { return nm.buf[nm.starts[w]:nm.n] }

// Word returns word w.
func (nm *Name) Word(w int) []byte {
	end := nm.n
	if w+1 < nm.words {
		end = int(nm.starts[w+1]) - 1
	}
	return nm.buf[nm.starts[w]:end]
}

// Dotted reports whether word w follows a '.' (a namespace boundary).
func (nm *Name) Dotted(w int) bool { return nm.dotted[w] }

// CanonicalName returns the canonical form of name (see Name).
func CanonicalName(name string) string {
	var nm Name
	nm.Set(name)
	return nm.String()
}

func wordStartsAt(name string, k int) bool {
	p := name[k-1]
	return isNameSep(p) || (isUpper(name[k]) && (isDigit(p) || (isAlpha(p) && !isUpper(p))))
}

// isNameSep reports whether c separates the words of a name. Whitespace
// does too: keys written for people ("Card Number") or with a stray space
// ("customer.id ") must not escape their rule.
func isNameSep(c byte) bool {
	return c == '.' || c == '_' || c == '-' || c == ' ' || c == '\t' || c == '\r' || c == '\n'
}

const maxParamName = 32

func isParamName(c byte) bool { return isAlnum(c) || c == '_' || c == '-' || c == '.' }

// keyValueAt matches the value of a sensitive name followed by the '=' or ':'
// at s[i]. The name may be quoted (also with JSON-in-a-string escaped
// quotes), the value quoted or bare.
func keyValueAt(s string, i, lo int) (start, end int, kind Kind, ok bool) {
	j := i
	// Pretty-printed JSON, aligned text and SQL put spaces before the
	// separator: "password" : "x", cvv = '123'.
	for k := 0; k < 2 && j > lo && s[j-1] == ' '; k++ {
		j--
	}
	if j > lo && (s[j-1] == '"' || s[j-1] == '\'') {
		j--
		if j > lo && s[j-1] == '\\' {
			j--
		}
	}
	// Form encoding names a nested field by its subscript: card[cvc]=123.
	subscript := j > lo && s[j-1] == ']'
	if subscript {
		j--
	}
	nameEnd := j
	for j > lo && nameEnd-j <= maxParamName && isParamName(s[j-1]) {
		j--
	}
	if subscript && (j == lo || s[j-1] != '[') {
		return 0, 0, 0, false
	}
	// A name glued to a colon is part of a colon-separated token (an IPv6
	// address such as ::cc:1), not a key.
	if n := nameEnd - j; n < 2 || n > maxParamName || (j > 0 && s[j-1] == ':') {
		return 0, 0, 0, false
	}
	if kind, ok = nameKind(s[j:nameEnd]); !ok {
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
	if v >= len(s) || s[v] == ':' || s[v] == '=' || s[v] == '{' {
		return 0, 0, 0, false
	}
	if kind == KindSSN || kind == KindPhone {
		start, end, ok = namedNumberAt(s, v, valueAt)
		return start, end, kind, ok && namedNumber(kind, s[start:end])
	}
	if start, end, ok = valueAt(s, v); !ok {
		return 0, 0, 0, false
	}
	if harmlessValue(s[start:end]) {
		return 0, 0, 0, false
	}
	return start, end, kind, true
}

// valueAt finds the value starting at s[v]: quoted (also with escaped
// quotes of JSON in a string), a list ("Authorization:[Basic …]", Go's
// http.Header), or bare.
func valueAt(s string, v int) (start, end int, ok bool) {
	switch {
	case strings.HasPrefix(s[v:], `\"`):
		start = v + 2
		if e := strings.Index(s[start:], `\"`); e >= 0 {
			end = start + e
		} else {
			end = len(s)
		}
	case s[v] == '"' || s[v] == '\'':
		start, end = v+1, quotedEnd(s, v)
	case s[v] == '[' && placeholderLen(s[v:]) == 0:
		// A list of plain values (Go's map[Cookie:[a=1]]); lists of quoted
		// strings, objects or lists are scanned on their own.
		start = v + 1
		if start >= len(s) || strings.IndexByte("[{\"'", s[start]) >= 0 {
			return 0, 0, false
		}
		end = start + placeholderLen(s[start:])
		for end < len(s) && s[end] != ']' && s[end] != '\n' {
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
		return 0, 0, false
	}
	return start, end, true
}

func quotedEnd(s string, q int) int {
	end := q + 1
	for end < len(s) && s[end] != s[q] {
		if s[end] == '\\' && end+1 < len(s) {
			end++
		}
		end++
	}
	return min(end, len(s))
}

// encodedKeyValueAt matches the value of a sensitive name followed by the
// percent-encoded '=' or ':' at s[i] ("%3D", "%3A"): a query string inside
// a query parameter (next=%2Fcb%3Ftoken%3D…) or JSON in one
// (%22password%22%3A%22…%22). Name and value end at an escape that
// encodes a delimiter.
func encodedKeyValueAt(s string, i, lo int) (start, end int, kind Kind, ok bool) {
	j := i
	if j-3 >= lo && isEncodedQuote(s[j-3:]) {
		j -= 3
	}
	nameEnd := j
	for j > lo && nameEnd-j <= maxParamName && isParamName(s[j-1]) && !afterEscape(s, j) {
		j--
	}
	if n := nameEnd - j; n < 2 || n > maxParamName {
		return 0, 0, 0, false
	}
	if kind, ok = nameKind(s[j:nameEnd]); !ok {
		return 0, 0, 0, false
	}
	v := i + 3
	for strings.HasPrefix(s[v:], "%20") {
		v += 3
	}
	if v >= len(s) {
		return 0, 0, 0, false
	}
	if kind == KindSSN || kind == KindPhone {
		start, end, ok = namedNumberAt(s, v, encodedValueAt)
		return start, end, kind, ok && namedNumber(kind, s[start:end])
	}
	if start, end, ok = encodedValueAt(s, v); !ok {
		return 0, 0, 0, false
	}
	return start, end, kind, !harmlessValue(s[start:end])
}

// encodedValueAt is valueAt for a percent-encoded value.
func encodedValueAt(s string, v int) (start, end int, ok bool) {
	if isEncodedQuote(s[v:]) {
		start = v + 3
		if e := strings.Index(s[start:], s[v:v+3]); e >= 0 {
			end = start + e
		} else {
			end = len(s)
		}
	} else {
		start, end = v, encodedValueEnd(s, v+placeholderLen(s[v:]))
		if strings.HasPrefix(s[end:], "%20") && isAuthScheme(s[start:end]) {
			end = encodedValueEnd(s, end+3)
		}
	}
	if end <= start || IsSanitized(s[start:end]) || strings.Trim(s[start:end], "*") == "" {
		return 0, 0, false
	}
	return start, end, true
}

// isEncodedQuote reports whether s starts with a percent-encoded quote.
func isEncodedQuote(s string) bool {
	return len(s) >= 3 && s[0] == '%' && (s[1:3] == "22" || s[1:3] == "27")
}

// encodedValueEnd is bareValueEnd for a percent-encoded value: it also
// ends at an escape of a delimiter (%26 for '&', %22 for '"', …).
func encodedValueEnd(s string, v int) int {
	for ; v < len(s); v++ {
		switch s[v] {
		case ' ', '\t', '\n', '\r', '&', ',', ';', '}', ']', ')', '"', '\'', '<', '>', '#':
			return v
		case '%':
			if v+2 < len(s) && isEncodedDelimiter(s[v+1:v+3]) {
				return v
			}
		}
	}
	return v
}

// isEncodedDelimiter reports whether the hex pair h encodes a byte that
// ends a bare value.
func isEncodedDelimiter(h string) bool {
	switch hi, lo := h[0], upper(h[1]); hi {
	case '2':
		return lo == '0' || lo == '2' || lo == '3' || lo == '6' || lo == '7' || lo == '9' || lo == 'C'
	case '3':
		return lo == 'B' || lo == 'C' || lo == 'E' || lo == 'F'
	case '5', '7':
		return lo == 'D'
	}
	return false
}

// flagValueAt matches the argument of a command-line flag with a sensitive
// name at the '-' at s[i] that starts a word: "--password Sup3rSecret",
// "-api-key 'x'", as process.command_line records a command.
// ("--password=x" is name=value.)
func flagValueAt(s string, i, lo int) (start, end int, ok bool) {
	if i > lo && s[i-1] != ' ' && s[i-1] != '\t' {
		return 0, 0, false
	}
	nameEnd := i + 1
	for nameEnd < len(s) && nameEnd-i <= maxParamName+2 && isParamName(s[nameEnd]) {
		nameEnd++
	}
	if nameEnd+1 >= len(s) || s[nameEnd] != ' ' || s[nameEnd+1] == '-' || !sensitiveFlag(s[i:nameEnd]) {
		return 0, 0, false
	}
	if start, end, ok = valueAt(s, nameEnd+1); !ok || harmlessValue(s[start:end]) {
		return 0, 0, false
	}
	return start, end, true
}

// sensitiveFlag reports whether flag is "-name" or "--name" with a
// sensitive name (--password, --db-password, -apikey).
func sensitiveFlag(flag string) bool {
	name := strings.TrimPrefix(strings.TrimPrefix(flag, "-"), "-")
	if len(name) < 2 || len(name) > maxParamName || len(flag)-len(name) == 0 || !isAlpha(name[0]) {
		return false
	}
	for k := 0; k < len(name); k++ {
		if !isParamName(name[k]) {
			return false
		}
	}
	kind, ok := nameKind(name)
	return ok && kind == KindSensitiveParam
}

// maxStartTag bounds the look back from '>' for the '<' of a start tag
// (a name, a namespace prefix and a few attributes).
const maxStartTag = 128

// xmlElementAt matches the text of an element with a sensitive name at the
// '>' at s[i] that ends its start tag, as SOAP and ISO 20022 clients log
// requests: <Password>…</Password>, <ns2:CVV>123</ns2:CVV>,
// <SecurityCode type="string">…</SecurityCode>. The text must be followed
// by an end tag, so an element holding elements is left to them.
func xmlElementAt(s string, i, lo int) (start, end int, kind Kind, ok bool) {
	from := max(lo, i-maxStartTag)
	lt := strings.LastIndexByte(s[from:i], '<')
	if lt < 0 {
		return 0, 0, 0, false
	}
	tag := s[from+lt+1 : i]
	if strings.IndexByte(tag, '>') >= 0 {
		return 0, 0, 0, false
	}
	if sp := strings.IndexAny(tag, " \t\r\n"); sp >= 0 {
		tag = tag[:sp]
	}
	if c := strings.LastIndexByte(tag, ':'); c >= 0 {
		tag = tag[c+1:] // namespace prefix
	}
	if len(tag) < 2 || len(tag) > maxParamName || !isAlpha(tag[0]) {
		return 0, 0, 0, false
	}
	for k := 1; k < len(tag); k++ {
		if !isParamName(tag[k]) {
			return 0, 0, 0, false
		}
	}
	if kind, ok = nameKind(tag); !ok {
		return 0, 0, 0, false
	}
	start = i + 1
	e := strings.IndexByte(s[start:], '<')
	if e < 0 || !strings.HasPrefix(s[start+e:], "</") {
		return 0, 0, 0, false
	}
	end = start + e
	v := s[start:end]
	if strings.TrimSpace(v) == "" || IsSanitized(v) || strings.Trim(v, "*") == "" {
		return 0, 0, 0, false
	}
	if kind == KindSSN || kind == KindPhone {
		return start, end, kind, namedNumber(kind, v)
	}
	return start, end, kind, !harmlessValue(v)
}

// headerPairAt matches the value of a header pair written as a list at the
// ',' at s[i]: [["X-Api-Key","…"]] (Node), [('Cookie', '…')] (Python).
// The name must open the pair, so a list of words (["token","expired"]) is
// left alone.
func headerPairAt(s string, i, lo int) (start, end int, ok bool) {
	if i-2 < lo || (s[i-1] != '"' && s[i-1] != '\'') {
		return 0, 0, false
	}
	q := strings.LastIndexByte(s[max(lo, i-1-maxParamName-1):i-1], s[i-1])
	if q < 0 {
		return 0, 0, false
	}
	q += max(lo, i-1-maxParamName-1)
	open := q
	for open > lo && s[open-1] == ' ' {
		open--
	}
	if open == lo || (s[open-1] != '[' && s[open-1] != '(') {
		return 0, 0, false
	}
	for k := q + 1; k < i-1; k++ {
		if !isParamName(s[k]) {
			return 0, 0, false
		}
	}
	if kind, ok := nameKind(s[q+1 : i-1]); !ok || kind != KindSensitiveParam {
		return 0, 0, false
	}
	v := i + 1
	for v < len(s) && s[v] == ' ' {
		v++
	}
	if v >= len(s) || (s[v] != '"' && s[v] != '\'') {
		return 0, 0, false
	}
	start, end = v+1, quotedEnd(s, v)
	if end <= start || IsSanitized(s[start:end]) || harmlessValue(s[start:end]) {
		return 0, 0, false
	}
	return start, end, true
}

// HarmlessValue reports whether the value of a sensitive name hides
// nothing (see harmlessValue); key rules leave such values.
func HarmlessValue(v string) bool { return harmlessValue(v) }

// harmlessValue reports whether the value of a sensitive name hides
// nothing: a literal that says there is no value (null, none, true…) or a
// value already masked the way payment systems show a card (************4242,
// 411111******1111: at most the first six and last four digits).
func harmlessValue(v string) bool {
	switch strings.ToLower(v) {
	case "null", "nil", "none", "undefined", "true", "false", "-", "n/a", "<nil>", "[]", "{}":
		return true
	}
	if redactionMarker(v) {
		return true
	}
	masks, digits := 0, 0
	for k := 0; k < len(v); k++ {
		switch c := v[k]; {
		case c == '*' || c == '#' || c == 'X' || c == 'x':
			masks++
		case isDigit(c):
			digits++
		case c == ' ' || c == '-' || c == '.':
		default:
			return false
		}
	}
	return masks >= 4 && digits <= 10
}

// ssnDigits reports whether v is nine digits (optionally grouped 3-2-4 by
// spaces) that form an issuable SSN.
func ssnDigits(v string) bool {
	var d [9]byte
	n := 0
	for k := 0; k < len(v); k++ {
		switch c := v[k]; {
		case isDigit(c):
			if n == len(d) {
				return false
			}
			d[n] = c
			n++
		case c == ' ' && (n == 3 || n == 5) && isDigit(v[k-1]):
		default:
			return false
		}
	}
	if n != 9 {
		return false
	}
	area, group, serial := string(d[:3]), string(d[3:5]), string(d[5:])
	return area != "000" && area != "666" && area[0] != '9' && group != "00" && serial != "0000"
}

// redactionMarker reports whether v is what a logger or an earlier
// sanitizer put in place of a secret: pino's "[Redacted]", Rails'
// "[FILTERED]", Serilog's "***MASKED***", Sanitize's own "[REDACTED]".
// Redacting it again counts a finding that is none.
func redactionMarker(v string) bool {
	if len(v) >= 2 && (v[0] == '[' && v[len(v)-1] == ']' || v[0] == '<' && v[len(v)-1] == '>') {
		v = v[1 : len(v)-1]
	}
	v = strings.Trim(v, "*")
	if len(v) < 6 || len(v) > 8 {
		return false
	}
	for _, w := range [...]string{"redacted", "filtered", "masked", "hidden", "removed", "omitted"} {
		if strings.EqualFold(v, w) {
			return true
		}
	}
	return false
}

// phoneDigits reports whether v is a phone number as written next to a
// phone name: 7–15 digits, an optional leading '+', groups separated by
// spaces, dashes, dots or parentheses.
func phoneDigits(v string) bool {
	digits := 0
	for k := 0; k < len(v); k++ {
		switch c := v[k]; {
		case isDigit(c):
			digits++
		case c == '+' && k == 0:
		case (c == ' ' || c == '-' || c == '.' || c == '(' || c == ')') && k > 0:
		case c == '(' && k == 0:
		default:
			return false
		}
	}
	return digits >= 7 && digits <= 15
}

// maxNamedNumber is longer than any SSN or phone number as written
// ("+1 (415) 555-2671", "0044 20 7946 0958").
const maxNamedNumber = 32

// namedNumberAt finds the value of an SSN or phone name at s[v] with
// valueAt, looking no further than a number can go: a value that goes on
// is none, and "ssn=ssn=ssn=…" costs no scan to the end per name.
func namedNumberAt(s string, v int, valueAt func(string, int) (int, int, bool)) (start, end int, ok bool) {
	limit := min(len(s), v+maxNamedNumber)
	start, end, ok = valueAt(s[:limit], v)
	return start, end, ok && (end < limit || limit == len(s))
}

// namedNumber reports whether v, the value of an SSN or phone name, is one.
func namedNumber(k Kind, v string) bool {
	if k == KindSSN {
		return ssnDigits(v)
	}
	return phoneDigits(v)
}

// digitGroup reports whether w is digits, possibly with the dashes and dots
// of a card number, starting with a digit.
func digitGroup(w string) bool {
	for k := 0; k < len(w); k++ {
		if !isDigit(w[k]) && (k == 0 || !isPANSep(w[k])) {
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

// nameKind looks a name up in canonical form (see Name), whole, by a
// dotted suffix (http.request.header.authorization), or by its last words
// when they are a compound secret word (db_password, userPassword): a
// sensitive parameter, or an SSN name (customer_ssn). Pagination cursors
// (next_page_token) are not secrets.
func nameKind(name string) (Kind, bool) {
	var buf [maxLastWord]byte
	if _, ok := nameLastWords[string(AppendLastWord(buf[:0], name, maxLastWord))]; !ok {
		return 0, false // most names: one lookup
	}
	var nm Name
	nm.Set(name)
	for w := 0; w < nm.Words(); w++ {
		suffix := nm.Suffix(w)
		if _, ok := notSecretNames[string(suffix)]; ok {
			return 0, false
		}
		set := compoundSecretWords
		if w == 0 || nm.Dotted(w) {
			set = sensitiveParams
		}
		if _, ok := set[string(suffix)]; ok {
			return KindSensitiveParam, true
		}
		if _, ok := ssnNames[string(suffix)]; ok {
			return KindSSN, true
		}
		if _, ok := phoneNames[string(suffix)]; ok {
			return KindPhone, true
		}
	}
	return 0, false
}
