package detect

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"strings"
	"sync"
	"unsafe"
)

// Pseudonym format: "pii_" followed by the first 16 bytes of
// HMAC-SHA256(key, normalized value) in lowercase hex (36 characters).
const (
	PseudonymPrefix = "pii_"
	pseudonymHexLen = 32
	PseudonymLen    = len(PseudonymPrefix) + pseudonymHexLen
)

// Hasher computes keyed pseudonyms. It is safe for concurrent use.
type Hasher struct {
	pool sync.Pool
}

// NewHasher returns a Hasher for key.
func NewHasher(key []byte) *Hasher {
	k := append([]byte(nil), key...)
	h := &Hasher{}
	h.pool.New = func() any { return hmac.New(sha256.New, k) }
	return h
}

// Memo remembers the pseudonyms computed for one batch: a customer's email
// and id recur in every event of a session (customer.email, customer.id
// and the email in the log body), and a map lookup costs a fraction of the
// HMAC. It also remembers what Sanitize made of strings with findings. It
// holds plain values, so it lives no longer than the batch it serves, and
// keys of found point into the strings Sanitize was given, which must not
// change while the memo is in use (pdata strings do not). Not safe for
// concurrent use; the zero value is ready.
type Memo struct {
	m map[string]string // normalized value -> pseudonym
	// found holds the results of Sanitize for strings with findings: a
	// session's client address or a repeated message recurs in its records.
	// A result is kept on the string's second sighting (seen holds hashes
	// of strings with findings), so unique messages cost no map entry.
	found map[string]foundResult
	seen  *[memoSeen]uint64
}

const memoSeen = 256 // a power of two

// foundResult is what Sanitize returned for a string with findings, and
// what it counted.
type foundResult struct {
	out    string
	remove bool
	counts [NumKinds]uint16
}

func (m *Memo) result(s string) (foundResult, bool) {
	if m == nil {
		return foundResult{}, false
	}
	r, ok := m.found[s]
	return r, ok
}

// remember keeps Sanitize's result for s (hash h), whose findings are in
// c, when s was seen before.
func (m *Memo) remember(s string, h uint64, out string, remove bool, c *Counts) {
	if m == nil || len(m.found) >= maxMemo {
		return
	}
	if m.seen == nil {
		m.seen = new([memoSeen]uint64)
	}
	if slot := &m.seen[h&(memoSeen-1)]; *slot != h {
		*slot = h
		return
	}
	r := foundResult{out: out, remove: remove}
	for k, n := range c.ByKind {
		if n > 0xffff {
			return
		}
		r.counts[k] = uint16(n)
	}
	if m.found == nil {
		m.found = make(map[string]foundResult)
	}
	m.found[s] = r
}

// maxMemo bounds a Memo: beyond it new values are hashed every time.
const maxMemo = 4096

// pseudonym returns the pseudonym of normalized, from memo when it has it.
func (h *Hasher) pseudonym(normalized []byte, memo *Memo) string {
	if memo != nil {
		if p, ok := memo.m[string(normalized)]; ok {
			return p
		}
	}
	// Hash a copy: normalized, usually on the caller's stack, would escape
	// through the hash.Hash interface, and a memo hit must not allocate.
	// The copy (the memo's key) and the pseudonym share one allocation;
	// neither is written after this.
	n := len(normalized)
	buf := make([]byte, n, n+PseudonymLen)
	copy(buf, normalized)
	buf = h.AppendPseudonym(buf, buf[:n])
	key := unsafe.String(unsafe.SliceData(buf), n)
	p := unsafe.String(&buf[n], PseudonymLen)
	if memo != nil && len(memo.m) < maxMemo {
		if memo.m == nil {
			memo.m = make(map[string]string)
		}
		memo.m[key] = p
	}
	return p
}

// AppendPseudonym appends the pseudonym of an already normalized value.
func (h *Hasher) AppendPseudonym(dst, normalized []byte) []byte {
	mac := h.pool.Get().(hash.Hash)
	mac.Reset()
	mac.Write(normalized)
	var sum [sha256.Size]byte
	out := mac.Sum(sum[:0])
	h.pool.Put(mac)
	dst = append(dst, PseudonymPrefix...)
	return hex.AppendEncode(dst, out[:pseudonymHexLen/2])
}

// Identifier returns the pseudonym of an identifier such as customer.id or
// customer.email: surrounding space is trimmed and, when the value is an
// email address, it is normalized like emails found in free text, so the
// same customer gets the same pseudonym everywhere.
func (h *Hasher) Identifier(v string) string { return h.IdentifierMemo(v, nil) }

