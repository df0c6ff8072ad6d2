package detect

import "unsafe"

// Byte classes. Detectors are only tried where a byte of the right class
// appears: digits and a few letters at the start of a word, and a handful of
// punctuation bytes anywhere. Everything else is skipped with one table load.
const (
	clWord      uint8 = 1 << iota // [A-Za-z0-9]; non-ASCII bytes are boundaries, as scripts without spaces (CJK) glue labels to numbers
	clStart                       // worth a look at the start of a word
	clPunct                       // worth a look anywhere
	clBase64                      // base64 bytes besides letters and digits: + / - _
	clIBANLower                   // first letter of a lower-case IBAN's country code
	clAtSign                      // first byte of an at-sign in any spelling (atSignLen)
	clEscape                      // first byte of an escape (decodeEscape)
)

var class = func() (t [256]uint8) {
	for c := 0; c < 256; c++ {
		b := byte(c)
		if isAlnum(b) {
			t[c] |= clWord
		}
	}
	for c := '0'; c <= '9'; c++ {
		t[c] |= clStart // cards, SSN, phone, IPv4
	}
	for c := 'A'; c <= 'Z'; c++ {
		t[c] |= clStart // IBAN
	}
	for _, c := range []byte("pBbe") {
		t[c] |= clStart // pseudonym, Bearer/Basic, JWT
	}
	for cc := range ibanLengths {
		t[cc[0]] |= clIBANLower
	}
	for _, p := range secretPrefixes {
		if p.shape != shapeURLPath { // webhook URLs are checked after "://"
			t[p.prefix[0]] |= clStart
		}
	}
	for _, c := range []byte("+/-_") {
		t[c] |= clBase64
	}
	// '\\', '&' and 0xEF start escaped or full-width at-signs ("\u0040",
	// "&#64;", "＠"); ',' separates a header pair (["X-Api-Key","…"]);
	// '>' ends an XML start tag (<Password>…</Password>).
	for _, c := range []byte("@%:=+(-\\&,>\xEF") {
		t[c] |= clPunct
	}
	for _, c := range []byte("@%\\&\xEF") {
		t[c] |= clAtSign
	}
	for _, c := range []byte("%\\&") {
		t[c] |= clEscape
	}
	return t
}()

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isUpper(c byte) bool { return c >= 'A' && c <= 'Z' }
func isAlpha(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }
func isAlnum(c byte) bool { return isDigit(c) || isAlpha(c) }
func isWord(c byte) bool  { return class[c]&clWord != 0 }
func isHex(c byte) bool   { return isDigit(c) || (c|0x20 >= 'a' && c|0x20 <= 'f') }
func upper(c byte) byte {
	if c >= 'a' && c <= 'z' {
		return c - 'a' + 'A'
	}
	return c
}

func lower(c byte) byte {
	if isUpper(c) {
		return c + 'a' - 'A'
	}
	return c
}

// wordAt reports whether s[i] exists and is a word byte.
func wordAt(s string, i int) bool { return i >= 0 && i < len(s) && isWord(s[i]) }

type match struct {
	start, end int
	keep       int32 // bytes of the match the mask keeps verbatim (secret prefix, IPv4 network part)
	kind       Kind
}

// encodedRun is a base64 run whose decoded text had findings.
type encodedRun struct {
	replacement string
	remove      bool
}

// Scanner finds and replaces PII in strings. It is safe for concurrent use.
type Scanner struct {
	actions [NumKinds]Action
	hasher  *Hasher
	clean   *cleanCache // nil: every string is scanned
}

// NewScanner returns a scanner applying actions per detector. hasher may be
// nil when no action is ActionHash.
func NewScanner(actions [NumKinds]Action, hasher *Hasher) *Scanner {
	return &Scanner{actions: actions, hasher: hasher, clean: newCleanCache()}
}

// WithoutCache returns a copy of sc that scans every string, for tests that
// compare the cached path with the full scan.
func (sc *Scanner) WithoutCache() *Scanner {
	c := *sc
	c.clean = nil
	return &c
}

