package detect

import (
	"strings"
	"testing"
)

var testKey = []byte("0123456789abcdef0123456789abcdef")

func defaultActions() [NumKinds]Action {
	a := [NumKinds]Action{}
	for k := range a {
		a[k] = ActionRedact
	}
	a[KindPAN] = ActionMask
	a[KindEmail] = ActionHash
	a[KindIP] = ActionMask
	a[KindIBAN] = ActionMask
	a[KindPhone] = ActionMask
	a[KindSSN] = ActionMask
	a[KindProviderSecret] = ActionMask
	return a
}

func newTestScanner(mod func(*[NumKinds]Action)) (*Scanner, *Hasher) {
	h := NewHasher(testKey)
	a := defaultActions()
	if mod != nil {
		mod(&a)
	}
	return NewScanner(a, h), h
}

// withCheckDigit appends the Luhn check digit to a digit string, so tests can
// build valid numbers with any prefix.
func withCheckDigit(p string) string {
	for d := byte('0'); d <= '9'; d++ {
		if luhn([]byte(p + string(d))) {
			return p + string(d)
		}
	}
	panic("unreachable")
}

type scanCase struct {
	name, in, want string
	kind           Kind // expected kind of the (single) finding; ignored when want == in
}

func TestSanitizeDetectors(t *testing.T) {
	sc, h := newTestScanner(nil)
	alice := h.Identifier("alice@example.com")
	notCardIIN := withCheckDigit("123456789012345") // Luhn-valid, no scheme issues 1…
	cases := []scanCase{
		// Payment cards.
		{"visa spaced", "card 4111 1111 1111 1111 declined", "card **** **** **** 1111 declined", KindPAN},
		{"visa run", "see 4111111111111111.", "see ************1111.", KindPAN},
		{"mastercard dashes", "5555-5555-5555-4444", "****-****-****-4444", KindPAN},
		{"mastercard 2-series", "2223003122003222", "************3222", KindPAN},
		{"amex", "amex 378282246310005", "amex ***********0005", KindPAN},
		{"amex grouped 4-6-5", "3782 822463 10005", "**** ****** *0005", KindPAN},
		{"discover", "6011111111111117", "************1117", KindPAN},
		{"jcb", "3530111333300000", "************0000", KindPAN},
		{"card then year", "4111 1111 1111 1111 2031", "**** **** **** 1111 2031", KindPAN},
		// The visible last four and the groups after them form a card.
		{"card then a card-shaped tail", "6000 6040 6000 6000 0000 0007 x", "**** **** **** 6000 **** **** x", KindPAN},
		{"iban then an iban-shaped tail", "AA00 AA00 A000 0AAA AA00 AA00 AA00000020000", "AA** **** **** **** AA00 **** *************", KindIBAN},
		{"visa dotted", "card 4111.1111.1111.1111 ok", "card ****.****.****.1111 ok", KindPAN},
		{"double spaces", "4111  1111  1111  1111", "****  ****  ****  1111", KindPAN},
		{"mixed separators", "4111 1111-1111 1111", "**** ****-**** 1111", KindPAN},
		{"spaced dashes", "4111 - 1111 - 1111 - 1111", "**** - **** - **** - 1111", KindPAN},
		{"dotted card then a card-shaped tail", "6000.6040.6000.6000.0000.0007 x", "****.****.****.6000.****.**** x", KindPAN},
		{"card after a comma", "1,4111111111111111", "1,************1111", KindPAN},
		{"card in url path", "/cards/4111111111111111/charge", "/cards/************1111/charge", KindPAN},
		{"card as json number", `{"n":4111111111111111,"m":2}`, `{"n":************1111,"m":2}`, KindPAN},
		{"visa 13", "4222222222222", "*********2222", KindPAN},
		{"visa 19 grouped", "4000 0000 0000 0000 006", "**** **** **** ***0 006", KindPAN},
		{"maestro", "6759649826438453", "************8453", KindPAN},
		{"unionpay", "6200000000000005", "************0005", KindPAN},
		{"dotted amount-like", "1234.5678.9012.3456", "1234.5678.9012.3456", 0},
		{"thousands separators", "total 1,234,567.89 EUR", "total 1,234,567.89 EUR", 0},
		{"card in json", `{"n":"4242424242424242"}`, `{"n":"************4242"}`, KindPAN},
		{"luhn fails", "ref 4111111111111112", "ref 4111111111111112", 0},
		{"luhn ok unknown iin", "order " + notCardIIN, "order " + notCardIIN, 0},
		{"epoch millis", "ts=1700000000000", "ts=1700000000000", 0},
		{"too long run", "41111111111111111111111", "41111111111111111111111", 0},
		{"decimal fraction", "0.4111111111111111", "0.4111111111111111", 0},
		{"glued to letters", "id4111111111111111", "id4111111111111111", 0},
		{"card after CJK label", "卡号：4111111111111111", "卡号：************1111", KindPAN},
		{"card between CJK", "卡号4111 1111 1111 1111已拒绝", "卡号**** **** **** 1111已拒绝", KindPAN},
		{"card after invalid utf-8", "\xff4111111111111111\xfe", "\xff************1111\xfe", KindPAN},
		// Emails.
		{"email", "mail alice@example.com now", "mail " + alice + " now", KindEmail},
		{"email case-folded", "Alice@Example.COM", alice, KindEmail},
		{"email url-encoded in url", "https://shop.example/a?email=alice%40example.com&x=1", "https://shop.example/a?email=" + alice + "&x=1", KindEmail},
		{"email end of sentence", "write to alice@example.com.", "write to " + alice + ".", KindEmail},
		{"non-ascii local part", "from müller@example.com", "from " + h.Identifier("müller@example.com"), KindEmail},
		{"idn domain", "to jörg@bücher.de ok", "to " + h.Identifier("jörg@bücher.de") + " ok", KindEmail},
		{"email between CJK", "联系alice@example.com的订单", "联系" + alice + "的订单", KindEmail},
		{"email with tag in mailto", "<mailto:alice+shop@example.com>", "<mailto:" + h.Identifier("alice+shop@example.com") + ">", KindEmail},
		{"email in markdown bold", "**alice@example.com**", "**" + alice + "**", KindEmail},
		{"no tld", "user@localhost", "user@localhost", 0},
		{"package version", "lodash@4.17.21", "lodash@4.17.21", 0},
		{"scoped package", "@types/node", "@types/node", 0},
		// IP addresses.
		{"ipv4 with port", "from 203.0.113.7:443", "from 203.0.113.0:443", KindIP},
		{"ipv4 in url", "http://198.51.100.23/x", "http://198.51.100.0/x", KindIP},
		{"ipv4 already masked", "203.0.113.0", "203.0.113.0", 0},
		{"semver", "version 1.2.3", "version 1.2.3", 0},
		{"five parts", "1.2.3.4.5", "1.2.3.4.5", 0},
		{"prefixed version", "v1.2.3.4", "v1.2.3.4", 0},
		{"octet out of range", "256.1.1.1", "256.1.1.1", 0},
		{"ipv4 after CJK", "来自203.0.113.7的请求", "来自203.0.113.0的请求", KindIP},
		{"ipv4 after a comma", "ip=203.0.113.0,198.51.100.2", "ip=203.0.113.0,198.51.100.0", KindIP},
		{"ipv6", "peer 2001:db8:1234:5678::1 closed", "peer 2001:db8:1234:: closed", KindIP},
		{"ipv6 full", "[2001:0db8:85a3:0000:0000:8a2e:0370:7334]:443", "[2001:db8:85a3::]:443", KindIP},
		{"ipv6 loopback", "::1", "::1", 0},
		{"time", "at 12:34:56", "at 12:34:56", 0},
		{"mac", "00:1a:2b:3c:4d:5e", "00:1a:2b:3c:4d:5e", 0},
		{"cpp scope", "std::string", "std::string", 0},
		// IBAN.
		{"iban grouped", "IBAN DE89 3704 0044 0532 0130 00 ok", "IBAN DE** **** **** **** **30 00 ok", KindIBAN},
		{"iban run", "GB82WEST12345698765432", "GB****************5432", KindIBAN},
		{"iban bad check", "DE89 3704 0044 0532 0130 01", "DE89 3704 0044 0532 0130 01", 0},
		// Phones and SSN.
		{"intl phone", "call +44 20 7946 0958", "call +** ** **** **58", KindPhone},
		{"nanp", "555-234-5678", "***-***-**78", KindPhone},
		{"nanp parens", "(555) 234-5678", "(***) ***-**78", KindPhone},
		{"tz offset", "+0100", "+0100", 0},
		{"date", "2024-01-15", "2024-01-15", 0},
		{"ssn", "ssn 123-45-6789", "ssn ***-**-6789", KindSSN},
		{"ssn never issued", "000-12-3456 666-12-3456 900-12-3456", "000-12-3456 666-12-3456 900-12-3456", 0},
		// Secrets and credentials.
		{"jwt", "t eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJl x", "t [REDACTED:jwt] x", KindJWT},
		{"bearer", "sent Bearer abcdef1234567890xyz", "sent Bearer [REDACTED:credential]", KindCredential},
		{"bearer prose", "bearer token expired", "bearer token expired", 0},
		{"basic", "Basic dXNlcjpwYXNzd29yZA==", "Basic [REDACTED:credential]", KindCredential},
		{"basic prose", "Basic information", "Basic information", 0},
		{"stripe secret", "key sk_live_4eC39HqLyjWDarjtT1zdp7dc", "key sk_live_****", KindProviderSecret},
		{"stripe webhook", "whsec_abcdefghijklmnopqrstuvwx", "whsec_****", KindProviderSecret},
		{"prefix alone", "use sk_live_ keys", "use sk_live_ keys", 0},
		{"pem", "k=-----BEGIN RSA PRIVATE KEY-----\nMIIBOgIBAAJBAK\n-----END RSA PRIVATE KEY-----\nnext", "k=[REDACTED:private_key]\nnext", KindPrivateKey},
		{"public key", "-----BEGIN PUBLIC KEY-----\nMFww\n-----END PUBLIC KEY-----", "-----BEGIN PUBLIC KEY-----\nMFww\n-----END PUBLIC KEY-----", 0},
		{"url userinfo", "postgres://admin:s3cret@db.internal:5432/x", "postgres://[REDACTED:url_userinfo]@db.internal:5432/x", KindURLUserinfo},
		{"query token", "GET /cb?token=abc123&x=1", "GET /cb?token=[REDACTED:sensitive_param]&x=1", KindSensitiveParam},
		{"logfmt", "user=bob password=hunter2 ok", "user=bob password=[REDACTED:sensitive_param] ok", KindSensitiveParam},
		{"json member", `{"cvv":"123","ok":1}`, `{"cvv":"[REDACTED:sensitive_param]","ok":1}`, KindSensitiveParam},
		{"json in a string", `{\"password\":\"hunter2\"}`, `{\"password\":\"[REDACTED:sensitive_param]\"}`, KindSensitiveParam},
		{"header line", "Authorization: Bearer abc.def", "Authorization: [REDACTED:sensitive_param]", KindSensitiveParam},
		{"dotted key", "http.request.header.cookie=sid-1", "http.request.header.cookie=[REDACTED:sensitive_param]", KindSensitiveParam},
		{"value posing as placeholder", "password=[REDACTED:x]hunter2 ok", "password=[REDACTED:sensitive_param] ok", KindSensitiveParam},
		{"secret after a placeholder", `{"token":"[REDACTED:x] abc"}`, `{"token":"[REDACTED:sensitive_param]"}`, KindSensitiveParam},
		{"placeholder value", "token=[REDACTED:sensitive_param]&x=1", "token=[REDACTED:sensitive_param]&x=1", 0},
		{"harmless key", "status=ok count: 3", "status=ok count: 3", 0},
		{"space before the colon", `{"password" : "hunter2"}`, `{"password" : "[REDACTED:sensitive_param]"}`, KindSensitiveParam},
		{"prefixed env name", "DB_PASSWORD=hunter2", "DB_PASSWORD=[REDACTED:sensitive_param]", KindSensitiveParam},
		{"camel-case name", "accessToken=abc", "accessToken=[REDACTED:sensitive_param]", KindSensitiveParam},
		{"aws secret", "aws_secret_access_key=wJalrXUtnFEMI/K7MDENG", "aws_secret_access_key=[REDACTED:sensitive_param]", KindSensitiveParam},
		{"dashed name", "client-secret=abc", "client-secret=[REDACTED:sensitive_param]", KindSensitiveParam},
		{"header-style card name", "x-card-number: 4111.1111.1111.1111 x", "x-card-number: [REDACTED:sensitive_param] x", KindSensitiveParam},
		{"bearer as a name", "Bearer: abcdef1234567890xyz", "Bearer: [REDACTED:sensitive_param]", KindSensitiveParam},
		{"everyday words in names", "max_session=5 user_auth=ok gift_card=1 card_declined: no", "max_session=5 user_auth=ok gift_card=1 card_declined: no", 0},
		{"grouped card after a key", "cc: 4111 1111 1111 1111 for order 7", "cc: [REDACTED:sensitive_param] for order 7", KindSensitiveParam},
		{"grouped digits after a key", "cvv=123 456 and", "cvv=[REDACTED:sensitive_param] and", KindSensitiveParam},
		{"double-spaced card after a key", "cc: 4111  1111  1111  1111 x", "cc: [REDACTED:sensitive_param] x", KindSensitiveParam},
		{"mixed-separator card after a key", "cc: 4111 1111-1111 1111 x", "cc: [REDACTED:sensitive_param] x", KindSensitiveParam},
		{"ipv6 spelled like a key", "peer 0CC:1::1 up", "peer cc:1:: up", KindIP},
		{"masked ipv6 spelled like a key", "peer cc:1:: up", "peer cc:1:: up", 0},
		// Our own output is never PII.
		{"pseudonym", alice, alice, 0},
		{"pseudonym with digits", "pii_12345678901234567890123456789012", "pii_12345678901234567890123456789012", 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var c Counts
			got, changed, _ := sc.Sanitize(tc.in, &c)
			if got != tc.want {
				t.Fatalf("Sanitize(%q)\n got %q\nwant %q", tc.in, got, tc.want)
			}
			if changed != (tc.in != tc.want) {
				t.Errorf("changed = %v", changed)
			}
			if tc.in != tc.want && c.ByKind[tc.kind] != 1 {
				t.Errorf("findings %v, want one %s", c.ByKind, tc.kind)
			}
			if tc.in == tc.want && c.Total != 0 {
				t.Errorf("findings %v on clean input", c.ByKind)
			}
			var c2 Counts
			again, _, _ := sc.Sanitize(got, &c2)
			if again != got || c2.Total != 0 {
				t.Errorf("second pass changed %q to %q (findings %v)", got, again, c2.ByKind)
			}
		})
	}
}

