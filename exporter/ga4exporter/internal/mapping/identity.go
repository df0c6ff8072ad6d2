package mapping

import (
	"crypto/sha256"
	"encoding/binary"
	"net/netip"
	"strconv"
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/otelcol-payments/otelcol-payments/exporter/ga4exporter/internal/mp"
	"github.com/otelcol-payments/otelcol-payments/internal/contract"
)

// A pseudonym is the customer id piisanitizer writes, ^pii_[0-9a-f]{8,128}$.
// Only such ids are sent as user_id or used to derive a client id: a raw id
// could be an email address or another direct identifier. It is checked
// without a regexp: the check runs for every GA4 event.
const (
	pseudonymPrefix       = "pii_"
	minPseudonymHexDigits = 8
	maxPseudonymHexDigits = 128
)

// IsPseudonym reports whether a customer id is a piisanitizer pseudonym.
func IsPseudonym(id string) bool {
	hex, ok := strings.CutPrefix(id, pseudonymPrefix)
	if !ok || len(hex) < minPseudonymHexDigits || len(hex) > maxPseudonymHexDigits {
		return false
	}
	for i := 0; i < len(hex); i++ {
		if c := hex[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

const maxClientIDLen = 100

// usableClientID rejects values that cannot be a GA client id and could
// carry personal data (an address with '@', free text with spaces, an IP
// address: piisanitizer passes ga.client_id verbatim).
func usableClientID(s string) bool {
	if s == "" || len(s) > maxClientIDLen {
		return false
	}
	if _, err := netip.ParseAddr(s); err == nil {
		return false
	}
	return !strings.ContainsAny(s, "@ \t\r\n")
}

// cookieClientID is the client id inside a _ga cookie value, which
// applications reading the cookie server-side often pass whole:
// "GA1.1.1234567890.1764300000" (version, domain depth, then the id gtag
// uses) is "1234567890.1764300000". Sent as is, GA4 would count it as
// another client, not stitched to the browser's session. Anything else is
// returned unchanged.
func cookieClientID(s string) string {
	rest, ok := strings.CutPrefix(s, "GA1.")
	if !ok {
		return s
	}
	depth, id, ok := strings.Cut(rest, ".")
	if !ok || !digitsOr(depth, '-') {
		return s
	}
	random, ts, ok := strings.Cut(id, ".")
	if !ok || !digitsOr(random, 0) || !digitsOr(ts, 0) {
		return s
	}
	return id
}

// cookieSessionID is the session id inside a whole _ga_<container> cookie
// value, passed as ga.session_id like the _ga value above: GA4 stitches by
// the id alone. "GS1.1.1764327600.3.1.1764327700.0.0.0" carries it as its
// third field, "GS2.1.s1764327600$o3$g1$t1764327700$j0$l0$h0" as the
// "s" item. Anything else is returned unchanged.
func cookieSessionID(s string) string {
	if rest, ok := strings.CutPrefix(s, "GS1."); ok {
		fields := strings.SplitN(rest, ".", 3)
		if len(fields) == 3 && digitsOr(fields[0], '-') && digitsOr(fields[1], 0) {
			return fields[1]
		}
		return s
	}
	if rest, ok := strings.CutPrefix(s, "GS2."); ok {
		if depth, items, ok := strings.Cut(rest, "."); ok && digitsOr(depth, '-') {
			for _, item := range strings.Split(items, "$") {
				if id, ok := strings.CutPrefix(item, "s"); ok && digitsOr(id, 0) {
					return id
				}
			}
		}
	}
	return s
}

// digitsOr reports whether s is non-empty and only ASCII digits or extra.
func digitsOr(s string, extra byte) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (extra == 0 || c != extra) {
			return false
		}
	}
	return s != ""
}

// DeriveClientID makes a stable client id in GA's "<int>.<int>" shape from
// an identifier that is not personal data (a customer pseudonym or a checkout
// session id). namespace keeps the two sources from colliding.
func DeriveClientID(namespace, id string) string {
	// Stack buffers for the usual short ids: one allocation, the result.
	var in [128]byte
	h := sha256.Sum256(append(append(append(in[:0], namespace...), 0), id...))
	a := binary.BigEndian.Uint32(h[0:4]) & 0x7fffffff
	b := binary.BigEndian.Uint32(h[4:8]) & 0x7fffffff
	var out [24]byte
	o := strconv.AppendUint(out[:0], uint64(a), 10)
	o = append(o, '.')
	return string(strconv.AppendUint(o, uint64(b), 10))
}

// Namespaces of derived client ids.
const (
	DerivedFromCustomer = "customer"
	DerivedFromCheckout = "checkout"
)

// identity resolves client_id and user_id. The fallback order is documented
// in the README: ga.client_id, then a client id derived from the customer
// pseudonym, then one derived from checkout.session.id.
func identity(a Attrs) (clientID, userID string) {
	customer := a.Str(contract.CustomerID)
	if IsPseudonym(customer) {
		userID = customer
	} else {
		customer = ""
	}
	if cid := cookieClientID(a.Str(contract.GAClientID)); usableClientID(cid) {
		return cid, userID
	}
	if customer != "" {
		return DeriveClientID(DerivedFromCustomer, customer), userID
	}
	if sid := a.Str(contract.CheckoutSessionID); sid != "" {
		return DeriveClientID(DerivedFromCheckout, sid), userID
	}
	return "", userID
}

// consentValue reads a consent attribute: "granted"/"denied" in any case, or
// a bool, also as the text "true"/"false" (shippers and bridges that
// stringify attributes): a user's "false" must not fall back to a default
// of GRANTED. Anything else means "not given" and the configured default
// applies.
func consentValue(a Attrs, key, def string) string {
	v, ok := a.Get(key)
	if !ok {
		return def
	}
	switch v.Type() {
	case pcommon.ValueTypeBool:
		if v.Bool() {
			return mp.Granted
		}
		return mp.Denied
	case pcommon.ValueTypeStr:
		switch strings.ToUpper(strings.TrimSpace(v.Str())) {
		case mp.Granted, "TRUE":
			return mp.Granted
		case mp.Denied, "FALSE":
			return mp.Denied
		}
	}
	return def
}