func (sc *Scanner) on(k Kind) bool { return sc.actions[k] != ActionOff }

// Action returns the action for detector k.
func (sc *Scanner) Action(k Kind) Action { return sc.actions[k] }

// Sanitize returns s with every finding replaced, whether anything changed,
// and whether a finding's action asks to remove the holder of s. It
// allocates only when something is found, and once for a clean string of
// 12–256 bytes seen again (cleanCache: a repeated clean string is then
// not scanned). A string of that size with findings seen twice before in
// the batch (counts.Memo) gets the same result and counts without a scan.
//
// A replacement changes what its neighbours read as: digits a number gave up
// to a card that was then masked can read as a phone number of their own
// once the card is stars ("+10000000 0 ****.**** 0007"). Rules against each
// such shape fixed one input at a time (FuzzSanitize kept finding more), so
// the scanner instead runs again over what it changed until nothing is
// found. The result is sanitized text that sanitizing leaves alone, which is
// what a second collector tier or a replay does with it. Clean text still
// takes one pass.
func (sc *Scanner) Sanitize(s string, counts *Counts) (out string, changed, remove bool) {
	if sc.clean != nil && cacheable(s) {
		h, ok := sc.clean.has(s)
		if ok {
			return s, false, false
		}
		if r, ok := counts.Memo.result(s); ok {
			for k, n := range r.counts {
				counts.Add(Kind(k), int(n))
			}
			return r.out, true, r.remove
		}
		found := Counts{Memo: counts.Memo}
		out, changed, remove = sc.settle(s, &found)
		if !changed {
			sc.clean.noteClean(s, h)
			return out, false, false
		}
		for k, n := range found.ByKind {
			counts.Add(Kind(k), n)
		}
		counts.Memo.remember(s, h, out, remove, &found)
		return out, true, remove
	}
	return sc.settle(s, counts)
}

// settle is Sanitize without the clean cache.
func (sc *Scanner) settle(s string, counts *Counts) (out string, changed, remove bool) {
	out, changed, remove = sc.sanitize(s, counts, 0)
	for pass := 1; changed; pass++ {
		again, more, rm := sc.sanitize(out, counts, 0)
		if !more {
			break
		}
		if pass == maxPasses {
			// Never seen: every pass only masks, hashes or redacts, and
			// nothing detects its own output. Should one ever keep
			// finding, the whole value goes rather than an unstable part.
			return unstableRedacted, true, remove || rm
		}
		out, remove = again, remove || rm
	}
	return out, changed, remove
}

// CutBefore returns where to cut s to at most n bytes without splitting a
// finding: n, or the start of a finding that goes on past n. A value cut
// first and sanitized after would keep whatever the cut made unreadable:
// "4111 1111 1111 111" fails Luhn, "alice@exampl" has no TLD. Only the
// bytes around n are scanned (a finding is shorter than cutWindow).
func (sc *Scanner) CutBefore(s string, n int) int {
	if n >= len(s) {
		return n
	}
	lo, hi := max(0, n-cutWindow), min(len(s), n+cutWindow)
	w := s[lo:hi]
	var counts Counts
	var enc encodedRun
	for pos := 0; pos < n-lo; {
		m, ok := sc.next(w, pos, &counts, 0, &enc)
		if !ok || m.start >= n-lo {
			break
		}
		if m.end > n-lo {
			return lo + m.start
		}
		pos = m.end
	}
	return n
}

// cutWindow is how far CutBefore looks on either side of the cut: more
// than a JWT or a PEM key block carries in practice.
const cutWindow = 4096

// maxPasses bounds Sanitize's passes over one value.
var maxPasses = 8 // a variable so that a test can reach the bound

// unstableRedacted replaces a value whose sanitized form did not settle.
const unstableRedacted = RedactedPrefix + "]"