func TestSanitizeActions(t *testing.T) {
	const in = "card 4111111111111111 from 203.0.113.7 by alice@example.com"
	tests := []struct {
		action Action
		want   func(h *Hasher) string
		remove bool
	}{
		{ActionRedact, func(*Hasher) string {
			return "card [REDACTED:pan] from [REDACTED:ip] by [REDACTED:email]"
		}, false},
		{ActionRemove, func(*Hasher) string {
			return "card [REDACTED:pan] from [REDACTED:ip] by [REDACTED:email]"
		}, true},
		{ActionMask, func(*Hasher) string { return "card ************1111 from 203.0.113.0 by ***@example.com" }, false},
		{ActionHash, func(h *Hasher) string {
			return "card " + h.pseudonymOf(KindPAN, "4111111111111111") + " from " + h.pseudonymOf(KindIP, "203.0.113.7") + " by " + h.Identifier("alice@example.com")
		}, false},
		{ActionOff, func(*Hasher) string { return in }, false},
	}
	for _, tc := range tests {
		t.Run(tc.action.String(), func(t *testing.T) {
			sc, h := newTestScanner(func(a *[NumKinds]Action) {
				a[KindPAN], a[KindIP], a[KindEmail] = tc.action, tc.action, tc.action
			})
			var c Counts
			got, _, remove := sc.Sanitize(in, &c)
			if want := tc.want(h); got != want {
				t.Errorf("got  %q\nwant %q", got, want)
			}
			if remove != tc.remove {
				t.Errorf("remove = %v", remove)
			}
		})
	}
}