// IdentifierMemo is Identifier with the pseudonyms of a batch remembered
// in memo (nil: none).
func (h *Hasher) IdentifierMemo(v string, memo *Memo) string {
	v = strings.TrimSpace(v)
	if selfNormalized(v) {
		// pseudonym only reads normalized (and copies what it keeps).
		return h.pseudonym(unsafe.Slice(unsafe.StringData(v), len(v)), memo)
	}
	var buf [128]byte
	return h.pseudonym(appendIdentifier(buf[:0], v), memo)
}

// appendIdentifier appends the normalized form of identifier v: an email
// address as found in text, anything else as it is.
func appendIdentifier(dst []byte, v string) []byte {
	if hasAtSign(v) {
		return appendNormalized(dst, KindEmail, v)
	}
	return append(dst, v...)
}

// selfNormalized reports whether v is its own normalized form, checked in
// one pass without copying: no byte that may start an escape or an at-sign
// other than a plain '@', and, when there is an '@' (an email, lowercased
// by appendNormalized), no upper-case letter. Everything else is copied
// as it is by appendIdentifier.
func selfNormalized(v string) bool {
	at, upperCase := false, false
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c == '@':
			at = true
		case class[c]&(clAtSign|clEscape) != 0:
			return false
		case isUpper(c):
			upperCase = true
		}
	}
	return !at || !upperCase
}

func hasAtSign(v string) bool {
	for i := 0; i < len(v); i++ {
		if atSignLen(v[i:]) > 0 {
			return true
		}
	}
	return false
}

// IsPseudonym reports whether s is exactly a pseudonym.
func IsPseudonym(s string) bool {
	return len(s) == PseudonymLen && strings.HasPrefix(s, PseudonymPrefix) && isLowerHex(s[len(PseudonymPrefix):])
}

// IsSanitized reports whether s is output of this package (a pseudonym or a
// redaction placeholder), so it is never processed again.
func IsSanitized(s string) bool {
	return IsPseudonym(s) || (len(s) > 0 && placeholderLen(s) == len(s))
}

// placeholderLen is the length of the redaction placeholder ("[REDACTED:" +
// detector name + "]") that s starts with, or 0. Only the exact form counts:
// "[REDACTED] hunter2" is not our output.
func placeholderLen(s string) int {
	i := len(RedactedPrefix)
	if !strings.HasPrefix(s, RedactedPrefix) || i >= len(s) || s[i] != ':' {
		return 0
	}
	for i++; i < len(s); i++ {
		switch c := s[i]; {
		case c == ']':
			return i + 1
		case (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '_' && c != ':':
			return 0
		}
	}
	return 0
}

func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// appendNormalized appends the canonical form of a finding that is hashed:
// emails lowercased with %40 decoded, card numbers, phones and IBANs without
// separators.
func appendNormalized(dst []byte, k Kind, v string) []byte {
	switch k {
	case KindEmail:
		// Escaped spellings give the pseudonym of the plain address:
		// "john.doe\u002Bshop＠example.com" = "john.doe+shop@example.com".
		for i := 0; i < len(v); i++ {
			if n := atSignLen(v[i:]); n > 0 {
				dst = append(dst, '@')
				i += n - 1
				continue
			}
			if v[i] == '\\' && i+1 < len(v) && (v[i+1] == '\\' || v[i+1] == '"') {
				continue // an escaped escape or quote (JSON in a JSON string)
			}
			if class[v[i]]&clEscape == 0 {
				dst = append(dst, lower(v[i]))
				continue
			}
			if c, n := decodeEscape(v[i:]); n > 0 && isEscapedLocalPart(c) {
				dst = append(dst, lower(c))
				i += n - 1
				continue
			}
			dst = append(dst, lower(v[i]))
		}
	case KindPAN, KindPhone, KindSSN:
		for i := 0; i < len(v); i++ {
			if e := escapeLen(v, i); e > 0 {
				i += e - 1
			} else if isDigit(v[i]) {
				dst = append(dst, v[i])
			}
		}
	case KindIBAN:
		for i := 0; i < len(v); i++ {
			if e := escapeLen(v, i); e > 0 {
				i += e - 1
			} else if isAlnum(v[i]) {
				dst = append(dst, upper(v[i]))
			}
		}
	default:
		dst = append(dst, v...)
	}
	return dst
}