// sanitize is Sanitize for text depth base64 decodings deep.
func (sc *Scanner) sanitize(s string, counts *Counts, depth int) (out string, changed, remove bool) {
	var b []byte
	var enc encodedRun // the sanitized form of a kindEncoded match
	last := 0
	for pos := 0; ; {
		m, ok := sc.next(s, pos, counts, depth, &enc)
		if !ok {
			break
		}
		pos = m.end
		if b == nil {
			b = make([]byte, 0, len(s)+2*PseudonymLen)
		}
		b = append(b, s[last:m.start]...)
		last = m.end
		if m.kind == kindEncoded {
			// Findings inside were counted when the run was decoded.
			b = append(b, enc.replacement...)
			remove = remove || enc.remove
			continue
		}
		counts.Add(m.kind, 1)
		b = sc.replace(b, s[m.start:m.end], m, counts.Memo)
		if tail := sc.maskTail(s, m); tail > m.end {
			b = appendStarAlnum(b, s[m.end:tail])
			last, pos = tail, tail
		}
		if sc.actions[m.kind] == ActionRemove {
			remove = true
		}
	}
	if b == nil {
		return s, false, false
	}
	b = append(b, s[last:]...)
	return unsafe.String(unsafe.SliceData(b), len(b)), true, remove
}

// NamedValue sanitizes v as the value of an SSN or phone key (k), where
// nine digits without dashes (078051120, 078 05 1120) are an SSN and a
// national number (4155552671, 07700 900123) a phone number too. ok is
// false when v is none; the scanner then treats it as any text.
func (sc *Scanner) NamedValue(k Kind, v string, counts *Counts) (out string, ok, remove bool) {
	if !sc.on(k) || !namedNumber(k, v) {
		return v, false, false
	}
	counts.Add(k, 1)
	b := sc.replace(make([]byte, 0, len(v)+PseudonymLen), v, match{end: len(v), kind: k}, counts.Memo)
	return unsafe.String(unsafe.SliceData(b), len(b)), true, sc.actions[k] == ActionRemove
}

// FlagValue sanitizes arg as the argument that follows flag in a list of
// command-line arguments (process.command_args: "--password", "…"). ok is
// false when flag has no sensitive name or arg is no value.
func (sc *Scanner) FlagValue(flag, arg string, counts *Counts) (out string, ok bool) {
	if !sc.on(KindSensitiveParam) || arg == "" || arg[0] == '-' || IsSanitized(arg) || harmlessValue(arg) || !sensitiveFlag(flag) {
		return arg, false
	}
	counts.Add(KindSensitiveParam, 1)
	b := sc.replace(make([]byte, 0, len(arg)+PseudonymLen), arg, match{end: len(arg), kind: KindSensitiveParam}, counts.Memo)
	return unsafe.String(unsafe.SliceData(b), len(b)), true
}

// next finds the first finding at or after from.
func (sc *Scanner) next(s string, from int, counts *Counts, depth int, enc *encodedRun) (match, bool) {
	prevWord := wordAt(s, from-1)
	run := from // start of the current run of base64 bytes
	for i := from; i < len(s); i++ {
		cl := class[s[i]]
		if cl&clWord != 0 {
			// Lower-case words are only worth a call when shaped like an
			// IBAN ("de89…").
			if (!prevWord && (cl&clStart != 0 || (cl&clIBANLower != 0 && i+3 < len(s) && isDigit(s[i+3]) && isDigit(s[i+2])))) ||
				(prevWord && cl&clStart != 0 && afterEscape(s, i)) {
				if m, ok := sc.atWordStart(s, i); ok {
					if m.kind == kindSkip {
						i = m.end - 1
						run = m.end
					} else if m, ok = sc.preferEmail(s, m, from); ok {
						return m, true
					}
				}
			}
			prevWord = true
			continue
		}
		prevWord = false
		if cl&clBase64 == 0 {
			if i-run >= minBase64 {
				if m, ok := sc.base64At(s, run, i, counts, depth, enc); ok {
					return m, true
				}
			}
			run = i + 1
		}
		if cl&clPunct != 0 {
			if m, ok := sc.atPunct(s, i, from); ok {
				if m, ok = sc.preferEmail(s, m, from); ok {
					return m, true
				}
			}
		}
	}
	if len(s)-run >= minBase64 {
		return sc.base64At(s, run, len(s), counts, depth, enc)
	}
	return match{}, false
}