func (h *Hasher) pseudonymOf(k Kind, v string) string {
	return string(h.AppendPseudonym(nil, appendNormalized(nil, k, v)))
}

func TestPseudonymFormat(t *testing.T) {
	h := NewHasher(testKey)
	p := h.Identifier(" Alice@Example.com ")
	if !IsPseudonym(p) || p != h.Identifier("alice@example.com") || p != h.Identifier("alice%40example.com") {
		t.Fatalf("pseudonym %q not stable under normalization", p)
	}
	if other := NewHasher([]byte("another-key-another-key-another!!")).Identifier("alice@example.com"); other == p {
		t.Fatal("pseudonym does not depend on the key")
	}
	if h.Identifier("cus_123") == h.Identifier("cus_124") {
		t.Fatal("different ids share a pseudonym")
	}
	if IsPseudonym("pii_0123") || IsPseudonym(strings.ToUpper(p)) {
		t.Fatal("IsPseudonym accepts non-pseudonyms")
	}
}

func TestPANInt(t *testing.T) {
	for v, want := range map[int64]bool{
		4111111111111111:  true,
		378282246310005:   true,
		4111111111111112:  false,
		1700000000000:     false,
		42:                false,
		-4111111111111111: false,
	} {
		if got := PANInt(v); got != want {
			t.Errorf("PANInt(%d) = %v", v, got)
		}
	}
}

