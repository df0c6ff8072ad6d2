package detect

import (
	"encoding/base64"
	"unicode/utf8"
	"unsafe"
)

const (
	// minBase64 is the shortest run worth decoding: 12 bytes of text, less
	// than a card number or an address at a real domain.
	minBase64 = 16
	// maxBase64 bounds the work on one run; larger runs are payloads
	// (images, documents), not identifiers.
	maxBase64 = 8192
	// maxBase64Depth bounds base64 inside base64.
	maxBase64Depth = 2
)

// base64At checks the base64 run s[start:end] (and its '=' padding): when it
// decodes to printable text with findings, the match replaces the run by
// the base64 of the sanitized text, in the same alphabet and padding, so
// consumers still decode it and a second pass finds nothing. Binary data
// (image ids, hashes, random tokens) fails the printable check on its first
// bytes and costs no allocation.
func (sc *Scanner) base64At(s string, start, end int, counts *Counts, depth int, enc *encodedRun) (match, bool) {
	if depth >= maxBase64Depth || end-start > maxBase64 {
		return match{}, false
	}
	pad := 0
	for end+pad < len(s) && pad < 2 && s[end+pad] == '=' {
		pad++
	}
	run := s[start : end+pad]
	url, std := false, false
	for k := 0; k < end-start; k++ {
		switch run[k] {
		case '-', '_':
			url = true
		case '+', '/':
			std = true
		}
	}
	if url && std || (pad > 0 && len(run)%4 != 0) || len(run)%4 == 1 {
		return match{}, false
	}
	alphabet := base64.RawStdEncoding
	switch {
	case url && pad > 0:
		alphabet = base64.URLEncoding
	case url:
		alphabet = base64.RawURLEncoding
	case pad > 0:
		alphabet = base64.StdEncoding
	}
	// The first 12 characters decide for most binary data.
	var head [9]byte
	if n, err := alphabet.Decode(head[:], unsafe.Slice(unsafe.StringData(run), 12)); err != nil || !printableText(head[:n]) || !utf8Prefix(head[:n]) {
		return match{}, false
	}
	decoded := make([]byte, alphabet.DecodedLen(len(run)))
	n, err := alphabet.Decode(decoded, unsafe.Slice(unsafe.StringData(run), len(run)))
	if err != nil || !printableText(decoded[:n]) || !utf8.Valid(decoded[:n]) {
		return match{}, false
	}
	var inner Counts
	out, changed, remove := sc.sanitize(unsafe.String(unsafe.SliceData(decoded), n), &inner, depth+1)
	if !changed {
		return match{}, false
	}
	for k, c := range inner.ByKind {
		if c > 0 {
			counts.Add(Kind(k), c)
		}
	}
	*enc = encodedRun{replacement: alphabet.EncodeToString(unsafe.Slice(unsafe.StringData(out), len(out))), remove: remove}
	return match{start: start, end: end + pad, kind: kindEncoded}, true
}

// IsText reports whether b is printable UTF-8 text (bytes values that are
// serialized requests are scanned; binary data is not).
func IsText(b []byte) bool { return printableText(b) && utf8.Valid(b) }

// printableText reports whether b has no control bytes but tab and newlines
// (UTF-8 sequences pass; they are validated once the whole run is decoded).
func printableText(b []byte) bool {
	for _, c := range b {
		if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f {
			return false
		}
	}
	return true
}

// utf8Prefix reports whether b is valid UTF-8 or valid UTF-8 cut inside its
// last character.
func utf8Prefix(b []byte) bool {
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		if r == utf8.RuneError && n <= 1 {
			return !utf8.FullRune(b)
		}
		b = b[n:]
	}
	return true
}