// preferEmail resolves a finding glued to an email address: digits followed
// by "…@example.com" belong to the address's local part, and masking them
// first would leave a different address for a second pass. It returns the
// address when it covers m; when the address starts inside m, m is re-checked
// without the address (false: no finding, scanning goes on).
func (sc *Scanner) preferEmail(s string, m match, lo int) (match, bool) {
	switch m.kind {
	case KindPAN, KindPhone, KindSSN, KindIBAN, KindIP:
	default:
		return m, true
	}
	if !sc.on(KindEmail) {
		return m, true
	}
	j := m.end
	for j < len(s) && isLocalPart(s[j]) && atSignLen(s[j:]) == 0 {
		j++
	}
	atLen := atSignLen(s[j:])
	if atLen == 0 {
		return m, true
	}
	start, end, ok := emailAt(s, j, atLen, lo)
	switch {
	case !ok || start >= m.end:
		return m, true
	case start <= m.start:
		return match{start: start, end: end, kind: KindEmail}, true
	}
	// The address starts inside m: m is only a finding if it is one without
	// the address's local part.
	cut := s[:start]
	if isWord(s[m.start]) {
		m, ok = sc.atWordStart(cut, m.start)
	} else {
		m, ok = sc.atPunct(cut, m.start, lo)
	}
	return m, ok && m.kind != kindSkip
}

func (sc *Scanner) atWordStart(s string, i int) (match, bool) {
	c := s[i]
	if isDigit(c) {
		return sc.atDigit(s, i)
	}
	if c == 'p' && i+PseudonymLen <= len(s) && IsPseudonym(s[i:i+PseudonymLen]) && !wordAt(s, i+PseudonymLen) {
		return match{start: i, end: i + PseudonymLen, kind: kindSkip}, true
	}
	if sc.on(KindProviderSecret) {
		if end, keep, ok := secretAt(s, i); ok {
			return match{start: i, end: end, kind: KindProviderSecret, keep: int32(keep)}, true
		}
	}
	if sc.on(KindJWT) && c == 'e' {
		if end, ok := jwtAt(s, i); ok {
			return match{start: i, end: end, kind: KindJWT}, true
		}
	}
	if sc.on(KindCredential) && (c == 'B' || c == 'b') {
		if start, end, ok := credentialAt(s, i); ok {
			return match{start: start, end: end, kind: KindCredential}, true
		}
	}
	if sc.on(KindIBAN) {
		if isUpper(c) {
			if end, ok := ibanAt(s, i); ok {
				return match{start: i, end: end, kind: KindIBAN}, true
			}
		} else if i+3 < len(s) && isDigit(s[i+2]) && isDigit(s[i+3]) {
			if end, ok := ibanLowerAt(s, i); ok {
				return match{start: i, end: end, kind: KindIBAN}, true
			}
		}
	}
	return match{}, false
}

func (sc *Scanner) atDigit(s string, i int) (match, bool) {
	// A digit right after "3." continues a number: not a new token. A comma
	// does not ("4111…,5555…", "ip=203.0.113.7,198.51.100.2": CSV and
	// lists); a thousands group after one is too short to be a finding.
	if i >= 2 && s[i-1] == '.' && isDigit(s[i-2]) {
		return match{}, false
	}
	if sc.on(KindPAN) {
		if end, ok := panAt(s, i); ok {
			return match{start: i, end: end, kind: KindPAN}, true
		}
	}
	if sc.on(KindSSN) {
		if end, ok := ssnAt(s, i); ok {
			return match{start: i, end: end, kind: KindSSN}, true
		}
	}
	if sc.on(KindPhone) {
		if end, ok := nanpAt(s, i); ok {
			return match{start: i, end: end, kind: KindPhone}, true
		}
		if end, ok := zeroZeroPhoneAt(s, i); ok {
			return match{start: i, end: end, kind: KindPhone}, true
		}
	}
	if sc.on(KindIP) {
		if end, keep, ok := ipv4At(s, i); ok {
			return match{start: i, end: end, kind: KindIP, keep: int32(keep)}, true
		}
	}
	return match{}, false
}