func TestCleanTextDoesNotAllocate(t *testing.T) {
	sc, _ := newTestScanner(nil)
	sc.clean = nil // the scan itself, not the cache of clean strings
	var c Counts
	for _, s := range cleanTexts {
		if n := testing.AllocsPerRun(100, func() { sc.Sanitize(s, &c) }); n != 0 {
			t.Errorf("%q: %v allocations", s, n)
		}
	}
	if c.Total != 0 {
		t.Errorf("findings in clean text: %v", c.ByKind)
	}
}

// cleanTexts are clean strings the scanner must not allocate on.
var cleanTexts = []string{
	"GET /api/v1/orders/12345/items?page=2&limit=50",
	"payment.charge completed in 12:34:56.789 for order 1234567890123452 v1.2.3",
	`{"status":"ok","amount":4999,"currency":"EUR","trace":"4bf92f3577b34da6a3ce929d0e0e4736"}`,
	"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/120.0.0.0 Safari/537.36",
	"bearer token expired; Basic information; std::vector; 00:1a:2b:3c:4d:5e; e=mc2",
	// Base64 binary, hashes and URL-encoded text are decoded only as far
	// as their first bytes.
	"iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==",
	"sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 da39a3ee5e6b4b0d3255bfef95601890afd80709",
	"next=%2Fhome%3Fa%3D1%26b%3D2 &amp; &#8364; \\u00e9 [[\"accept\",\"*/*\"]] checkout-service-production-eu",
}