func (sc *Scanner) atPunct(s string, i, lo int) (match, bool) {
	switch s[i] {
	case '@', '%', '\\', '&', 0xEF:
		// Cheap look at the next byte first: '%' and '&' are everywhere in
		// URLs, and only "%40", "%2540", "%2B", "%3D", "%3A", "\u0040",
		// "&#…;" and "＠" matter.
		if i+1 < len(s) && !atSignNext(s[i], s[i+1]) {
			return match{}, false
		}
		if s[i] == '%' && i+2 < len(s) && s[i+1] == '3' && (s[i+2]|0x20 == 'd' || s[i+2]|0x20 == 'a') {
			// "%3D", "%3A": name=value inside a query parameter.
			if start, end, kind, ok := encodedKeyValueAt(s, i, lo); ok && sc.on(kind) {
				return match{start: start, end: end, kind: kind}, true
			}
			return match{}, false
		}
		if s[i] == '%' && i+2 < len(s) && s[i+2]|0x20 == 'b' && sc.on(KindPhone) && !wordAt(s, i-1) {
			// "%2B14155552671": an international number in a query string.
			if end, ok := intlPhoneAt(s, i+2); ok {
				return match{start: i, end: end, kind: KindPhone}, true
			}
		}
		if sc.on(KindEmail) {
			if n := atSignLen(s[i:]); n > 0 {
				if start, end, ok := emailAt(s, i, n, lo); ok {
					return match{start: start, end: end, kind: KindEmail}, true
				}
			}
		}
	case ',':
		if i > 0 && (s[i-1] == '"' || s[i-1] == '\'') && sc.on(KindSensitiveParam) {
			if start, end, ok := headerPairAt(s, i, lo); ok {
				return match{start: start, end: end, kind: KindSensitiveParam}, true
			}
		}
	case ':':
		if i+2 < len(s) && s[i+1] == '/' && s[i+2] == '/' {
			if sc.on(KindURLUserinfo) && i > 0 && isAlnum(s[i-1]) {
				if start, end, ok := userinfoAt(s, i+3); ok {
					return match{start: start, end: end, kind: KindURLUserinfo}, true
				}
			}
			// Webhook URLs (Slack, Discord) carry their secret in the path.
			if sc.on(KindProviderSecret) && i+3 < len(s) {
				if end, keep, ok := secretAt(s, i+3); ok {
					return match{start: i + 3, end: end, kind: KindProviderSecret, keep: int32(keep)}, true
				}
			}
			return match{}, false
		}
		if m, ok := sc.keyValueAt(s, i, lo); ok {
			return m, true
		}
		if sc.on(KindIP) {
			if start, end, ok := ipv6At(s, i, lo); ok {
				return match{start: start, end: end, kind: KindIP}, true
			}
		}
	case '=':
		return sc.keyValueAt(s, i, lo)
	case '>':
		// Only after a name or an attribute value: "->" and "=>" are not
		// worth a look back.
		if i > lo && (isAlnum(s[i-1]) || s[i-1] == '"' || s[i-1] == '\'') {
			if start, end, kind, ok := xmlElementAt(s, i, lo); ok && sc.on(kind) {
				return match{start: start, end: end, kind: kind}, true
			}
		}
	case '+':
		if sc.on(KindPhone) && !wordAt(s, i-1) {
			if end, ok := intlPhoneAt(s, i); ok {
				return match{start: i, end: end, kind: KindPhone}, true
			}
		}
	case '(':
		if sc.on(KindPhone) && !wordAt(s, i-1) {
			if end, ok := parenPhoneAt(s, i); ok {
				return match{start: i, end: end, kind: KindPhone}, true
			}
		}
	case '-':
		if sc.on(KindPrivateKey) {
			if end, ok := privateKeyAt(s, i); ok {
				return match{start: i, end: end, kind: KindPrivateKey}, true
			}
		}
		if sc.on(KindSensitiveParam) {
			if start, end, ok := flagValueAt(s, i, lo); ok {
				return match{start: start, end: end, kind: KindSensitiveParam}, true
			}
		}
	}
	return match{}, false
}