// TestSanitizeSettles covers a value whose first pass leaves a finding for a
// second: the card "6000.0000 0007" is masked, and the digits before it then
// read as a phone number. Sanitize must return the settled form, counting
// both findings, and redact the whole value if it never settles.
func TestSanitizeSettles(t *testing.T) {
	sc, _ := newTestScanner(nil)
	const in = "+10000000 0 6000.0000 0007"
	var once Counts
	first, _, _ := sc.sanitize(in, &once, 0)
	if again, changed, _ := sc.sanitize(first, &Counts{}, 0); !changed || again == first {
		t.Fatalf("%q no longer needs a second pass (%q); pick another input", in, first)
	}

	var c Counts
	got, changed, _ := sc.Sanitize(in, &c)
	if want := "+******00 0 ****.**** 0007"; got != want || !changed {
		t.Fatalf("Sanitize(%q) = %q, %v; want %q", in, got, changed, want)
	}
	if c.ByKind[KindPAN] != 1 || c.ByKind[KindPhone] != 1 || c.Total != 2 {
		t.Errorf("findings %v, want one card and one phone", c.ByKind)
	}

	defer func(n int) { maxPasses = n }(maxPasses)
	maxPasses = 1
	got, changed, _ = sc.Sanitize(in, &Counts{})
	if got != unstableRedacted || !changed {
		t.Fatalf("with one pass allowed: %q, %v; want %q", got, changed, unstableRedacted)
	}
	if again, changed, _ := sc.Sanitize(got, &Counts{}); changed || again != got {
		t.Errorf("the placeholder is not stable: %q", again)
	}
}

// TestHashURLEncoded checks that a number with URL-encoded separators gets
// the pseudonym of the number: the digits of "%20" and "%2B" are none of it.
func TestHashURLEncoded(t *testing.T) {
	sc, h := newTestScanner(func(a *[NumKinds]Action) {
		a[KindPAN], a[KindPhone], a[KindIBAN] = ActionHash, ActionHash, ActionHash
	})
	for _, tc := range []struct {
		in, plain string
		kind      Kind
	}{
		{"4111%201111%201111%201111", "4111111111111111", KindPAN},
		{"4111+1111+1111+1111", "4111111111111111", KindPAN},
		{"%2B44%2020%207946%200958", "+44 20 7946 0958", KindPhone},
		{"DE89%203704%200044%200532%200130%2000", "DE89370400440532013000", KindIBAN},
	} {
		var c Counts
		if got, want := first(sc.Sanitize(tc.in, &c)), h.pseudonymOf(tc.kind, tc.plain); got != want || c.ByKind[tc.kind] != 1 {
			t.Errorf("%q: got %q (%v), want %q", tc.in, got, c.ByKind, want)
		}
	}
}