// atSignNext reports whether c, next may start an at-sign (see atSignLen).
func atSignNext(c, next byte) bool {
	switch c {
	case '%':
		return next == '4' || next == '2' || next == '3'
	case '\\':
		return next == 'u' || next == 'U'
	case '&':
		return next == '#'
	}
	return true
}

func (sc *Scanner) keyValueAt(s string, i, lo int) (match, bool) {
	start, end, kind, ok := keyValueAt(s, i, lo)
	if !ok || !sc.on(kind) {
		return match{}, false
	}
	return match{start: start, end: end, kind: kind}, true
}

// replace appends the replacement of finding v; memo (may be nil) holds
// the batch's pseudonyms.
func (sc *Scanner) replace(b []byte, v string, m match, memo *Memo) []byte {
	switch sc.actions[m.kind] {
	case ActionHash:
		var buf [128]byte
		norm := appendNormalized(buf[:0], m.kind, v)
		if memo == nil {
			return sc.hasher.AppendPseudonym(b, norm)
		}
		return append(b, sc.hasher.pseudonym(norm, memo)...)
	case ActionMask:
		return appendMasked(b, v, m)
	default:
		return append(b, redactedByKind[m.kind]...)
	}
}

// appendMasked appends the partial mask of v. Kinds without a meaningful
// partial form are redacted.
func appendMasked(b []byte, v string, m match) []byte {
	switch m.kind {
	case KindPAN, KindSSN:
		return appendKeepLastDigits(b, v, 4)
	case KindPhone:
		return appendKeepLastDigits(b, v, 2)
	case KindIBAN:
		return appendMaskIBAN(b, v)
	case KindIP:
		return appendMaskIP(b, v, int(m.keep))
	case KindEmail:
		return appendMaskEmail(b, v)
	case KindProviderSecret:
		return append(append(b, v[:m.keep]...), "****"...)
	}
	return append(b, redactedByKind[m.kind]...)
}

// maskTail handles a masked card or IBAN followed by more groups
// ("6000 6040 6000 6000 0000 0007"): the mask leaves its last four
// characters visible, and if those and the groups after them are a finding
// of the same kind, a second pass would find it. It returns the end of
// those groups, which the mask then stars too, or 0.
func (sc *Scanner) maskTail(s string, m match) int {
	if sc.actions[m.kind] != ActionMask {
		return 0
	}
	var at func(string, int) (int, bool)
	switch m.kind {
	case KindPAN:
		if panSepLen(s, m.end) == 0 {
			return 0
		}
		at = panAt
	case KindIBAN:
		if m.end+1 >= len(s) || (s[m.end] != ' ' && s[m.end] != '-') || !isAlnum(s[m.end+1]) {
			return 0
		}
		at = ibanAt
		if !isUpper(s[m.start]) {
			at = ibanLowerAt
		}
	default:
		return 0
	}
	visible, n := m.end, 0
	for visible > m.start && n < 4 {
		visible--
		if isAlnum(s[visible]) {
			n++
		}
	}
	if e, ok := at(s, visible); ok && e > m.end {
		return e
	}
	return 0
}

func appendStarAlnum(b []byte, v string) []byte {
	for i := 0; i < len(v); i++ {
		c := v[i]
		if isAlnum(c) {
			c = '*'
		}
		b = append(b, c)
	}
	return b
}

// appendKeepLastDigits replaces every digit but the last n with '*', keeping
// separators.
func appendKeepLastDigits(b []byte, v string, n int) []byte {
	digits := 0
	for i := 0; i < len(v); i++ {
		if e := escapeLen(v, i); e > 0 {
			i += e - 1
		} else if isDigit(v[i]) {
			digits++
		}
	}
	for i := 0; i < len(v); i++ {
		if e := escapeLen(v, i); e > 0 {
			b = append(b, v[i:i+e]...)
			i += e - 1
			continue
		}
		c := v[i]
		if isDigit(c) {
			if digits > n {
				c = '*'
			}
			digits--
		}
		b = append(b, c)
	}
	return b
}