func first(s string, _, _ bool) string { return s }

func TestCutBefore(t *testing.T) {
	sc, _ := newTestScanner(nil)
	for _, tc := range []struct {
		in      string
		n, want int
	}{
		{"paid by 4111 1111 1111 1111 today", 15, 8},
		{"paid by 4111 1111 1111 1111 today", 28, 28}, // after the card
		{"paid by 4111 1111 1111 1111 today", 8, 8},   // at its start
		{"to alice@example.com ok", 10, 3},
		{"order 1000234556 shipped", 10, 10},
		{"short", 10, 10},
	} {
		if got := sc.CutBefore(tc.in, tc.n); got != tc.want {
			t.Errorf("CutBefore(%q, %d) = %d, want %d", tc.in, tc.n, got, tc.want)
		}
	}
}

// TestNamedNumberValueBounded: the value of an SSN or phone name is looked
// for no further than a number can go, so a long run after the name is no
// number and "ssn=ssn=…" is not scanned to its end once per name.
func TestNamedNumberValueBounded(t *testing.T) {
	sc, _ := newTestScanner(nil)
	long := strings.Repeat("4155552671", 4)
	for in, want := range map[string]string{
		"ssn=078051120":                 "ssn=*****1120",
		`{"phone":"+1 (415) 555-2671"}`: `{"phone":"+* (***) ***-**71"}`,
		"next%3Fmobile%3D07700900123":   "next%3Fmobile%3D*********23",
		"phone=" + long:                 "phone=" + long,
		"phone=\"" + long + "\"":        "phone=\"" + long + "\"",
		"next%3Fphone%3D" + long:        "next%3Fphone%3D" + long,
	} {
		var c Counts
		if got, _, _ := sc.Sanitize(in, &c); got != want {
			t.Errorf("%q: got %q, want %q", in, got, want)
		}
	}
}

// BenchmarkSanitizeRepeatedName is the worst case of a validated name
// (SSN, phone): 64 KiB of "ssn=", none with a value.
func BenchmarkSanitizeRepeatedName(b *testing.B) {
	sc, _ := newTestScanner(nil)
	s := strings.Repeat("ssn=", 16<<10)
	b.SetBytes(int64(len(s)))
	for b.Loop() {
		var c Counts
		if _, changed, _ := sc.Sanitize(s, &c); changed {
			b.Fatal("changed")
		}
	}
}

// simBodies are the simulator's log bodies (internal/sim, the gateway
// benchmark's load): each carries a customer's email and a client address.
var simBodies = []string{
	"order ord_CeYvY7XRkgAi4a8d paid: 129.15 EUR by noah.jensen@example.org (2001:db8:5146:9b79::deb7)",
	"checkout cs_live_O8WMRRSBpysEttdGMncLsRMb started by jensen_oliver1970@example.com from 198.51.100.152",
	"order ord_8IlHCAg5cv8Vd12O paid: 99.133 KWD by o.jensen+shop@example.net (203.0.113.91)",
	"zoe.jensen@example.org chose apple_pay",
	"refund ref_Q2x9PLmZ7aN4bC1d of 45.00 GBP for ord_SlAZPOB1GwPRtwRr to h.novak+shop@mail.example.com",
}

// BenchmarkSimBodies sanitizes the simulator's log bodies, each once per
// batch (a fresh memo per op, as bodies are unique), and pseudonymizes its
// identifier attributes (customer.email, customer.id) with the batch memo.
// go test -run '^$' -bench BenchmarkSimBodies -count 6 ./processor/piisanitizer/internal/detect
func BenchmarkSimBodies(b *testing.B) {
	sc, h := newTestScanner(nil)
	b.Run("bodies", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			c := Counts{Memo: &Memo{}}
			for _, s := range simBodies {
				sc.Sanitize(s, &c)
			}
		}
	})
	ids := []string{"aisha.garcia@example.com", "cus_CFOaVKlBLv4OHX", "noah.jensen@example.org", "cus_Q2x9PLmZ7aN4bC"}
	b.Run("identifiers", func(b *testing.B) {
		b.ReportAllocs()
		var memo Memo
		for _, v := range ids {
			h.IdentifierMemo(v, &memo)
		}
		for i := 0; i < b.N; i++ {
			for _, v := range ids {
				h.IdentifierMemo(v, &memo)
			}
		}
	})
}
